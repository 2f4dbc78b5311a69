"""A customer's evidence on one case is limited in total and per hour.

Defaults: 20 files and 100 MB from the customer per case, 10 files and 50 MB per hour
(``CUSTOMER_EVIDENCE_*`` settings). The kernel service checks them under the case's lock, so
simultaneous posts cannot together pass the limit; the message says what is allowed and how
much is left, and the tracking form keeps what the customer typed.
"""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from aftersales.cases.services import ticket_add_note, ticket_customer_add_info
from aftersales.cases.uploads import check_upload
from aftersales.core.exceptions import InvalidUpload
from aftersales.models import Attachment
from complaints import services as s
from complaints.choices import State
from complaints.models import Complaint
from tests.complaints.test_concurrency import race, require_postgres
from tests.factories import checked_evidence, evidence_file, intake, tiny_png

MB = 1024 * 1024


def add(complaint: Complaint, count: int, *, size: int | None = None, text: str = "More."):
    uploads = [checked_evidence(f"photo{n}.png") if size is None else sized_png(size)
               for n in range(count)]
    return ticket_customer_add_info(ticket_model=Complaint, ticket_pk=complaint.pk, text=text,
                                    uploads=uploads)


def sized_png(size: int):
    """A PNG padded to ``size`` bytes: the checks read the type from its first bytes."""
    content = tiny_png()
    return check_upload(SimpleUploadedFile("big.png", content + b"\0" * (size - len(content)),
                                           "image/png"))


def stored(complaint: Complaint) -> int:
    return Attachment.objects.filter(ticket_id=complaint.pk).count()


def refusal(complaint: Complaint, count: int, **kwargs) -> str:
    with pytest.raises(InvalidUpload) as refused, translation.override("en"):
        add(complaint, count, **kwargs)
    with translation.override("en"):
        return readable(str(refused.value.message))


def readable(text: str) -> str:
    return text.replace("\xa0", " ")  # sizes are written with a no-break space


def test_the_defaults_are_the_documented_ones():
    assert (django_settings.CUSTOMER_EVIDENCE_MAX_FILES,
            django_settings.CUSTOMER_EVIDENCE_MAX_BYTES) == (20, 100 * MB)
    assert (django_settings.CUSTOMER_EVIDENCE_HOURLY_MAX_FILES,
            django_settings.CUSTOMER_EVIDENCE_HOURLY_MAX_BYTES) == (10, 50 * MB)


@pytest.mark.django_db
def test_ten_files_an_hour_then_the_next_waits_for_the_hour(build):
    complaint = build(State.IN_PROGRESS)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        add(complaint, 5)
        add(complaint, 4)
        message = refusal(complaint, 2)
        add(complaint, 1)
        assert stored(complaint) == 10
        refusal(complaint, 1)

    with time_machine.travel(now + timedelta(minutes=61), tick=False):
        add(complaint, 5)

    assert message == ("You can add at most 10 files and 50.0 MB per hour. You can still add "
                       "1 files, 50.0 MB in all, this hour; please send the rest later.")
    assert stored(complaint) == 15


@pytest.mark.django_db
def test_twenty_files_per_case_in_all(build):
    complaint = build(State.IN_PROGRESS)
    now = timezone.now()
    for hour in range(4):
        with time_machine.travel(now + timedelta(hours=hour), tick=False):
            add(complaint, 5)

    with time_machine.travel(now + timedelta(days=30), tick=False):
        message = refusal(complaint, 1)

    assert stored(complaint) == 20
    assert message == ("A case takes at most 20 files and 100.0 MB from you in total. "
                       "You can still add 0 files, 0 bytes in all.")


@pytest.mark.django_db
def test_bytes_count_per_hour_and_per_case(build, settings):
    settings.CUSTOMER_EVIDENCE_HOURLY_MAX_BYTES = 3 * 1024
    settings.CUSTOMER_EVIDENCE_MAX_BYTES = 5 * 1024
    complaint = build(State.IN_PROGRESS)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        add(complaint, 1, size=2048)
        hourly = refusal(complaint, 1, size=1500)
        add(complaint, 1, size=1024)
    with time_machine.travel(now + timedelta(hours=2), tick=False):
        total = refusal(complaint, 1, size=2500)
        add(complaint, 1, size=2048)

    assert "at most 10 files and 3.0 KB per hour" in hourly
    assert "still add 9 files, 1.0 KB in all, this hour" in hourly
    assert "at most 20 files and 5.0 KB from you in total" in total
    assert "still add 10 files, 2.0 KB in all" in total  # 10 an hour, 18 in all
    assert sum(Attachment.objects.filter(ticket_id=complaint.pk)
               .values_list("size", flat=True)) == 5 * 1024


@pytest.mark.django_db
def test_the_complaint_forms_files_count_and_staff_files_do_not(build, agent):
    complaint = s.complaint_register(intake=intake(), actor=None,
                                     uploads=[checked_evidence(f"p{n}.png") for n in range(5)])
    for _ in range(3):
        ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=agent,
                        text="Lab photos", customer_visible=True,
                        uploads=[checked_evidence(f"lab{n}.png") for n in range(5)])

    add(complaint, 5)
    refusal(complaint, 1)

    assert stored(complaint) == 5 + 15 + 5


@pytest.mark.django_db
def test_text_alone_is_never_limited(build):
    complaint = build(State.IN_PROGRESS)
    add(complaint, 10)

    for _ in range(3):
        add(complaint, 0, text="One more detail.")

    assert complaint.events.filter(action="aftersales.ticket.customer_info").count() == 4


@pytest.mark.django_db
def test_the_tracking_page_says_what_is_left_and_keeps_the_text(client, build):
    complaint = build(State.IN_PROGRESS)
    add(complaint, 8)
    url = reverse("complaints:track", args=[complaint.tracking_token])

    response = client.post(url, {
        "form": "info", "info-text": "The label shows batch 42.",
        "info-files": [evidence_file(f"label{n}.png") for n in range(3)],
    }, HTTP_ACCEPT_LANGUAGE="en")

    page = readable(response.content.decode())
    assert response.status_code == 409
    assert "You can add at most 10 files and 50.0 MB per hour." in page
    assert "You can still add 2 files" in page
    assert "The label shows batch 42.</textarea>" in page
    assert stored(complaint) == 8
    assert not complaint.events.filter(note="The label shows batch 42.").exists()


@pytest.mark.django_db(transaction=True)
def test_posts_at_the_same_moment_cannot_pass_the_limit_together(build):
    require_postgres()
    complaint = build(State.IN_PROGRESS)
    add(complaint, 4)

    results = race(*[lambda: add(complaint, 5)] * 3)

    assert sorted(type(r).__name__ for r in results) == ["InvalidUpload", "InvalidUpload",
                                                         "TimelineEvent"]
    assert stored(complaint) == 9
