"""The KPI dashboard (/dashboard/): who may see it, what each role sees, its drill-down links,
its charts' data, and a query budget that does not grow with the number of cases."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from analytics.kpis.rollups import refresh_rollups
from tests.access import LOGIN, assert_outcome, matrix, request_as
from tests.factories import DepartmentFactory, make_staff
from tests.queries import queries

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kpi_own_cache")]

MARCH = {"month": "2026-03"}

#               anonymous no_role other_handler handler agent supervisor admin
EXPECTED = {
    "dashboard": (LOGIN, 403, 200, 200, 403, 200, 200),
}


@pytest.mark.parametrize(("view", "who", "expected"), matrix(EXPECTED))
def test_who_may_open_the_dashboard(client, users, view, who, expected):
    path = reverse("analytics:dashboard")
    assert_outcome(request_as(client, users[who], "get", path), path, expected)


@pytest.fixture
def two_departments(build, at, agent, supervisor, other_dept, other_handler):
    """Three March complaints of the quality department, one of the warehouse."""
    from tests.factories import complaint_in_state

    with at(2026, 3, 2, 10):
        for state in ("CLOSED", "IN_PROGRESS", "RESOLVED"):
            build(state)
        complaint_in_state("CLOSED", agent=agent, handler=other_handler,
                           supervisor=supervisor, dept=other_dept, phone="13900000001",
                           email="other@example.com")
    refresh_rollups()


def _table_text(response, table_id: str) -> str:
    html = response.content.decode()
    start = html.index(f'id="{table_id}"')
    return html[start:html.index("</table>", start)]


def test_supervisors_see_every_department_and_handlers_only_their_own(
        client, two_departments, supervisor, handler, quality_dept, other_dept):
    path = reverse("analytics:dashboard")
    client.force_login(supervisor)
    everything = client.get(path, MARCH)
    assert everything.context["data"].received.text == "4"
    departments = _table_text(everything, "department-table")
    assert quality_dept.name in departments and other_dept.name in departments

    client.force_login(handler)
    own = client.get(path, {**MARCH, "department": other_dept.pk})  # asks for another one
    assert own.context["data"].received.text == "3"
    departments = _table_text(own, "department-table")
    assert quality_dept.name in departments and other_dept.name not in departments
    units = _table_text(own, "unit-table")
    assert quality_dept.code in units and other_dept.code not in units


def test_every_number_links_to_the_ledger_with_the_same_filters(client, two_departments,
                                                                 supervisor, quality_dept):
    client.force_login(supervisor)
    response = client.get(reverse("analytics:dashboard"),
                          {**MARCH, "channel": "HOTLINE", "department": quality_dept.pk})
    data = response.context["data"]
    link = urlsplit(data.received.url)
    assert link.path == reverse("analytics:ledger")
    params = parse_qs(link.query)
    assert params == {"channel": ["HOTLINE"], "department": [str(quality_dept.pk)],
                      "date_from": ["2026-03-01"], "date_to": ["2026-03-31"],
                      "period": ["received"]}
    resolution = next(row for row in data.kpis if row.key == "resolution")
    assert parse_qs(urlsplit(resolution.numerator.url).query)["outcome"] == ["SOLVED"]
    assert parse_qs(urlsplit(resolution.denominator.url).query)["period"] == ["closed"]
    html = response.content.decode()
    for row in data.by_category:
        assert f'href="{row.received.url.replace("&", "&amp;")}"' in html


def test_charts_read_their_numbers_from_a_json_element_and_no_inline_script(
        client, two_departments, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("analytics:dashboard"), MARCH)
    html = response.content.decode()
    start = html.index('<script id="dashboard-data" type="application/json">')
    payload = json.loads(html[html.index(">", start) + 1:html.index("</script>", start)])
    assert payload["category"]["values"] == [4]
    assert len(payload["trend"]["months"]) == 12 and payload["trend"]["months"][-1] == "2026-03"
    march = payload["trend"]["series"][0]["values"][-1]   # timeliness in March
    assert march == float(response.context["data"].kpis[0].value.raw)
    assert "static/js/dashboard.js" in html
    scripts = [part.split(">", 1)[0] for part in html.split("<script")[1:]]
    assert all("src=" in tag or 'type="application/json"' in tag for tag in scripts)


def test_every_chart_has_its_table(client, two_departments, supervisor):
    client.force_login(supervisor)
    html = client.get(reverse("analytics:dashboard"), MARCH).content.decode()
    for chart, table in (("trend", "trend-table"), ("category", "category-table"),
                         ("channel", "channel-table"), ("department", "department-table")):
        assert f'data-chart="{chart}"' in html and f'id="{table}"' in html


def test_a_range_of_days_reads_day_cells_and_the_month_reads_month_cells(
        client, two_departments, supervisor):
    client.force_login(supervisor)
    days = client.get(reverse("analytics:dashboard"),
                      {"date_from": "2026-03-02", "date_to": "2026-03-02"})
    assert days.context["data"].received.text == "4"
    empty = client.get(reverse("analytics:dashboard"),
                       {"date_from": "2026-03-03", "date_to": "2026-03-31"})
    assert empty.context["data"].received.text == "0"


# Measured on SQLite with the order volumes cached: 19 queries for a supervisor, 20 for a
# handler (staff profile); a cold cache adds the two order counts. The count must not move
# between N and 2N cases, departments and owners.
BUDGET = 22


@pytest.mark.parametrize("who", ["supervisor", "handler"])
def test_the_dashboard_runs_a_fixed_number_of_queries(client, build, at, users, who):
    client.force_login(users[who])
    path = reverse("analytics:dashboard")
    counts = []
    for batch in (3, 3):
        with at(2026, 3, 2, 10):
            for i in range(batch):
                build("CLOSED", phone=f"1370000{len(counts)}{i:03d}",
                      email=f"n{len(counts)}{i}@example.com")
            make_staff(f"extra-{who}-{len(counts)}", "handler",
                       DepartmentFactory(code=f"d-{who}-{len(counts)}"))
        refresh_rollups()
        count, _response = queries(client, path, MARCH)
        counts.append(count)
    assert counts[0] == counts[1] <= BUDGET


def test_the_layout_links_to_the_dashboard_and_reports_for_those_who_may(client, users):
    client.force_login(users["supervisor"])
    html = client.get(reverse("analytics:dashboard")).content.decode()
    assert reverse("analytics:reports") in html
    client = Client()
    client.force_login(users["handler"])
    html = client.get(reverse("analytics:dashboard")).content.decode()
    assert reverse("analytics:dashboard") in html and reverse("analytics:reports") not in html
