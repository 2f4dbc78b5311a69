"""The ledger's filters: the form that reads them from the URL, and what the selector gets.

Every filter travels in the query string, so a view can be bookmarked, saved and exported
as it is shown. The one exception is the customer's phone number, personal data that must
not appear in URLs, browser history or server logs: the page posts it, and the URL then
carries an opaque token instead. The token is the number's keyed lookup hash, encrypted
(so two searches for the same number give different tokens) and signed with a time limit
(``LEDGER_PHONE_SEARCH_MAX_AGE_SECONDS``). Unlike a search kept in the session, it works
in several tabs at once and in the export form; it is never kept in a saved view.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core import signing
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from aftersales.core.choices import Channel, Severity, Stage, TicketKind
from aftersales.core.widgets import FastSelect
from aftersales.people import crypto
from aftersales.people.selectors import department_choices, staff_name_choices
from complaints.choices import Category, Outcome, State, SubCategory

from .kinds import ledger_kinds

PHONE_TOKEN_SALT = "analytics.ledger.phone-search"  # nosec B105: a signing salt that names its use, not a secret
PERIODS = {"received": "received_at", "replied": "replied_at", "closed": "closed_at"}
SORTS = PERIODS
SATISFACTION = {
    "satisfied": (4, 5),
    "neutral": (3, 3),
    "dissatisfied": (1, 2),
}
# Keys of the query string that are filters (pagination cursors and the phone token apart).
CURSOR_KEYS = ("after", "before")
PHONE_KEY = "pt"


@dataclass(frozen=True)
class LedgerFilters:
    """What the ledger is asked to show; plain values, so an export job can keep them."""

    kind: str = TicketKind.COMPLAINT
    period: str = "received"
    date_from: date | None = None
    date_to: date | None = None
    channel: str = ""
    category: str = ""
    subcategory: str = ""
    severity: str = ""
    stage: str = ""
    state: str = ""
    department: int | None = None
    responsible: int | None = None
    handler: int | None = None
    outcome: str = ""
    satisfaction: str = ""
    repeat: str = ""
    overdue: str = ""
    regulator: str = ""
    product: str = ""
    number: str = ""
    phone_hash: str = ""
    # A phone search whose token expired or was tampered with finds nothing.
    phone_invalid: bool = False
    sort: str = "received"
    descending: bool = True

    def as_json(self) -> dict:
        data = asdict(self)
        for key in ("date_from", "date_to"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict) -> LedgerFilters:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("date_from", "date_to"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        return cls(**values)

    @property
    def sort_field(self) -> str:
        return SORTS[self.sort]


# --- the phone search token ---------------------------------------------------------------

def phone_search_token(phone: str) -> str:
    """An opaque, expiring token standing for a search by this phone number."""
    digest = crypto.lookup_hash(crypto.normalize_phone(phone))
    return signing.dumps(crypto.encrypt(digest), salt=PHONE_TOKEN_SALT)


def phone_hash_from_token(token: str) -> str | None:
    try:
        encrypted = signing.loads(token, salt=PHONE_TOKEN_SALT,
                                  max_age=settings.LEDGER_PHONE_SEARCH_MAX_AGE_SECONDS)
    except signing.BadSignature:  # also an expired one
        return None
    if not isinstance(encrypted, str):
        return None
    try:
        return crypto.decrypt(encrypted) or None
    except Exception:  # a token no configured key decrypts (e.g. after a key change)
        return None


# --- the form -----------------------------------------------------------------------------

YES_NO = [("", _("All")), ("yes", _("Yes")), ("no", _("No"))]


def _blank(choices) -> list:
    return [("", _("All")), *choices]


class LedgerFilterForm(forms.Form):
    """The filter bar. Read from GET; a field with a wrong value is ignored and flagged."""

    kind = forms.ChoiceField(label=_("Kind of case"), required=False)
    period = forms.ChoiceField(label=_("Period of"), required=False, choices=[
        ("received", _("Received")), ("replied", _("Replied")), ("closed", _("Closed")),
    ])
    date_from = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=_blank(Channel.choices))
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=_blank(Category.choices))
    subcategory = forms.ChoiceField(label=_("Sub-category"), required=False,
                                    choices=_blank(SubCategory.choices))
    severity = forms.ChoiceField(label=_("Severity"), required=False,
                                 choices=_blank(Severity.choices))
    stage = forms.ChoiceField(label=_("Stage"), required=False, choices=_blank(Stage.choices))
    state = forms.ChoiceField(label=_("State"), required=False, choices=_blank(State.choices))
    # Plain choices filled in __init__ from the kernel's cached pickers.
    department = forms.TypedChoiceField(label=_("Responsible department"), required=False,
                                        coerce=int, empty_value=None)
    responsible = forms.TypedChoiceField(label=_("Responsible person"), required=False,
                                         coerce=int, empty_value=None)
    handler = forms.TypedChoiceField(label=_("Handler"), required=False, coerce=int,
                                     empty_value=None)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=_blank(Outcome.choices))
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), required=False, choices=_blank([
        ("satisfied", _("Satisfied (4–5)")), ("neutral", _("Neutral (3)")),
        ("dissatisfied", _("Not satisfied (1–2)")), ("unrated", _("Not rated")),
    ]))
    repeat = forms.ChoiceField(label=_("Repeat complaint"), required=False, choices=YES_NO)
    overdue = forms.ChoiceField(label=_("Overdue"), required=False, choices=YES_NO)
    regulator = forms.ChoiceField(label=_("Regulator transfer"), required=False, choices=YES_NO)
    product = forms.CharField(label=_("Product SKU"), required=False, max_length=64)
    q = forms.CharField(label=_("Case or order number"), required=False, max_length=64)
    pt = forms.CharField(required=False, widget=forms.HiddenInput, max_length=1000)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=[
        ("received", _("Received")), ("replied", _("Replied")), ("closed", _("Closed")),
    ])
    dir = forms.ChoiceField(label=_("Sort direction"), required=False, choices=[
        ("desc", _("Newest first")), ("asc", _("Oldest first")),
    ])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if type(field.widget) is forms.Select:
                field.widget = FastSelect(attrs=field.widget.attrs, choices=field.choices)
        self.fields["kind"].choices = [(code, kind.label) for code, kind in ledger_kinds().items()]
        self.fields["department"].choices = _blank(department_choices())
        people = _blank(staff_name_choices())
        self.fields["responsible"].choices = people
        self.fields["handler"].choices = people
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault(
                "class", "form-select form-select-sm" if select else "form-control form-control-sm"
            )

    def clean_pt(self) -> str:
        token = self.cleaned_data.get("pt", "")
        if token and phone_hash_from_token(token) is None:
            raise forms.ValidationError(
                _("The phone number search has expired. Search for the number again."))
        return token

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> LedgerFilters:
        """The valid filters; call after ``is_valid()``. Invalid fields count as unset."""
        data = self.cleaned_data
        token = data.get("pt", "")
        phone_invalid = PHONE_KEY in self.errors
        return LedgerFilters(
            kind=data.get("kind") or TicketKind.COMPLAINT,
            period=data.get("period") or "received",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            channel=data.get("channel", ""),
            category=data.get("category", ""),
            subcategory=data.get("subcategory", ""),
            severity=data.get("severity", ""),
            stage=data.get("stage", ""),
            state=data.get("state", ""),
            department=data.get("department"),
            responsible=data.get("responsible"),
            handler=data.get("handler"),
            outcome=data.get("outcome", ""),
            satisfaction=data.get("satisfaction", ""),
            repeat=data.get("repeat", ""),
            overdue=data.get("overdue", ""),
            regulator=data.get("regulator", ""),
            product=(data.get("product") or "").strip(),
            number=(data.get("q") or "").strip(),
            phone_hash=(phone_hash_from_token(token) or "") if token else "",
            phone_invalid=phone_invalid,
            sort=data.get("sort") or "received",
            descending=(data.get("dir") or "desc") == "desc",
        )


def filter_form(params: QueryDict) -> LedgerFilterForm:
    form = LedgerFilterForm(params)
    form.is_valid()
    return form


def filters_from_query(query: str) -> LedgerFilters:
    return filter_form(QueryDict(query)).filters()


def clean_query(params: QueryDict, *, keep_phone: bool = True) -> str:
    """The query string of the filters that are set, without cursors (and phone token)."""
    names = set(LedgerFilterForm.base_fields)
    if not keep_phone:
        names.discard(PHONE_KEY)
    pairs = [(key, value) for key, value in params.items()
             if key in names and value not in ("", None)]
    return urlencode(pairs)


def has_phone_search(params: QueryDict) -> bool:
    return bool(params.get(PHONE_KEY))
