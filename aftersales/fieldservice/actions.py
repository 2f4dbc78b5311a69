"""The actions of the staff job page: which are offered to whom, their forms, what they run.

An action is offered exactly when its service would accept it: the availability test is
the FSM transition's own conditions and permission (plus the case scope).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.cases.kinds import spawnable
from aftersales.cases.selectors import ticket_in_scope
from aftersales.cases.services import transition_allowed
from aftersales.core.choices import TicketKind

from . import forms as f
from . import services as s
from .choices import JobState, ServiceMode
from .models import FieldJob

S = JobState


@dataclass(frozen=True)
class Action:
    name: str
    label: object
    form: type[forms.Form]
    transition: str
    run: Callable[[FieldJob, dict, object], object]
    kinds: frozenset = frozenset({TicketKind.REPAIR, TicketKind.INSTALL})
    when: Callable[[FieldJob, object], bool] | None = None
    danger: bool = False


def _quote_possible(job: FieldJob, user) -> bool:
    return (job.state == S.TRIAGED and not job.free_of_charge and not job.quote_accepted
            and user.has_perm("fieldservice.triage_job"))


def _slots_possible(job: FieldJob, user) -> bool:
    return (job.state in (S.TRIAGED, S.PREPARED) and (job.free_of_charge or job.quote_accepted)
            and job.service_mode == ServiceMode.ON_SITE
            and user.has_perm("fieldservice.schedule_job"))


def _spawn_possible(job: FieldJob, user) -> bool:
    if not spawnable(TicketKind.RETURN):
        return False
    return bool(job.exchange_prompt) or s.job_warranty(job).owed_more_than_repair


def _work_possible(job: FieldJob, user) -> bool:
    """At the service centre (mail-in), or the technician dispatched to the job."""
    return (job.state in (S.IN_SERVICE, S.INSTALLING) and user.has_perm("fieldservice.work_job")
            and (job.service_mode == ServiceMode.MAIL_IN or job.assignee_id == user.pk))


def _receipt_possible(job: FieldJob, user) -> bool:
    return job.state == S.SHIPPED_BACK and user.has_perm("fieldservice.close_job")


def _version(data: dict) -> int:
    return data["version"]


ACTIONS: dict[str, Action] = {a.name: a for a in [
    Action("triage", _("Confirm fault and check warranty"), f.TriageForm, "triage",
           lambda j, d, u: s.job_triage(job_pk=j.pk, actor=u, version=_version(d),
                                        fault_type=d["fault_type"], genuine=d["genuine"],
                                        service_mode=d["service_mode"], note=d["note"]),
           kinds=frozenset({TicketKind.REPAIR})),
    Action("prepare", _("Prepared (needs, tools, parts)"), f.NoteOnlyForm, "prepare",
           lambda j, d, u: s.job_prepare(job_pk=j.pk, actor=u, version=_version(d),
                                         note=d["note"]),
           kinds=frozenset({TicketKind.INSTALL})),
    Action("quote", _("Send a written quote"), f.QuoteForm, "",
           lambda j, d, u: s.job_quote(job_pk=j.pk, actor=u, version=_version(d),
                                       parts_amount=d["parts_amount"],
                                       labour_amount=d["labour_amount"], note=d["note"]),
           kinds=frozenset({TicketKind.REPAIR}), when=_quote_possible),
    Action("offer_slots", _("Offer visit times to the customer"), f.SlotsForm, "",
           lambda j, d, u: s.job_offer_slots(job_pk=j.pk, kind=j.kind, actor=u,
                                             version=_version(d), slots=d["_slots"]),
           when=_slots_possible),
    Action("schedule", _("Agree the visit time (by phone)"), f.ScheduleForm, "schedule",
           lambda j, d, u: s.job_schedule(job_pk=j.pk, kind=j.kind, actor=u,
                                          version=_version(d), start=d["start"],
                                          end=d["end"])),
    Action("await_inbound", _("Ask the customer to send the unit"), f.NoteOnlyForm,
           "await_inbound",
           lambda j, d, u: s.job_await_inbound(job_pk=j.pk, actor=u, version=_version(d)),
           kinds=frozenset({TicketKind.REPAIR})),
    Action("receive_inbound", _("Unit received at the service centre"), f.ShipmentForm,
           "receive_inbound",
           lambda j, d, u: s.job_receive_inbound(job_pk=j.pk, actor=u, carrier=d["carrier"],
                                                 tracking=d["tracking"]),
           kinds=frozenset({TicketKind.REPAIR})),
    Action("record_work", _("Record cause and parts"), f.WorkForm, "",
           lambda j, d, u: s.job_record_work(job_pk=j.pk, kind=j.kind, actor=u,
                                             cause=d["cause"], parts=d["_parts"],
                                             uploads=d["files"]),
           when=_work_possible),
    Action("wait_for_parts", _("Waiting for spare parts"), f.NoteOnlyForm, "wait_for_parts",
           lambda j, d, u: s.job_wait_for_parts(job_pk=j.pk, actor=u),
           kinds=frozenset({TicketKind.REPAIR})),
    Action("ship_back", _("Ship the repaired unit back"), f.ShipmentForm, "ship_back",
           lambda j, d, u: s.job_ship_back(job_pk=j.pk, actor=u, carrier=d["carrier"],
                                           tracking=d["tracking"]),
           kinds=frozenset({TicketKind.REPAIR})),
    Action("confirm_receipt", _("Customer confirmed receipt (by phone)"), f.NoteOnlyForm, "",
           lambda j, d, u: s.job_customer_confirm_receipt(job_pk=j.pk, actor=u),
           kinds=frozenset({TicketKind.REPAIR}), when=_receipt_possible),
    Action("unassign", _("Take the technician off"), f.NoteOnlyForm, "unassign",
           lambda j, d, u: s.job_unassign(job_pk=j.pk, kind=j.kind, actor=u,
                                          version=_version(d))),
    Action("file_record", _("Service record received (T17)"), f.NoteOnlyForm, "file_record",
           lambda j, d, u: s.job_file_record(job_pk=j.pk, kind=j.kind, actor=u,
                                             version=_version(d))),
    Action("close", _("Close the job"), f.NoteOnlyForm, "close",
           lambda j, d, u: s.job_close(job_pk=j.pk, kind=j.kind, actor=u,
                                       version=_version(d))),
    Action("spawn_return", _("Start a return or exchange order"), f.SpawnForm, "hand_over",
           lambda j, d, u: s.job_spawn_return(job_pk=j.pk, actor=u, version=_version(d),
                                              request_type=d["request_type"],
                                              reason=d["reason"]),
           kinds=frozenset({TicketKind.REPAIR}), when=_spawn_possible),
    Action("cancel", _("Cancel the job"), f.ReasonForm, "cancel",
           lambda j, d, u: s.job_cancel(job_pk=j.pk, kind=j.kind, actor=u,
                                        version=_version(d), reason=d["reason"]),
           danger=True),
]}


def is_offered(action: Action, job: FieldJob, user) -> bool:
    if job.kind not in action.kinds:
        return False
    if action.transition:
        if not transition_allowed(job, action.transition, user):
            return False
    elif not ticket_in_scope(user, job):
        return False
    return action.when is None or action.when(job, user)


def available_actions(job: FieldJob, user) -> list[Action]:
    if job.is_read_only:
        return []
    return [a for a in ACTIONS.values() if is_offered(a, job, user)]


def action_form(action: Action, job: FieldJob, *, data=None, files=None) -> forms.Form:
    initial = {"version": job.version}
    if action.name == "triage":
        initial.update(service_mode=job.service_mode, genuine=True)
    form = action.form(data=data, files=files, prefix=action.name, initial=initial)
    return form


def cleaned_for_run(action: Action, form: forms.Form) -> dict:
    data = dict(form.cleaned_data)
    if isinstance(form, f.SlotsForm):
        data["_slots"] = form.slots()
    if isinstance(form, f.WorkForm):
        data["_parts"] = form.part_lines()
        data.setdefault("version", None)
    return data
