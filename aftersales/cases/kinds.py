"""Kinds of case: the one registration through which a domain app plugs into the kernel.

Each domain app describes its kind once, in its ``AppConfig.ready()``::

    register_kind(CaseKind(code="COMPLAINT", prefix="CP", label=_("Complaint"), ...))

The kernel (numbering, inbox, timeline, notifications, follow-ups, the sweep, the portal)
reaches a domain app only through this registry, so adding a kind touches only its app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import TextChoices
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.functional import Promise

if TYPE_CHECKING:
    from aftersales.cases.models import Ticket

# Called with ``ticket_pk=`` and the survey answer (``rating=``, ``satisfied=``, ...).
FeedbackHandler = Callable[..., Any]
# Called with ``ticket_pk=`` and ``follow_up=`` when the survey went unanswered.
NoResponseHandler = Callable[..., Any]
# Called with ``origin=`` (the case it comes from), ``actor=`` (an ``Actor``) and
# ``reason=`` plus kind-specific details; returns the new case, linked by ``origin``.
SpawnHandler = Callable[..., "Ticket"]
# How the keys of a timeline event's ``data`` are shown: label and, for codes, choices.
DetailFields = Mapping[str, tuple[Promise | str, type[TextChoices] | None]]


@dataclass(frozen=True)
class PortalEntry:
    """A choice on the customer portal's front door that starts a case of this kind."""

    label: Promise | str
    description: Promise | str
    url_name: str
    order: int = 100


@dataclass(frozen=True)
class NavLink:
    """A staff page of a kind in the top navigation, shown to those with ``permission``.

    Links with ``new_case`` set go under "New case"; the others stand on the bar.
    """

    label: Promise | str
    url_name: str
    permission: str = ""
    new_case: bool = False
    order: int = 100


@dataclass(frozen=True)
class DemoSeeding:
    """How ``manage.py seed_demo`` makes demo cases of a kind."""

    option: str  # the command-line option giving how many, e.g. "complaints"
    default: int
    help: str
    run: Callable[..., None]  # run(world, count): writes the cases on the demo world
    present: Callable[[], bool]  # whether demo cases of this kind exist already


@dataclass(frozen=True)
class CaseKind:
    """Everything the kernel needs to know about one kind of case."""

    code: str
    prefix: str
    label: Promise | str
    label_plural: Promise | str
    # "app_label.ModelName" of the concrete case model (a multi-table child of Ticket).
    model: str
    # Named URL of the staff case page; takes the case number.
    detail_url_name: str
    # One line saying what a case is about, for the inbox (stored on the ticket).
    subject: Callable[[Ticket], str]
    tracking_template: str = ""
    # Named URL of the customer's tracking page; takes the tracking token.
    tracking_url_name: str = ""
    on_feedback: FeedbackHandler | None = None
    on_no_response: NoResponseHandler | None = None
    timeline_actions: Mapping[str, Promise | str] = field(default_factory=dict)
    detail_fields: DetailFields = field(default_factory=dict)
    notification_labels: Mapping[str, Promise | str] = field(default_factory=dict)
    # Labels of the kind's states, for pages that list several kinds.
    states: type[TextChoices] | None = None
    # States in which a case waits for a supervisor's approval, or on the customer.
    state_colours: Mapping[str, str] = field(default_factory=dict)
    approval_states: frozenset[str] = frozenset()
    customer_wait_states: frozenset[str] = frozenset()
    return_visit_states: frozenset[str] = frozenset()
    portal_entry: PortalEntry | None = None
    demo: DemoSeeding | None = None
    spawn: SpawnHandler | None = None
    nav_links: tuple[NavLink, ...] = ()

    def model_class(self) -> type[Ticket]:
        return apps.get_model(self.model)

    def state_label(self, state: str) -> str:
        if self.states is not None:
            try:
                return str(self.states(state).label)
            except ValueError:
                pass
        return state

    def case_path(self, number: str) -> str:
        # Reversed once per URL prefix, then filled in: lists link every row to its case.
        key = (self.detail_url_name, get_script_prefix())
        template = _CASE_PATHS.get(key)
        if template is None:
            try:
                template = reverse(self.detail_url_name, args=[_SAMPLE_NUMBER])
            except NoReverseMatch:
                template = ""
            _CASE_PATHS[key] = template
        return template.replace(_SAMPLE_NUMBER, number, 1) if template else ""

    def tracking_path(self, token: str) -> str:
        if not self.tracking_url_name:
            return ""
        try:
            return reverse(self.tracking_url_name, args=[token])
        except NoReverseMatch:
            return ""


_KINDS: dict[str, CaseKind] = {}
# A number no case has, to reverse a case page's URL once and fill in the real number.
_SAMPLE_NUMBER = "ZZ-19700101-0000"
_CASE_PATHS: dict[tuple[str, str], str] = {}


class UnknownKind(LookupError):
    pass


def register_kind(kind: CaseKind) -> CaseKind:
    """Add a kind; registering the same code again replaces it (tests, reloads)."""
    for other in _KINDS.values():
        if other.prefix == kind.prefix and other.code != kind.code:
            raise ValueError(f"number prefix {kind.prefix} is already used by {other.code}")
    _KINDS[kind.code] = kind
    return kind


def unregister_kind(code: str) -> None:
    _KINDS.pop(code, None)


def get_kind(code: str) -> CaseKind:
    try:
        return _KINDS[code]
    except KeyError:
        raise UnknownKind(code) from None


def find_kind(code: str) -> CaseKind | None:
    return _KINDS.get(code)


def registered_kinds() -> list[CaseKind]:
    return list(_KINDS.values())


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.code, str(kind.label)) for kind in _KINDS.values()]


def nav_links_for(user) -> tuple[list[NavLink], list[NavLink]]:
    """(new-case links, other links) of every kind that this person may open."""
    links = sorted((link for kind in _KINDS.values() for link in kind.nav_links
                    if not link.permission or user.has_perm(link.permission)),
                   key=lambda link: link.order)
    return [link for link in links if link.new_case], [link for link in links
                                                       if not link.new_case]


def spawnable(code: str) -> bool:
    """Whether a case of this kind can be started from another case (the kind exists)."""
    kind = find_kind(code)
    return kind is not None and kind.spawn is not None


def spawn_case(code: str, *, origin: Ticket, actor: Any, reason: str = "",
               **details: Any) -> Ticket:
    """Start a case of another kind from ``origin``, without importing that kind's app."""
    kind = get_kind(code)
    if kind.spawn is None:
        raise UnknownKind(code)
    return kind.spawn(origin=origin, actor=actor, reason=reason, **details)


def portal_entries() -> list[PortalEntry]:
    entries = [kind.portal_entry for kind in _KINDS.values() if kind.portal_entry]
    return sorted(entries, key=lambda entry: entry.order)


def all_timeline_actions() -> dict[str, Promise | str]:
    labels: dict[str, Promise | str] = {}
    for kind in _KINDS.values():
        labels.update(kind.timeline_actions)
    return labels


def detail_fields_for(action: str) -> dict:
    """How the facts of an event are shown: its own kind's fields first, when the action
    belongs to one kind, so one kind's key never relabels another's."""
    fields = all_detail_fields()
    for kind in _KINDS.values():
        if action in kind.timeline_actions:
            return {**fields, **kind.detail_fields}
    return fields


def all_detail_fields() -> dict:
    fields: dict = {}
    for kind in _KINDS.values():
        fields.update(kind.detail_fields)
    return fields


def all_notification_labels() -> dict[str, Promise | str]:
    labels: dict[str, Promise | str] = {}
    for kind in _KINDS.values():
        labels.update(kind.notification_labels)
    return labels


def ticket_subject(ticket: Ticket) -> str:
    """The kind's one-line subject for this case, cut to the stored column's size."""
    kind = find_kind(ticket.kind)
    if kind is None or not isinstance(ticket, kind.model_class()):
        # Only the concrete case knows its subject; a bare Ticket keeps the stored one.
        return ticket.subject
    return " ".join(kind.subject(ticket).split())[:200]


def approval_states() -> set[str]:
    return {state for kind in _KINDS.values() for state in kind.approval_states}


def customer_wait_states() -> set[str]:
    return {state for kind in _KINDS.values() for state in kind.customer_wait_states}


def return_visit_states() -> set[str]:
    return {state for kind in _KINDS.values() for state in kind.return_visit_states}
