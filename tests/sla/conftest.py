from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from aftersales.notifications import sms
from aftersales.sla.calendar import BusinessCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    """An aware Asia/Shanghai datetime: local(2026, 10, 9, 17, 50)."""
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def cal() -> BusinessCalendar:
    """The default calendar: Monday–Friday 09:00–18:00, Chinese holidays and 调休."""
    return BusinessCalendar()


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    settings.SMS_BACKEND = "aftersales.notifications.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def complaint_to_await_customer(*, agent, handler, quality_dept, severity="S4"):
    """A complaint classified, handled and waiting for the customer's consent to a refund."""
    from datetime import timedelta

    from django.utils import timezone

    from complaints import services as s
    from tests.factories import intake

    checks = {"check_identity": True, "check_order": True, "check_facts": True,
              "check_remit": True}
    c = s.complaint_register(intake=intake(), actor=None)
    c = s.complaint_accept(complaint_pk=c.pk, version=c.version, actor=agent, checklist=checks)
    c = s.complaint_classify(complaint_pk=c.pk, version=c.version, actor=agent,
                             category="QUAL", subcategory="FUNC", severity=severity,
                             department=quality_dept, assignee=handler)
    c = s.complaint_start_handling(complaint_pk=c.pk, version=c.version, actor=handler,
                                   acknowledgement="Looking into it.",
                                   expected_by=timezone.now() + timedelta(days=3))
    c = s.complaint_submit_plan(
        complaint_pk=c.pk, version=c.version, actor=handler,
        plan=s.PlanInput(cause="QUALITY_DEFECT", nature="PRODUCTION", liability="COMPANY",
                         responsible_department=quality_dept, solution_type="REFUND",
                         measures="Refund the kettle.",
                         deadline=timezone.now() + timedelta(days=2)),
    )
    return s.complaint_request_confirmation(complaint_pk=c.pk, version=c.version,
                                            actor=handler, message="We propose a refund.")


def complaint_replied(*, agent, handler, quality_dept, severity="S4", **intake_overrides):
    """A complaint whose result was replied to the customer (a return visit is scheduled)."""
    from complaints import services as s
    from tests.factories import proposal_of

    c = complaint_to_await_customer(agent=agent, handler=handler, quality_dept=quality_dept,
                                    severity=severity)
    c = s.complaint_customer_decide(complaint_pk=c.pk, **proposal_of(c), agree=True)
    return s.complaint_reply(complaint_pk=c.pk, version=c.version, actor=agent,
                             text="We refunded the kettle.", outcome="SOLVED")


@pytest.fixture(autouse=True)
def _fresh_sla_configuration():
    """Policies and calendar are cached per process; each test starts from its own rows."""
    from aftersales.sla.calendar import configuration_changed

    configuration_changed()
    yield
    configuration_changed()


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the English wording; pages follow LANGUAGE_CODE without a browser."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
