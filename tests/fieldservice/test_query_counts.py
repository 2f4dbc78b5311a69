"""Query budgets: the job page, the technician's day and the dispatch board read a fixed
number of queries, whatever the number of jobs per day, visits, parts or events."""

import pytest
from django.urls import reverse

from aftersales.fieldservice import services as s
from tests.queries import queries

from .conftest import tomorrow_at

pytestmark = pytest.mark.django_db
JOB_PAGE_BUDGET = 20
BOARD_BUDGET = 14
MY_DAY_BUDGET = 12


def _day_of_jobs(repair_in, technician, hours, *, days=0):
    return [repair_in("DISPATCHED", technician=technician, hour=h, days=days) for h in hours]


def test_the_job_page_has_a_budget_whatever_its_parts_and_events(client, agent, repair_in,
                                                                 tech, parts):
    small = repair_in("IN_SERVICE", technician=tech, hour=8)
    big = repair_in("IN_SERVICE", technician=tech, hour=13)
    for n in range(4):
        s.job_record_work(job_pk=big.pk, kind=big.kind, actor=tech.user, cause=f"step {n}",
                          parts=[s.PartLine(parts[n % 2], n + 1)])
    client.force_login(agent)

    few, _ = queries(client, reverse("fieldservice:detail", args=[small.number]))
    many, _ = queries(client, reverse("fieldservice:detail", args=[big.number]))

    assert few == many
    assert many <= JOB_PAGE_BUDGET


def test_the_technicians_day_is_constant_in_the_number_of_stops(client, repair_in, tech,
                                                                tech2):
    _day_of_jobs(repair_in, tech, [8, 11], days=0)
    _day_of_jobs(repair_in, tech2, [8, 11, 14, 17], days=0)
    url = reverse("fieldservice:my")

    client.force_login(tech.user)
    two, page = queries(client, url)
    client.force_login(tech2.user)
    four, page2 = queries(client, url)

    assert page.content.decode().count('class="card mb-3 stop"') == 2
    assert page2.content.decode().count('class="card mb-3 stop"') == 4
    assert two == four <= MY_DAY_BUDGET


def test_the_dispatch_board_is_constant_in_jobs_per_day(client, dispatcher, repair_in, tech,
                                                        tech2):
    url = reverse("fieldservice:board")
    week = tomorrow_at(8).date().isoformat()
    client.force_login(dispatcher)
    for technician in (tech, tech2):
        _day_of_jobs(repair_in, technician, [8, 11], days=1)
    repair_in("TRIAGED", technician=tech)
    n, page_n = queries(client, url, {"week": week})

    for technician in (tech, tech2):
        _day_of_jobs(repair_in, technician, [14, 17], days=1)
    repair_in("TRIAGED", technician=tech)
    two_n, page_2n = queries(client, url, {"week": week})

    assert page_n.content.decode().count('class="board-block') == 4
    assert page_2n.content.decode().count('class="board-block') == 8
    assert n == two_n <= BOARD_BUDGET
