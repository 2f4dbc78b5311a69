"""The field-service sweep (T17 records, T14/T15 free exchange) records each event once,
and table C's return or exchange is started through the kind registry, linked by origin."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.core.exceptions import DomainError
from aftersales.fieldservice import services as s
from aftersales.fieldservice.choices import FaultType, JobState, ServiceMode
from aftersales.fieldservice.models import RepairJob
from aftersales.fieldservice.sweep import fieldservice_sweep

pytestmark = pytest.mark.django_db


def test_an_unfiled_service_record_is_flagged_overdue_once(repair_in, tech):
    job = repair_in("ACCEPTED", technician=tech)
    late = job.record_due_at + timedelta(minutes=1)

    first = fieldservice_sweep(now=job.record_due_at - timedelta(minutes=1))
    second = fieldservice_sweep(now=late)
    third = fieldservice_sweep(now=late + timedelta(hours=1))

    assert first.record_overdue == [] and third.record_overdue == []
    assert second.record_overdue == [job.pk]
    assert RepairJob.objects.get(pk=job.pk).record_overdue
    assert job.events.filter(action="fieldservice.job.record_overdue").count() == 1


def test_a_filed_record_is_never_overdue(repair_in, tech):
    job = repair_in("RECORD_FILED", technician=tech)

    result = fieldservice_sweep(now=timezone.now() + timedelta(days=30))

    assert job.pk not in result.record_overdue


def test_time_waiting_on_the_customer_does_not_count_towards_t14(report, agent):
    from tests.factories import OrderLineFactory

    line = OrderLineFactory(product__in_sanbao_catalogue=True,
                            order__signed_at=timezone.now() - timedelta(days=60))
    job = report(line)
    s.job_triage(job_pk=job.pk, actor=agent, fault_type=FaultType.HUMAN_DAMAGE, genuine=True,
                 service_mode=ServiceMode.ON_SITE)
    s.job_quote(job_pk=job.pk, actor=agent, parts_amount=1, labour_amount=1, note="x")
    due = RepairJob.objects.get(pk=job.pk).repair_overrun_at

    assert fieldservice_sweep(now=due + timedelta(days=1)).t14 == []


def test_waiting_over_90_days_for_parts_prompts_a_free_exchange_t15(repair_in, tech):
    job = repair_in("IN_SERVICE", technician=tech)
    s.job_wait_for_parts(job_pk=job.pk, actor=tech.user)
    RepairJob.objects.filter(pk=job.pk).update(repair_overrun_at=None)

    result = fieldservice_sweep(now=timezone.now() + timedelta(days=91))

    assert result.t15 == [job.pk]
    assert RepairJob.objects.get(pk=job.pk).exchange_prompt == "T15"


def test_table_c_exchange_is_spawned_linked_by_origin(report, agent, fake_returns):
    from tests.factories import OrderLineFactory

    line = OrderLineFactory(product__in_sanbao_catalogue=True,
                            order__signed_at=timezone.now() - timedelta(days=10))
    job = report(line)
    s.job_triage(job_pk=job.pk, actor=agent, fault_type=FaultType.PERFORMANCE, genuine=True,
                 service_mode=ServiceMode.ON_SITE)

    spawned = s.job_spawn_return(job_pk=job.pk, actor=agent, request_type="EXCHANGE",
                                 reason="C2: exchange chosen")

    assert spawned.origin_id == job.pk
    assert fake_returns == [{"origin": job.pk, "reason": "C2: exchange chosen",
                             "order_line": line, "request_type": "EXCHANGE"}]
    assert RepairJob.objects.get(pk=job.pk).state == JobState.HANDED_OVER


def test_a_return_is_refused_where_table_c_gives_only_an_exchange(report, agent,
                                                                  fake_returns):
    from tests.factories import OrderLineFactory

    line = OrderLineFactory(product__in_sanbao_catalogue=True,
                            order__signed_at=timezone.now() - timedelta(days=10))
    job = report(line)
    s.job_triage(job_pk=job.pk, actor=agent, fault_type=FaultType.PERFORMANCE, genuine=True,
                 service_mode=ServiceMode.ON_SITE)

    with pytest.raises(DomainError):
        s.job_spawn_return(job_pk=job.pk, actor=agent, request_type="RETURN_REFUND",
                           reason="x")
    assert fake_returns == []


def test_nothing_is_spawned_where_a_repair_is_all_the_customer_is_owed(repair_in, tech,
                                                                       agent, fake_returns):
    job = repair_in("TRIAGED", technician=tech)

    with pytest.raises(DomainError):
        s.job_spawn_return(job_pk=job.pk, actor=agent, request_type="EXCHANGE", reason="x")
    assert fake_returns == []
