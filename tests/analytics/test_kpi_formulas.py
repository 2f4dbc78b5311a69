"""Each KPI of domain.md §9: the ratio itself, then the edge cases through the real services."""

from decimal import Decimal

import pytest

from analytics.kpis import formulas as f
from analytics.kpis.buckets import EDGES_SECONDS, bucket_of, quantile_seconds
from analytics.kpis.services import kpi_exclusion_clear, kpi_exclusion_set
from analytics.models import KpiExclusion
from complaints import services as s
from tests.factories import DepartmentFactory, OrderFactory, proposal_of

from .conftest import APRIL, MARCH, kpis, local, ratio


def sums(**values):
    return {**f.empty_sums(), **values}


@pytest.mark.parametrize(("formula", "values", "expected"), [
    (f.timeliness, {"res_on_time": 3, "res_due": 4}, (3, 4, Decimal("0.7500"))),
    (f.timeliness, {"res_on_time": 0, "res_due": 0}, (0, 0, None)),
    (f.first_response, {"fr_on_time": 2, "fr_due": 3}, (2, 3, Decimal("0.6667"))),
    (f.first_response, {}, (0, 0, None)),
    (f.resolution, {"closed_solved": 1, "closed": 3}, (1, 3, Decimal("0.3333"))),
    (f.resolution, {"closed_solved": 0, "closed": 0}, (0, 0, None)),
    (f.satisfaction, {"visits_satisfied": 9, "visits_rated": 10}, (9, 10, Decimal("0.9000"))),
    (f.satisfaction, {"visits_satisfied": 0, "visits_rated": 0}, (0, 0, None)),
    (f.survey_response_rate, {"visits_rated": 1, "visits_attempted": 8},
     (1, 8, Decimal("0.1250"))),
    (f.repeat_rate, {"repeat": 1, "accepted": 6}, (1, 6, Decimal("0.1667"))),
    (f.repeat_rate, {"repeat": 0, "accepted": 0}, (0, 0, None)),
    (f.reopen_rate, {"resolved_reopened": 1, "resolved": 2}, (1, 2, Decimal("0.5000"))),
])
def test_ratio_kpis_divide_numerator_by_denominator_and_are_null_on_zero(formula, values,
                                                                          expected):
    assert ratio(formula(sums(**values))) == expected


@pytest.mark.parametrize(("complaints", "volume", "expected"), [
    (3, 2000, Decimal("1.5000")),
    (1, 3, Decimal("333.3333")),
    (0, 500, Decimal("0.0000")),
    (4, 0, None),
])
def test_complaint_rate_is_per_thousand_of_the_units_volume(complaints, volume, expected):
    assert f.unit_rate(complaints, volume).value == expected
    assert f.unit_rate(complaints, volume).as_json()["value"] == (
        None if expected is None else float(expected))


@pytest.mark.parametrize(("seconds", "bucket"), [
    (0, 0), (EDGES_SECONDS[0] - 1, 0), (EDGES_SECONDS[0], 1), (10**9, len(EDGES_SECONDS)),
])
def test_a_duration_falls_in_the_bucket_below_its_upper_edge(seconds, bucket):
    assert bucket_of(seconds) == bucket


def test_p90_interpolates_inside_the_bucket_and_is_null_when_empty():
    histogram = [0] * (len(EDGES_SECONDS) + 1)
    assert quantile_seconds(histogram) is None
    histogram[2] = 10  # ten durations between 30 and 60 minutes
    assert quantile_seconds(histogram) == 1800 + 1800 * 0.9
    histogram[-1] = 100  # mostly beyond the last edge: "at least" that long
    assert quantile_seconds(histogram) == EDGES_SECONDS[-1]


# --- edge cases through the services ----------------------------------------------------

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kpi_own_cache")]


def test_no_cases_gives_every_kpi_a_null_value():
    summary = kpis()
    for key, _formula in f.RATIO_KPIS:
        assert summary[key].denominator == 0 and summary[key].value is None
    assert summary["response_time"].mean_hours is None
    assert summary["cycle_time"].p90_hours is None


def test_timeliness_counts_cases_due_in_the_period_replied_by_the_due_time(build, at):
    with at(2026, 3, 2, 10):
        build("CLOSED")                  # replied at once: on time
        late = build("IN_PROGRESS")      # due 7 days later, never replied
    with at(2026, 3, 20, 10):
        pass
    summary = kpis()
    assert ratio(summary["timeliness"]) == (1, 2, Decimal("0.5000"))
    assert ratio(summary["first_response"]) == (2, 2, Decimal("1.0000"))
    assert late.resolution_due_at.month == 3


def test_a_case_due_next_month_counts_in_the_month_it_is_due(build, at):
    with at(2026, 3, 29, 10):
        build("IN_PROGRESS")  # resolution due 5 April
    assert kpis(MARCH)["timeliness"].denominator == 0
    assert kpis(APRIL)["timeliness"].denominator == 1


def test_time_waiting_for_the_customer_is_not_counted_against_timeliness(build, at, agent):
    with at(2026, 3, 2, 10):
        waiting = build("AWAIT_CUSTOMER")        # resolution due 9 March
    with at(2026, 3, 12, 10):                    # the customer answers 10 days later
        s.complaint_customer_decide(complaint_pk=waiting.pk, **proposal_of(waiting), agree=True)
    with at(2026, 3, 13, 10):
        fresh = s.complaint_reply(complaint_pk=waiting.pk, version=None, actor=agent,
                                  text="Refunded.", outcome="SOLVED")
    assert fresh.resolved_at > local(2026, 3, 9, 10)  # later than the original due time
    assert ratio(kpis()["timeliness"]) == (1, 1, Decimal("1.0000"))


def _reopen_and_close_again(complaint, *, supervisor, agent, handler, reply_at, at):
    with at(*reply_at):
        s.complaint_reopen(complaint_pk=complaint.pk, version=None, actor=supervisor,
                           reason="The customer called back.")
        s.complaint_resume(complaint_pk=complaint.pk, version=None, actor=handler)
        s.complaint_reply(complaint_pk=complaint.pk, version=None, actor=agent,
                          text="Fixed again.", outcome="SOLVED")
        s.complaint_record_feedback(complaint_pk=complaint.pk, actor=None, satisfied=True,
                                    rating=5, comment="", method="ONLINE")
        s.complaint_archive(complaint_pk=complaint.pk, version=None, actor=agent)


@pytest.mark.parametrize(("days_later", "solved"), [(14, 0), (15, 0), (16, 1)])
def test_a_case_reopened_within_15_days_of_its_reply_is_not_solved(
        build, at, supervisor, agent, handler, days_later, solved):
    with at(2026, 3, 2, 10):
        closed = build("CLOSED")
    _reopen_and_close_again(closed, supervisor=supervisor, agent=agent, handler=handler,
                            reply_at=(2026, 3, 2 + days_later, 10), at=at)
    summary = kpis()
    assert ratio(summary["resolution"])[:2] == (solved, 1)
    assert f.reopen_rate(summary["sums"]).numerator == 1


def test_a_case_reopened_after_archiving_leaves_the_closed_count_until_archived_again(
        build, at, supervisor):
    with at(2026, 3, 2, 10):
        closed = build("CLOSED")
    assert kpis()["resolution"].denominator == 1
    with at(2026, 3, 5, 10):
        s.complaint_reopen(complaint_pk=closed.pk, version=None, actor=supervisor,
                           reason="Broken again.")
    assert kpis()["resolution"].denominator == 0


def test_not_liable_outcomes_count_in_the_resolution_denominator_only(build, at, agent,
                                                                       quality_dept):
    with at(2026, 3, 2, 10):
        analysing = build("ANALYSING")
        s.complaint_reply(complaint_pk=analysing.pk, version=None, actor=agent,
                          text="Damage by use, not a defect.", outcome="NOT_LIABLE")
        s.complaint_record_feedback(complaint_pk=analysing.pk, actor=None, satisfied=True,
                                    rating=4, comment="", method="ONLINE")
        s.complaint_archive(complaint_pk=analysing.pk, version=None, actor=agent)
        build("CLOSED")
        OrderFactory.create_batch(4, placed_at=local(2026, 3, 3, 9), signed_at=None)
    summary = kpis()
    assert ratio(summary["resolution"]) == (1, 2, Decimal("0.5000"))
    rates = {rate.department.code: rate.rate for rate in summary["complaint_rate_by_unit"]}
    # 1 liable complaint (the NOT_LIABLE one is left out) per 1,000 of 4 orders sold.
    assert ratio(rates[quality_dept.code]) == (1, 4, Decimal("250.0000"))


def test_satisfaction_counts_ratings_of_4_and_5_among_rated_visits(build, at, agent):
    with at(2026, 3, 2, 10):
        build("CLOSED")                          # rated 5 online
        replied = build("RESOLVED")
        s.complaint_record_feedback(complaint_pk=replied.pk, actor=agent, satisfied=True,
                                    rating=3, comment="So-so.", method="PHONE")
        build("RESOLVED")                        # survey scheduled, not yet attempted
    summary = kpis()
    assert ratio(summary["satisfaction"]) == (1, 2, Decimal("0.5000"))
    assert ratio(summary["survey_response"]) == (2, 2, Decimal("1.0000"))


def test_a_repeat_across_a_month_boundary_counts_in_the_month_it_was_accepted(build, at):
    with at(2026, 3, 30, 10):
        build("IN_PROGRESS")
    with at(2026, 4, 2, 10):
        repeat = build("CLASSIFIED")  # same customer and category, the first still open
    assert repeat.repeat_of_id is not None
    assert ratio(kpis(MARCH)["repeat"]) == (0, 1, Decimal("0.0000"))
    assert ratio(kpis(APRIL)["repeat"]) == (1, 1, Decimal("1.0000"))


def test_test_data_merged_duplicates_and_withdrawn_cases_are_left_out(build, at, supervisor):
    with at(2026, 3, 2, 10):
        kept = build("CLOSED")
        test_case = build("CLOSED")
        duplicate = build("REGISTERED")
        s.complaint_reject(complaint_pk=duplicate.pk, version=None, actor=supervisor,
                           reason="DUPLICATE", reply="Merged with your earlier complaint.")
    assert kpis()["sums"]["received"] == 2  # the merged duplicate is never counted
    kpi_exclusion_set(ticket=test_case, reason=KpiExclusion.Reason.TEST, actor=supervisor)
    summary = kpis()
    assert summary["sums"]["received"] == 1
    assert ratio(summary["resolution"]) == (1, 1, Decimal("1.0000"))
    assert kept.pk != test_case.pk
    kpi_exclusion_clear(ticket=test_case)  # counted again
    assert kpis()["sums"]["received"] == 2


def test_complaint_rates_measure_delivery_units_against_orders_delivered(build, at):
    warehouse = DepartmentFactory(code="wh-u", name="Warehouse", kind="WH")
    with at(2026, 3, 2, 10):
        OrderFactory.create_batch(2, placed_at=local(2026, 2, 20, 9),
                                  signed_at=local(2026, 3, 2, 9))
    rates = {r.department.code: r for r in kpis()["complaint_rate_by_unit"]}
    assert rates[warehouse.code].basis == "orders_delivered"
    assert ratio(rates[warehouse.code].rate) == (0, 2, Decimal("0.0000"))


def test_response_time_runs_to_the_first_response_and_cycle_time_to_the_reply(
        build, at, agent):
    with at(2026, 3, 2, 10):
        complaint = build("IN_PROGRESS")   # accepted (first response) at once
    with at(2026, 3, 4, 16):               # replied 2 days 6 hours after it was received
        s.complaint_reply(complaint_pk=complaint.pk, version=None, actor=agent,
                          text="Repaired.", outcome="SOLVED")
    summary = kpis()
    assert summary["response_time"].count == 1
    assert summary["response_time"].mean_hours == Decimal("0.0000")
    assert summary["cycle_time"].count == 1
    assert summary["cycle_time"].mean_hours == Decimal("54.0000")
    # P90 of one 54-hour case, read from the 48–72 h bucket.
    assert Decimal(48) < summary["cycle_time"].p90_hours <= Decimal(72)
