"""Test data built through the same models and services the product uses."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from aftersales.core.choices import Channel, DepartmentKind
from aftersales.models import Customer, Department, Order, OrderLine, Product, StaffProfile

PASSWORD = "test-pass-123!"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.Sequence(lambda n: f"Department {n}")
    kind = DepartmentKind.QUALITY


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Customer {n}")

    @factory.post_generation
    def contact(obj, create, extracted, **kwargs):
        phone = kwargs.get("phone", f"138{obj.pk or 0:08d}"[-11:])
        obj.set_contact(phone=phone, email=kwargs.get("email", f"c{obj.pk}@example.com"))
        if create:
            obj.save()


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = "Small appliances"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"SO{n:08d}")
    customer = factory.SubFactory(CustomerFactory)
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    signed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=7))


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    unit_price = Decimal("299.00")


def ensure_staff_roles() -> None:
    """The role groups, made again when a transactional test has flushed the database."""
    from aftersales.people import roles

    if Group.objects.filter(name__in=roles.ROLE_PERMISSIONS).count() < len(roles.ROLE_PERMISSIONS):
        roles.ensure_roles()


def make_staff(username: str, role: str, department: Department | None = None, **extra):
    """A staff login in one role group, optionally in a department."""
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@staff.example", **extra
    )
    user.groups.add(Group.objects.get(name=role))
    StaffProfile.objects.create(user=user, department=department)
    return user


def intake(**overrides):
    from complaints.services import ComplaintIntake

    values = {
        "name": "张三", "phone": "13812345678", "email": "zhangsan@example.com",
        "product_text": "Kettle K1", "description": "The kettle stopped heating after 3 days.",
        "channel": Channel.WEBFORM,
    }
    values.update(overrides)
    return ComplaintIntake(**values)


def complaint_in_state(state: str, *, agent, handler, supervisor, dept: Department,
                       severity: str = "S2", solution_type: str = "REPAIR",
                       compensation_amount: Decimal = Decimal("0.00"),
                       responsible_person=None, **intake_overrides):
    """A complaint brought to ``state`` by the real services, the way staff would get it there.

    The main path is register → accept → classify (``dept``, assigned to ``handler``) →
    start handling → plan (→ supervisor's approval for S1–S3) → reply → satisfied return
    visit → archive. ``NOT_ACCEPTED`` and ``ON_SPOT_RESOLVED`` branch off after registration
    and acceptance; ``AWAIT_CUSTOMER`` uses a refund plan unless the plan already moves
    money; ``REOPENED`` is a customer who was not satisfied with the reply. ``RECEIVED`` is
    never a resting state, so it cannot be asked for.
    """
    from complaints import services as s
    from complaints.choices import SOLUTIONS_NEEDING_CONFIRMATION, SUBCATEGORIES, State
    from complaints.models import Complaint

    State(state)  # an unknown name fails here rather than after a long walk
    if state == State.RECEIVED:
        raise ValueError("Registration leaves RECEIVED at once; no complaint rests there.")
    money = solution_type in SOLUTIONS_NEEDING_CONFIRMATION or compensation_amount > 0
    if state == State.AWAIT_CUSTOMER and not money:
        solution_type = "REFUND"
        money = True
    if state == State.PLAN_APPROVAL and severity not in ("S1", "S2", "S3"):
        raise ValueError(f"A {severity} plan skips approval; use S1–S3 for PLAN_APPROVAL.")

    def fresh(c):
        return Complaint.objects.select_related("current_plan").get(pk=c.pk)

    values = {"channel": Channel.HOTLINE, **intake_overrides}
    c = s.complaint_register(
        intake=intake(**values), actor=None if values["channel"] == Channel.WEBFORM else agent
    )
    if state == State.REGISTERED:
        return fresh(c)
    if state == State.NOT_ACCEPTED:
        s.complaint_reject(complaint_pk=c.pk, version=c.version, actor=supervisor,
                           reason="OUT_OF_REMIT", reply="This is outside our remit.")
        return fresh(c)
    checks = {"check_identity": True, "check_order": True, "check_facts": True,
              "check_remit": True}
    c = s.complaint_accept(complaint_pk=c.pk, version=c.version, actor=agent, checklist=checks)
    if state == State.ACCEPTED:
        return fresh(c)
    if state == State.ON_SPOT_RESOLVED:
        s.complaint_resolve_on_spot(complaint_pk=c.pk, version=c.version, actor=agent,
                                    solution="Explained how to descale the kettle.",
                                    customer_confirmed=True)
        return fresh(c)
    category = values.get("category_hint") or "QUAL"
    subcategory = SUBCATEGORIES.get(category, [""])[0]
    c = s.complaint_classify(complaint_pk=c.pk, version=c.version, actor=agent,
                             category=category, subcategory=subcategory, severity=severity,
                             department=dept, assignee=handler)
    if state == State.CLASSIFIED:
        return fresh(c)
    c = s.complaint_start_handling(complaint_pk=c.pk, version=c.version, actor=handler,
                                   acknowledgement="We are looking into it.",
                                   expected_by=timezone.now() + timedelta(days=3))
    if state == State.ANALYSING:
        return fresh(c)
    c = s.complaint_submit_plan(
        complaint_pk=c.pk, version=c.version, actor=handler,
        plan=s.PlanInput(cause="QUALITY_DEFECT", nature="PRODUCTION", liability="COMPANY",
                         responsible_department=dept, responsible_person=responsible_person,
                         solution_type=solution_type, measures="Replace the heating element.",
                         compensation_amount=compensation_amount,
                         deadline=timezone.now() + timedelta(days=2)),
    )
    if state == State.PLAN_APPROVAL:
        return fresh(c)
    if c.state == State.PLAN_APPROVAL:
        c = s.complaint_decide_plan(complaint_pk=c.pk, version=c.version, actor=supervisor,
                                    approve=True)
    if state == State.IN_PROGRESS:
        return fresh(c)
    if money:
        c = s.complaint_request_confirmation(complaint_pk=c.pk, version=c.version,
                                             actor=handler, message="We propose a refund.")
        if state == State.AWAIT_CUSTOMER:
            return fresh(c)
        c = s.complaint_customer_decide(complaint_pk=c.pk, **proposal_of(c), agree=True)
    c = s.complaint_reply(complaint_pk=c.pk, version=c.version, actor=agent,
                          text="The heating element was replaced.", outcome="SOLVED")
    if state == State.RESOLVED:
        return fresh(c)
    if state == State.REOPENED:
        s.complaint_record_feedback(complaint_pk=c.pk, actor=None, satisfied=False, rating=2,
                                    comment="It stopped heating again.", method="ONLINE")
        return fresh(c)
    c = s.complaint_record_feedback(complaint_pk=c.pk, actor=None, satisfied=True, rating=5,
                                    comment="", method="ONLINE")
    if state == State.RETURN_VISIT:
        return fresh(c)
    c = s.complaint_archive(complaint_pk=c.pk, version=c.version, actor=agent)
    return fresh(c)


def proposal_of(complaint) -> dict:
    """The plan a customer is answering, as the tracking page's decision form names it."""
    from complaints.models import Complaint

    plan = Complaint.objects.select_related("current_plan").get(pk=complaint.pk).current_plan
    return {"plan_pk": plan.pk, "plan_version": plan.version}


# --- evidence files: the smallest real files of each accepted type ----------------------

def tiny_png() -> bytes:
    """A 1×1 grey PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


def tiny_jpeg() -> bytes:
    """A 1×1 grey baseline JPEG: one DC-only block, one-code Huffman tables."""
    one_code_table = bytes([1] + [0] * 15) + b"\x00"
    return b"".join([
        b"\xff\xd8",                                                   # SOI
        b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",  # APP0
        b"\xff\xdb\x00\x43\x00" + b"\x01" * 64,                        # DQT
        b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00",       # SOF0 1×1 grey
        b"\xff\xc4\x00\x14\x00" + one_code_table,                      # DHT DC
        b"\xff\xc4\x00\x14\x10" + one_code_table,                      # DHT AC
        b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00",                   # SOS
        b"\x3f",                                                       # DC 0, EOB
        b"\xff\xd9",                                                   # EOI
    ])


def tiny_pdf() -> bytes:
    """A one-page empty PDF with a correct cross-reference table."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 72 72]>>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref_at)
    return out


EVIDENCE = {"png": (tiny_png, "image/png"), "jpg": (tiny_jpeg, "image/jpeg"),
            "pdf": (tiny_pdf, "application/pdf")}


def evidence_file(name: str = "photo.png", content: bytes | None = None):
    """An uploaded file as a browser sends it; the content follows the extension unless given."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    make, content_type = EVIDENCE.get(name.rsplit(".", 1)[-1], (tiny_png, "image/png"))
    return SimpleUploadedFile(name, make() if content is None else content, content_type)


def checked_evidence(name: str = "photo.png", content: bytes | None = None):
    """The same file after the upload checks, ready for a service's ``uploads``."""
    from aftersales.cases.uploads import check_upload

    return check_upload(evidence_file(name, content))


def as_shown(message) -> str:
    """A message as a page shows it: in the site's language (no Accept-Language sent), escaped."""
    from django.conf import settings
    from django.utils import translation
    from django.utils.html import escape

    with translation.override(settings.LANGUAGE_CODE):
        return escape(str(message))
