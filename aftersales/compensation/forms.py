from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .choices import POINTS_TYPES, LineType, Reason

ANSWERS = [("agree", _("I agree")), ("decline", _("I decline"))]


def _money_field(required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(label=_("Amount (yuan)"), max_digits=12, decimal_places=2,
                              min_value=Decimal("0.01"), required=required)


class ProposeForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=LineType.choices)
    value = _money_field()
    points = forms.IntegerField(label=_("Points"), min_value=1, required=False)
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("type")
        if kind in POINTS_TYPES and not cleaned.get("points"):
            self.add_error("points", _("Give the number of points."))
        elif kind and kind not in POINTS_TYPES and kind != LineType.FRAUD_DAMAGES \
                and not cleaned.get("value"):
            self.add_error("value", _("Give an amount above zero."))
        return cleaned


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class RejectForm(forms.Form):
    note = forms.CharField(label=_("Why"), max_length=1000)


class ChangeForm(forms.Form):
    value = _money_field()
    points = forms.IntegerField(label=_("Points"), min_value=1, required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("value") and not cleaned.get("points"):
            raise ValidationError(_("Give the new amount or number of points."))
        return cleaned


class PhoneAnswerForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    answer = forms.ChoiceField(label=_("Customer's answer"), choices=ANSWERS)
    note = forms.CharField(label=_("When and what the customer said"), max_length=1000)


class CustomerAnswerForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    answer = forms.ChoiceField(label=_("Your answer"), choices=ANSWERS,
                               widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment (optional)"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class TotalsForm(forms.Form):
    BY = [("month", _("Month")), ("type", _("Type")), ("reason", _("Reason")),
          ("department", _("Department")), ("carrier", _("Carrier"))]
    start = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until (exclusive)"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(label=_("Group by"), choices=BY, required=False)
