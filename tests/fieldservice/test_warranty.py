"""The triage's warranty check through the statutory engine (domain.md §7.3, table C).

Day 0 is the installation day when the seller installs (CPL-R Art. 18), else sign-for;
validity comes from the product; the unit's accepted repairs count. Each row of table C
that a repair job can meet is reached with the facts a real order carries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.fieldservice import services as s
from aftersales.fieldservice.choices import FaultType, ServiceMode
from aftersales.fieldservice.models import RepairJob
from aftersales.fieldservice.warranty import warranty_day_zero
from tests.factories import OrderLineFactory

pytestmark = pytest.mark.django_db


def _line(*, signed_days_ago, installed_days_ago=None, seller_installs=False, sanbao=True,
          validity=12, serial="SN-T"):
    now = timezone.now()
    return OrderLineFactory(
        product__category="Big appliances", product__in_sanbao_catalogue=sanbao,
        product__sanbao_validity_months=validity, product__warranty_months=validity,
        order__signed_at=now - timedelta(days=signed_days_ago),
        order__seller_installs=seller_installs, serial_number=serial,
        installed_at=(now - timedelta(days=installed_days_ago)
                      if installed_days_ago is not None else None))


@pytest.mark.parametrize(("seller_installs", "installed_days_ago", "day_zero_days_ago"), [
    (False, None, 100),   # sign-for
    (False, 20, 100),     # installed by someone else: sign-for still counts
    (True, 20, 20),       # the seller installed: installation day
])
def test_the_warranty_starts_at_installation_when_the_seller_installs(
        seller_installs, installed_days_ago, day_zero_days_ago):
    line = _line(signed_days_ago=100, installed_days_ago=installed_days_ago,
                 seller_installs=seller_installs)

    expected = timezone.localdate(timezone.now() - timedelta(days=day_zero_days_ago))
    assert warranty_day_zero(line) == expected


def test_a_seller_installed_unit_not_yet_installed_has_no_running_periods(report, agent):
    line = _line(signed_days_ago=100, seller_installs=True)
    job = report(line)
    s.job_triage(job_pk=job.pk, actor=agent, fault_type=FaultType.PERFORMANCE, genuine=True,
                 service_mode=ServiceMode.ON_SITE)
    # The engine treats an uninstalled seller-installed item as not yet started: day 0 is
    # the notice day, so the customer still has every early remedy.
    assert RepairJob.objects.get(pk=job.pk).eligibility_rule == "C1"


# (days since day 0, fault, prior accepted repairs, in catalogue, validity months,
#  expected rule, free, owed more than a repair)
TABLE_C = [
    ("C1 ≤ 7 days", 5, FaultType.PERFORMANCE, 0, True, 12, "C1", True, True),
    ("C2 8–15 days", 12, FaultType.PERFORMANCE, 0, True, 12, "C2", True, True),
    ("C3 later, < 2 repairs", 60, FaultType.PERFORMANCE, 1, True, 12, "C3", True, False),
    ("C4 two repairs, still failing", 60, FaultType.PERFORMANCE, 2, True, 12, "C4", True, True),
    ("C6 out of validity", 400, FaultType.PERFORMANCE, 0, True, 12, "C6", False, False),
    ("C7 human damage", 60, FaultType.HUMAN_DAMAGE, 0, True, 12, "C7", False, False),
]


@pytest.mark.parametrize(("row", "days", "fault", "repairs", "sanbao", "months", "rule",
                          "free", "owed_more"), TABLE_C, ids=[r[0] for r in TABLE_C])
def test_table_c_rows_through_the_engine(report, agent, row, days, fault, repairs, sanbao,
                                         months, rule, free, owed_more):
    line = _line(signed_days_ago=days, sanbao=sanbao, validity=months)
    earlier = []
    for _n in range(repairs):
        done = report(line)
        earlier.append(done.pk)
    RepairJob.objects.filter(pk__in=earlier).update(
        counted_repair=True, completed_at=timezone.now() - timedelta(days=45))
    job = report(line)

    s.job_triage(job_pk=job.pk, actor=agent, fault_type=fault, genuine=True,
                 service_mode=ServiceMode.ON_SITE)

    job = RepairJob.objects.get(pk=job.pk)
    view = s.job_warranty(job)
    assert job.eligibility_rule == rule
    assert job.unit_repair_count == repairs
    assert job.free_of_charge is free
    assert view.owed_more_than_repair is owed_more


def test_c5_repair_overrun_prompts_a_free_exchange(repair_in, tech):
    from aftersales.fieldservice.sweep import fieldservice_sweep

    job = repair_in("IN_SERVICE", technician=tech)
    fieldservice_sweep(now=timezone.now() + timedelta(days=31))

    job = RepairJob.objects.get(pk=job.pk)
    assert job.exchange_prompt == "T14"
    view = s.job_warranty(job)
    assert view.decision.rule == "C5" and "EXCHANGE" in view.decision.options


def test_a_counterfeit_is_never_free(report, agent):
    line = _line(signed_days_ago=60)
    job = report(line)

    s.job_triage(job_pk=job.pk, actor=agent, fault_type=FaultType.PERFORMANCE, genuine=False,
                 service_mode=ServiceMode.ON_SITE)

    assert not RepairJob.objects.get(pk=job.pk).free_of_charge
