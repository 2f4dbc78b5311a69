from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import services as s
from complaints.choices import State
from complaints.models import Complaint
from tests.factories import intake


@pytest.mark.django_db
def test_whole_lifecycle_through_services(agent, handler, supervisor, quality_dept):
    c = s.complaint_register(intake=intake(), actor=None)
    assert c.state == State.REGISTERED and c.number.startswith("CP-")
    c = s.complaint_accept(complaint_pk=c.pk, version=c.version, actor=agent,
                           checklist={"a": True})
    c = s.complaint_classify(complaint_pk=c.pk, version=c.version, actor=agent, category="QUAL",
                             subcategory="FUNC", severity="S2", department=quality_dept,
                             assignee=handler)
    c = s.complaint_start_handling(complaint_pk=c.pk, version=c.version, actor=handler,
                                   acknowledgement="ok",
                                   expected_by=timezone.now() + timedelta(days=1))
    c = s.complaint_submit_plan(complaint_pk=c.pk, version=c.version, actor=handler,
                                plan=s.PlanInput(cause="QUALITY_DEFECT", nature="PRODUCTION",
                                                 liability="COMPANY",
                                                 responsible_department=quality_dept,
                                                 solution_type="REPAIR", measures="Repair",
                                                 deadline=timezone.now() + timedelta(days=2)))
    assert c.state == State.PLAN_APPROVAL
    c = s.complaint_decide_plan(complaint_pk=c.pk, version=c.version, actor=supervisor,
                                approve=True)
    c = s.complaint_reply(complaint_pk=c.pk, version=c.version, actor=agent, text="Fixed",
                          outcome="SOLVED")
    assert c.state == State.RESOLVED
    c = s.complaint_record_feedback(complaint_pk=c.pk, actor=None, satisfied=True, rating=5,
                                    comment="", method="ONLINE")
    c = s.complaint_archive(complaint_pk=c.pk, version=c.version, actor=agent)
    c = Complaint.objects.get(pk=c.pk)
    assert c.state == State.CLOSED and not c.is_open
    assert c.events.count() >= 10
