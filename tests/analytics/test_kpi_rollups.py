"""The rollups say what a direct count over the cases says, for any cases and any period.

Cases are generated straight into the tables (every combination of clocks, outcomes,
reopenings, return visits, repeats and exclusions, including ones the services would
reach only slowly), then the KPIs read from the rollups are compared with
``analytics.kpis.direct``, which counts the same rules with plain queries.
"""

from datetime import date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from aftersales.models import FollowUp, Notification, Ticket, TimelineEvent
from analytics.kpis.direct import direct_kpis, direct_matches
from analytics.kpis.rollups import rebuild_rollups, refresh_rollups
from analytics.kpis.selectors import Filters, kpi_summary
from analytics.models import KpiCaseFact, KpiCell, KpiExclusion, KpiWatermark
from complaints.models import Complaint, HandlingPlan
from tests.factories import CustomerFactory, DepartmentFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = datetime(2026, 2, 20, 0, 0, tzinfo=SHANGHAI)
numbers = count(1)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kpi_own_cache")]

case = st.fixed_dictionaries({
    "received_minutes": st.integers(0, 60 * 24 * 50),
    "channel": st.sampled_from(["HOTLINE", "WEBFORM", "EMAIL"]),
    "category": st.sampled_from(["QUAL", "LOGI", ""]),
    "department": st.sampled_from([0, 1, None]),
    "severity": st.sampled_from(["S2", "S4"]),
    "accepted": st.sampled_from(["yes", "yes", "yes", "not_accepted", "duplicate", "pending"]),
    "fr_minutes": st.integers(0, 3000),
    "fr_due_minutes": st.integers(30, 1440),
    "res_due_hours": st.one_of(st.none(), st.integers(24, 24 * 9)),
    "resolved_hours": st.one_of(st.none(), st.integers(1, 24 * 20)),
    "reopens": st.lists(st.integers(1, 24 * 25), max_size=2),
    "closed": st.booleans(),
    "outcome": st.sampled_from(["SOLVED", "SOLVED", "NOT_LIABLE", "PARTIAL"]),
    "unit": st.sampled_from([0, 1, None]),
    "liability": st.sampled_from(["COMPANY", "NOT_LIABLE"]),
    "visits": st.lists(st.tuples(
        st.sampled_from(["ANSWERED", "ANSWERED", "NO_RESPONSE", "SENT", "CANCELLED"]),
        st.one_of(st.none(), st.integers(1, 5)), st.sampled_from([True, False, None]),
        st.integers(1, 24 * 10)), max_size=2),
    "repeat_of": st.one_of(st.none(), st.integers(0, 30)),
    "excluded": st.sampled_from([False, False, False, True]),
})


@pytest.fixture
def world():
    departments = [DepartmentFactory(code="p-qa", name="QA", kind="QA"),
                   DepartmentFactory(code="p-wh", name="WH", kind="WH")]
    return {"departments": departments, "customer": CustomerFactory()}


def _event(ticket, action, at):
    TimelineEvent.objects.create(ticket=ticket, action=action, actor_kind="system",
                                 created_at=at)


def make_case(spec: dict, world: dict, earlier: list) -> Complaint:
    departments = world["departments"]
    received = BASE + timedelta(minutes=spec["received_minutes"])
    accepted = spec["accepted"] == "yes"
    resolved = (received + timedelta(hours=spec["resolved_hours"])
                if accepted and spec["resolved_hours"] else None)
    closed = resolved + timedelta(hours=30) if resolved and spec["closed"] else None
    state = ("CLOSED" if closed else "RESOLVED" if resolved else "IN_PROGRESS") if accepted \
        else "REGISTERED" if spec["accepted"] == "pending" else "NOT_ACCEPTED"
    department = departments[spec["department"]] if spec["department"] is not None else None
    repeat_of = earlier[spec["repeat_of"] % len(earlier)] if (
        earlier and spec["repeat_of"] is not None) else None
    complaint = Complaint.objects.create(
        number=f"P-{next(numbers)}", kind="COMPLAINT", channel=spec["channel"], state=state,
        customer=world["customer"], description="generated", category=spec["category"],
        severity=spec["severity"], department=department, received_at=received,
        not_accepted_reason="DUPLICATE" if spec["accepted"] == "duplicate" else (
            "NO_FACTS" if spec["accepted"] == "not_accepted" else ""),
        first_response_due_at=received + timedelta(minutes=spec["fr_due_minutes"]),
        first_response_at=(received + timedelta(minutes=spec["fr_minutes"])
                           if spec["accepted"] != "pending" else None),
        resolution_due_at=(received + timedelta(hours=spec["res_due_hours"])
                           if accepted and spec["res_due_hours"] else None),
        resolved_at=resolved, closed_at=closed, outcome=spec["outcome"] if resolved else "",
        repeat_of=repeat_of, reopen_count=len(spec["reopens"]),
    )
    _event(complaint, "complaints.complaint.received", received)
    if accepted:
        _event(complaint, "complaints.complaint.accepted",
               received + timedelta(minutes=spec["fr_minutes"]))
        if spec["unit"] is not None:
            plan = HandlingPlan.objects.create(
                complaint=complaint, cause="OTHER", liability=spec["liability"],
                responsible_department=departments[spec["unit"]], solution_type="REPAIR",
                measures="m", deadline=received + timedelta(days=3), status="NOT_NEEDED",
                customer_decision="NOT_NEEDED", submitted_at=received)
            Complaint.objects.filter(pk=complaint.pk).update(current_plan=plan)
    if resolved:
        first_reply = resolved - timedelta(hours=sum(spec["reopens"]) + len(spec["reopens"]))
        moment = first_reply
        _event(complaint, "complaints.complaint.replied", moment)
        for hours in spec["reopens"]:
            moment = moment + timedelta(hours=hours)
            _event(complaint, "complaints.complaint.reopened", moment)
            moment = moment + timedelta(hours=1)
            _event(complaint, "complaints.complaint.replied", moment)
        for status, rating, solved, hours in spec["visits"]:
            sent = resolved + timedelta(hours=hours)
            FollowUp.objects.create(
                ticket=complaint, status=status, due_at=sent,
                sent_at=sent if status != "CANCELLED" else None,
                answered_at=sent + timedelta(hours=2) if status == "ANSWERED" else None,
                rating=rating if status == "ANSWERED" else None,
                problem_solved=solved if status == "ANSWERED" else None)
            _event(complaint, "aftersales.followup.sent", sent)
    if spec["excluded"]:
        KpiExclusion.objects.create(ticket=complaint, reason="TEST")
    return complaint


def _reset():
    KpiExclusion.objects.all().delete()
    Notification.objects.all().delete()
    Complaint.objects.all().update(current_plan=None, repeat_of=None)
    HandlingPlan.objects.all().delete()
    Ticket.objects.all().delete()
    KpiWatermark.objects.all().delete()
    rebuild_rollups()


periods = st.sampled_from([
    (date(2026, 3, 1), date(2026, 3, 31)),       # a whole month: month cells only
    (date(2026, 2, 25), date(2026, 4, 10)),      # days, a month, days
    (date(2026, 3, 10), date(2026, 3, 10)),      # one day
    (date(2026, 1, 1), date(2026, 6, 30)),       # everything
])
filter_sets = st.sampled_from([
    {}, {"channel": "HOTLINE"}, {"category": "QUAL"}, {"severity": "S4"}, {"kind": "COMPLAINT"},
    {"department": 0}, {"department": 1, "category": "LOGI"},
    # No cell keeps these combinations: summed from the facts.
    {"channel": "HOTLINE", "category": "QUAL"}, {"severity": "S2", "channel": "EMAIL"},
])


@hypothesis_settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])
@given(specs=st.lists(case, max_size=10), later=st.lists(case, max_size=4),
       period=periods, chosen=filter_sets)
def test_rollups_equal_the_direct_count_for_any_cases_period_and_filters(
        world, specs, later, period, chosen):
    _reset()
    made: list = []
    for spec in specs:
        made.append(make_case(spec, world, made))
    refresh_rollups()
    for spec in later:  # written after a refresh: folded in incrementally
        made.append(make_case(spec, world, made))
    refresh_rollups()

    values = dict(chosen)
    if "department" in values:
        values["department"] = world["departments"][values["department"]].pk
    filters = Filters(**values)
    rollup = kpi_summary(filters, *period, using="default")
    direct = direct_kpis(filters, *period)
    assert direct_matches(rollup, direct) == []
    assert rollup["sums"]["received"] == direct["received"]
    by_unit = {rate.department.pk: rate.rate.numerator
               for rate in kpi_summary(Filters(**{k: v for k, v in values.items()
                                                  if k != "department"}),
                                       *period, using="default")["complaint_rate_by_unit"]}
    direct_units = direct_kpis(Filters(**{k: v for k, v in values.items()
                                          if k != "department"}), *period)["liable_by_unit"]
    for department in world["departments"]:
        assert by_unit[department.pk] == direct_units.get(department.pk, 0)


def _fixed(minutes: int) -> dict:
    return {"received_minutes": minutes, "channel": "HOTLINE", "category": "QUAL",
            "department": minutes % 2, "severity": "S4", "accepted": "yes", "fr_minutes": 10,
            "fr_due_minutes": 60, "res_due_hours": 100, "resolved_hours": 50 + minutes % 100,
            "reopens": [], "closed": True, "outcome": "SOLVED", "unit": 0,
            "liability": "COMPANY", "visits": [("ANSWERED", 5, True, 5)], "repeat_of": None,
            "excluded": False}


CELL_COLUMNS = ("grain", "start", "kind", "category", "channel", "department_id", "severity",
                "unit_id", "received", "accepted", "res_due", "res_on_time", "closed",
                "closed_solved", "visits_rated", "cycle_seconds")


def test_refreshing_case_by_case_gives_the_same_cells_as_a_rebuild(world):
    made: list = []
    for minutes in range(0, 60 * 24 * 40, 60 * 24 * 3):
        made.append(make_case(_fixed(minutes), world, made))
        refresh_rollups()
    incremental = sorted(KpiCell.objects.values_list(*CELL_COLUMNS))
    call_command("rebuild_rollups", verbosity=0)
    rebuilt = sorted(KpiCell.objects.values_list(*CELL_COLUMNS))
    assert incremental == rebuilt
    assert {"D:department_id+channel", "M:", "M:category",
            "M:department_id+unit_id"} <= {row[0] for row in rebuilt}
    assert KpiCaseFact.objects.count() == len(made)


def test_an_event_committed_late_below_the_watermark_is_still_folded_in(world):
    make_case(_fixed(60), world, [])
    refresh_rollups()
    last = KpiWatermark.objects.get().last_event_id
    early, late = make_case(_fixed(120), world, []), make_case(_fixed(180), world, [])
    # ``late`` took the lower ids, but its transaction commits after ``early``'s.
    pending = list(TimelineEvent.objects.filter(ticket=late).order_by("pk"))
    TimelineEvent.objects.filter(ticket=late).delete()
    early_ids = list(TimelineEvent.objects.filter(ticket=early).order_by("pk")
                     .values_list("pk", flat=True))
    for offset, pk in enumerate(early_ids):
        TimelineEvent.objects.filter(pk=pk).update(id=last + 1 + len(pending) + offset)
    refresh_rollups()
    assert not KpiCaseFact.objects.filter(ticket_id=late.pk).exists()
    assert len(KpiWatermark.objects.get().gaps) == len(pending)

    for offset, event in enumerate(pending):
        event.id = last + 1 + offset
    TimelineEvent.objects.bulk_create(pending)
    refresh_rollups()
    assert KpiCaseFact.objects.filter(ticket_id=late.pk).exists()
    assert KpiWatermark.objects.get().gaps == {}
    assert kpi_summary(Filters(), date(2026, 2, 1), date(2026, 2, 28),
                       using="default")["sums"]["received"] == 3


def test_the_beat_task_folds_new_events_in_and_reports_what_it_did(world):
    from analytics.kpis.tasks import kpi_refresh

    make_case(_fixed(60), world, [])
    result = kpi_refresh.delay().get()
    assert result["tickets"] == 1 and result["events"] > 0 and not result["busy"]
    again = kpi_refresh.delay().get()
    assert again["events"] == 0 and again["days"] == 0


def test_only_the_days_a_change_touches_are_summed_again(world):
    case = make_case(_fixed(60), world, [])
    refresh_rollups()
    before = set(KpiCell.objects.values_list("grain", "start", "received", "closed"))
    # A note on the case changes none of its facts: no day is summed again.
    _event(case, "aftersales.ticket.note", BASE + timedelta(days=30))
    assert refresh_rollups().days == 0
    assert set(KpiCell.objects.values_list("grain", "start", "received", "closed")) == before
