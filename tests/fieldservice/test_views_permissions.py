"""Who may open each field-service page: anonymous visitors sign in first, a login without
a role is refused, staff of another department never learn of a job (404), and each role
gets exactly its pages: agents take reports and triage, dispatchers run the board,
technicians their phone view, only the dispatched technician opens the job on the phone."""

import pytest
from django.test import Client
from django.urls import reverse

from aftersales.cases.services import form_token_new
from aftersales.fieldservice.models import Visit
from tests.access import LOGIN, assert_outcome

from .conftest import tomorrow_at

pytestmark = pytest.mark.django_db
WHO = ("anonymous", "no_role", "other_handler", "agent", "supervisor", "dispatcher", "tech",
       "tech2")


@pytest.fixture
def people(users, dispatcher, tech, tech2):
    return {**users, "dispatcher": dispatcher, "tech": tech.user, "tech2": tech2.user}


@pytest.fixture
def job(repair_in, tech):
    return repair_in("DISPATCHED", technician=tech)


def _intake(kind="REPAIR"):
    return {"name": "王芳", "phone": "13900001111", "email": "", "order_number": "SO1",
            "serial_number": "", "description": "Does not cool at all.",
            "address": "上海市浦东新区1号", "address_area": "浦东新区", "region": "上海",
            "preferred_from": "", "preferred_until": "", "service_mode": "ON_SITE",
            "channel": "HOTLINE", "kind": kind, "form_token": form_token_new()}


def _dispatch(job, tech):
    return {"job": job.pk, "technician": tech.pk,
            "start": tomorrow_at(15, days=2).strftime("%Y-%m-%dT%H:%M"), "hours": "1.5",
            "buffer_minutes": "30"}


# view: (method, url, data); expected per WHO
VIEWS = {
    "detail": ("get", lambda j, t: reverse("fieldservice:detail", args=[j.number]), None,
               (LOGIN, 403, 404, 200, 200, 200, 200, 200)),
    "record": ("get", lambda j, t: reverse("fieldservice:record", args=[j.number]), None,
               (LOGIN, 403, 404, 200, 200, 200, 200, 200)),
    "new": ("get", lambda j, t: reverse("fieldservice:new"), None,
            (LOGIN, 403, 403, 200, 200, 403, 403, 403)),
    "new (send)": ("post", lambda j, t: reverse("fieldservice:new"), lambda j, t: _intake(),
                   (LOGIN, 403, 403, 302, 302, 403, 403, 403)),
    "board": ("get", lambda j, t: reverse("fieldservice:board"), None,
              (LOGIN, 403, 403, 403, 200, 200, 403, 403)),
    "board (dispatch)": ("post", lambda j, t: reverse("fieldservice:board"), None,
                         (LOGIN, 403, 403, 403, 302, 302, 403, 403)),
    "my day": ("get", lambda j, t: reverse("fieldservice:my"), None,
               (LOGIN, 403, 403, 403, 403, 403, 200, 200)),
    "my job": ("get", lambda j, t: reverse("fieldservice:my_job", args=[j.number]), None,
               (LOGIN, 403, 403, 403, 403, 403, 200, 404)),
    "scorecard": ("get", lambda j, t: reverse("fieldservice:scorecard"), None,
                  (LOGIN, 403, 403, 403, 200, 200, 403, 403)),
    "act (cancel)": ("post", lambda j, t: reverse("fieldservice:act", args=[j.number, "cancel"]),
                     lambda j, t: {"cancel-version": j.version, "cancel-reason": "Duplicate"},
                     (LOGIN, 403, 404, 302, 302, 409, 409, 409)),
    "note": ("post", lambda j, t: reverse("fieldservice:note", args=[j.number]),
             lambda j, t: {"text": "Called the customer."},
             (LOGIN, 403, 404, 302, 302, 302, 302, 302)),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_field_service_view_access(people, repair_in, tech, view):
    method, url, data, expected = VIEWS[view]
    for who, outcome in zip(WHO, expected, strict=True):
        job = repair_in("DISPATCHED", technician=tech, hour=8)
        if view == "board (dispatch)":
            job = repair_in("TRIAGED", technician=tech)
            data = lambda j, t: _dispatch(j, tech)  # noqa: E731
        client = Client()
        if people[who] is not None:
            client.force_login(people[who])
        path = url(job, tech)
        response = getattr(client, method)(path, data(job, tech) if data else None)
        try:
            assert_outcome(response, path, outcome)
        except AssertionError as error:
            raise AssertionError(f"{view} as {who}: {response.status_code}") from error
        Visit.objects.update(cancelled=True)


def test_the_matrix_covers_every_staff_page():
    from aftersales.fieldservice import urls

    staff = {p.name for p in urls.urlpatterns} - {
        "report", "install", "track", "track_info", "act", "signature"}
    named = {"detail", "record", "new", "board", "my", "my_job", "scorecard", "note"}
    assert staff == named


def test_the_signature_image_is_shown_to_staff_in_scope_only(repair_in, tech, agent,
                                                              other_handler):
    job = repair_in("ACCEPTED", technician=tech)
    url = reverse("fieldservice:signature", args=[job.signatures.get().pk])
    inside, outside = Client(), Client()
    inside.force_login(agent)
    outside.force_login(other_handler)

    shown = inside.get(url)

    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert b"".join(shown.streaming_content).startswith(b"\x89PNG")
    assert outside.get(url).status_code == 404


def test_public_pages_are_open_and_the_tracking_token_must_exist(client, repair_in, tech):
    job = repair_in("TRIAGED", technician=tech)

    assert client.get(reverse("fieldservice:report")).status_code == 200
    assert client.get(reverse("fieldservice:install")).status_code == 200
    assert client.get(reverse("fieldservice:track", args=[job.tracking_token])).status_code == 200
    assert client.get(reverse("fieldservice:track", args=["x" * 43])).status_code == 404
