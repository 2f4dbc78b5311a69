"""Form pieces shared by every kind of case."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from aftersales.cases.uploads import allowed_upload_help, check_uploads
from aftersales.core.choices import Channel, Severity, SlaStatus, Stage
from aftersales.core.exceptions import InvalidUpload
from aftersales.core.widgets import FastSelect

PHONE_RE = re.compile(r"^(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def validate_phone(value: str) -> None:
    if value and not PHONE_RE.match(value.replace(" ", "")):
        raise ValidationError(
            _("Enter a mainland China mobile number (11 digits, e.g. 13812345678) "
              "or a landline with area code (e.g. 010-12345678)."),
            code="phone",
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Several evidence files; type and size are checked on the content."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Evidence files"))
        kwargs.setdefault("help_text", allowed_upload_help)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", "image/*,application/pdf,video/*")

    def clean(self, data, initial=None):
        single = super().clean
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [single(item, initial) for item in files if item]
        try:
            return check_uploads(cleaned)
        except InvalidUpload as error:
            raise ValidationError(str(error.message), code="upload") from error


class HoneypotMixin(forms.Form):
    """A field people never see and bots fill in."""

    website = forms.CharField(
        required=False, label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def is_bot(self) -> bool:
        return bool(self.data.get("website"))




class InboxFilterForm(forms.Form):
    """The inbox's filters and order; all optional, read from the URL."""

    kind = forms.ChoiceField(label=_("Kind"), required=False, widget=FastSelect)
    state = forms.ChoiceField(label=_("State"), required=False, widget=FastSelect)
    stage = forms.ChoiceField(label=_("Stage"), required=False, widget=FastSelect)
    severity = forms.ChoiceField(label=_("Severity"), required=False, widget=FastSelect)
    channel = forms.ChoiceField(label=_("Channel"), required=False, widget=FastSelect)
    department = forms.TypedChoiceField(label=_("Department"), required=False, coerce=int,
                                        empty_value=None, widget=FastSelect)
    handler = forms.TypedChoiceField(label=_("Handler"), required=False, coerce=int,
                                     empty_value=None, widget=FastSelect)
    sla = forms.ChoiceField(label=_("Deadline"), required=False, widget=FastSelect)
    repeat = forms.BooleanField(label=_("Repeat cases only"), required=False)
    regulator = forms.BooleanField(label=_("Regulator cases only"), required=False)
    sort = forms.ChoiceField(label=_("Order by"), required=False, widget=FastSelect, choices=[
        ("due", _("Due time")), ("priority", _("Priority")), ("age", _("Age (oldest first)")),
    ])

    def __init__(self, *args, kinds, departments, handlers, **kwargs):
        super().__init__(*args, **kwargs)
        any_ = [("", _("Any"))]
        states: dict[str, str] = {}
        for kind in kinds:
            if kind.states is not None:
                states.update({value: str(label) for value, label in kind.states.choices})
        self.fields["kind"].choices = any_ + [(k.code, k.label) for k in kinds]
        self.fields["state"].choices = any_ + sorted(states.items(), key=lambda item: item[1])
        self.fields["stage"].choices = any_ + list(Stage.choices)
        self.fields["severity"].choices = any_ + list(Severity.choices)
        self.fields["channel"].choices = any_ + list(Channel.choices)
        self.fields["sla"].choices = any_ + [
            (value, label) for value, label in SlaStatus.choices if value != SlaStatus.NONE
        ]
        self.fields["department"].choices = any_ + list(departments)
        self.fields["handler"].choices = any_ + handlers
        self.fields["sort"].initial = "due"


class InboxSearchForm(forms.Form):
    search = forms.CharField(
        label=_("Search"), max_length=100, required=False,
        help_text=_("Case number, order number, customer phone or e-mail (exact), or name."),
    )


class BulkReassignForm(forms.Form):
    """Move the chosen cases to a department and/or a handler."""

    department = forms.TypedChoiceField(label=_("Move to department"), required=False,
                                        coerce=int, empty_value=None, widget=FastSelect)
    assignee = forms.TypedChoiceField(label=_("Assign to"), required=False, coerce=int,
                                      empty_value=None, widget=FastSelect)

    def __init__(self, *args, departments, handlers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", "—"), *departments]
        self.fields["assignee"].choices = [("", "—"), *handlers]

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("department") and not data.get("assignee"):
            raise ValidationError(_("Choose a department or a handler."), code="empty")
        return data
