"""The public complaint form (官网投诉专栏): what a customer gets for a good submission, and
how a bad one is turned back without losing what they typed."""

import re

import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from aftersales.cases.services import form_token_new
from aftersales.cases.uploads import ALLOWED_DESCRIPTION
from aftersales.models import Attachment, Customer, OrderLine
from complaints.choices import State
from complaints.models import Complaint
from tests.factories import OrderFactory, ProductFactory, evidence_file, tiny_png

URL = reverse("complaints:public_new")


def form(**overrides) -> dict:
    values = {"name": "孙七", "phone": "13512345678", "email": "sunqi@example.com",
              "order_number": "", "product": "Electric kettle K1", "category_hint": "QUAL",
              "description": "The kettle switches itself off after ten seconds.",
              "customer_request": "Please exchange it.", "website": "",
              "form_token": form_token_new()}
    values.update(overrides)
    return values


@pytest.fixture
def submit(client, django_capture_on_commit_callbacks):
    """Post the form as a browser does; mail scheduled on commit is sent."""
    def post(data: dict, *, follow: bool = False):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, data, follow=follow)
    return post


# --- a good submission -------------------------------------------------------------------

@pytest.mark.django_db
def test_a_valid_submission_registers_a_numbered_complaint(submit):
    response = submit(form())

    complaint = Complaint.objects.get()
    today = timezone.localdate().strftime("%Y%m%d")
    assert complaint.state == State.REGISTERED
    assert re.fullmatch(rf"CP-{today}-\d{{4}}", complaint.number)
    assert complaint.channel == "WEBFORM"
    assert complaint.registered_by is None
    assert complaint.description == form()["description"]
    assert complaint.customer.phone == "13512345678"
    assert response.status_code == 302
    assert response.url == reverse("complaints:public_submitted", args=[complaint.tracking_token])


@pytest.mark.django_db
def test_the_submitted_page_shows_the_number_and_the_private_tracking_link(submit):
    response = submit(form(), follow=True)

    complaint = Complaint.objects.get()
    page = response.content.decode()
    tracking_url = "http://testserver" + reverse("complaints:track",
                                                 args=[complaint.tracking_token])
    assert response.status_code == 200
    assert f'<strong id="complaint-number">{complaint.number}</strong>' in page
    assert f'href="{tracking_url}"' in page


@pytest.mark.django_db
def test_the_customer_gets_an_acknowledgement_by_email(submit, mailoutbox):
    submit(form())

    complaint = Complaint.objects.get()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["sunqi@example.com"]
    assert complaint.number in mail.subject
    assert complaint.number in mail.body
    assert reverse("complaints:track", args=[complaint.tracking_token]) in mail.body


@pytest.mark.django_db
def test_no_mail_is_sent_to_a_customer_who_left_only_a_phone_number(submit, mailoutbox):
    submit(form(email=""))

    assert Complaint.objects.count() == 1
    assert mailoutbox == []


@pytest.mark.django_db
def test_an_order_number_finds_the_order_and_its_only_product(submit):
    owner = Customer.objects.create(name="孙七")
    order = OrderFactory(customer=owner)
    product = ProductFactory()
    OrderLine.objects.create(order=order, product=product, unit_price="199.00")

    submit(form(order_number=f"  {order.number} "))

    complaint = Complaint.objects.get()
    assert complaint.order == order
    assert complaint.product == product
    assert complaint.order_number_given == order.number


@pytest.mark.django_db
def test_an_unknown_order_number_is_kept_as_given(submit):
    submit(form(order_number="SO-NOT-OURS"))

    complaint = Complaint.objects.get()
    assert complaint.order is None
    assert complaint.order_number_given == "SO-NOT-OURS"


# --- a bad submission --------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("mistake", "field", "code"), [
    ({"phone": "", "email": ""}, NON_FIELD_ERRORS, "contact"),
    ({"phone": "12345"}, "phone", "phone"),
    ({"phone": "138-1234-56789x"}, "phone", "phone"),
    ({"email": "not-an-address"}, "email", "invalid"),
    ({"description": "Broken."}, "description", "min_length"),
    ({"product": ""}, "product", "required"),
])
def test_a_mistake_is_named_and_everything_typed_is_kept(submit, mistake, field, code):
    typed = form(**mistake)

    response = submit(typed)

    page = response.content.decode()
    errors = response.context["form"].errors[field]
    assert response.status_code == 400
    assert response.context["form"].has_error(field, code=code)
    assert all(escape(error) in page for error in errors)
    for name in ("name", "phone", "email", "product", "description", "customer_request"):
        assert escape(typed[name]) in page, name
    assert Complaint.objects.count() == 0


# --- evidence files ----------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content_type", "extension"), [
    ("photo.png", "image/png", ".png"),
    ("photo.jpg", "image/jpeg", ".jpg"),
    ("invoice.pdf", "application/pdf", ".pdf"),
])
def test_a_real_photo_or_pdf_is_stored_with_the_complaint(submit, name, content_type,
                                                          extension):
    upload = evidence_file(name)

    submit(form(files=[upload]))

    complaint = Complaint.objects.get()
    stored = Attachment.objects.get()
    assert stored.ticket_id == complaint.pk
    assert stored.original_name == name
    assert stored.content_type == content_type
    assert stored.extension == extension
    assert stored.customer_visible
    assert stored.event.action == "complaints.complaint.registered"
    assert stored.file.name.endswith(extension)
    assert name not in stored.file.name  # stored under a random name
    with stored.file.open("rb") as saved:
        assert saved.read() == evidence_file(name).read()


@pytest.mark.django_db
def test_the_type_is_read_from_the_content_not_the_name(submit):
    submit(form(files=[evidence_file("receipt.pdf", tiny_png())]))

    stored = Attachment.objects.get()
    assert stored.content_type == "image/png"
    assert stored.extension == ".png"


@pytest.mark.django_db
def test_several_files_are_all_stored(submit, settings):
    files = [evidence_file(n) for n in ("a.png", "b.jpg", "c.pdf", "d.png", "e.png")]
    assert len(files) == settings.UPLOAD_MAX_FILES

    submit(form(files=files))

    assert Attachment.objects.count() == settings.UPLOAD_MAX_FILES


def refused_upload(response) -> str:
    """The page's complaint about the files, checked to be on the page."""
    assert response.status_code == 400
    assert response.context["form"].has_error("files", code="upload")
    [message] = response.context["form"].errors["files"]
    assert escape(message) in response.content.decode()
    assert Complaint.objects.count() == 0
    assert Attachment.objects.count() == 0
    return message


@pytest.mark.django_db
def test_a_text_file_named_like_a_photo_is_refused(submit):
    response = submit(form(files=[evidence_file("photo.jpg", b"just some text, honest\n")]))

    message = refused_upload(response)
    assert "photo.jpg" in message
    assert ALLOWED_DESCRIPTION in message


@pytest.mark.django_db
def test_an_oversized_file_is_refused(submit, settings):
    settings.UPLOAD_MAX_BYTES = 100
    too_big = tiny_png() + b"\0" * 100

    response = submit(form(files=[evidence_file("big.png", too_big)]))

    message = refused_upload(response)
    assert "big.png" in message


@pytest.mark.django_db
def test_a_file_at_the_size_limit_is_accepted(submit, settings):
    settings.UPLOAD_MAX_BYTES = len(tiny_png())

    submit(form(files=[evidence_file("exact.png")]))

    assert Attachment.objects.count() == 1


@pytest.mark.django_db
def test_more_than_five_files_are_refused(submit, settings):
    files = [evidence_file(f"p{i}.png") for i in range(settings.UPLOAD_MAX_FILES + 1)]

    response = submit(form(files=files))

    message = refused_upload(response)
    assert str(settings.UPLOAD_MAX_FILES) in message
