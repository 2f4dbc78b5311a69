from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.cases.forms import HoneypotMixin, validate_phone
from aftersales.cases.services import FORM_TOKEN_RE, form_token_new

from .choices import DamageRemedy, Finding, IncidentType, TraceResult

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TokenMixin(forms.Form):
    form_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["form_token"].initial = form_token_new()

    def clean_form_token(self) -> str | None:
        token = self.cleaned_data.get("form_token") or ""
        return token if FORM_TOKEN_RE.fullmatch(token) else None


class RegisterForm(TokenMixin):
    """The agent's form: the order and tracking number find the shipment."""

    order_number = forms.CharField(label=_("Order number"), max_length=64)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=64)
    incident_type = forms.ChoiceField(label=_("What happened"), choices=IncidentType.choices)
    description = forms.CharField(label=_("Details"), max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 4}))


class ReportForm(HoneypotMixin, TokenMixin):
    """The customer's form on the portal."""

    order_number = forms.CharField(label=_("Order number"), max_length=64)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=64)
    incident_type = forms.ChoiceField(label=_("What happened"), choices=IncidentType.choices,
                                      widget=forms.RadioSelect)
    description = forms.CharField(label=_("Tell us more"), max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    name = forms.CharField(label=_("Your name"), max_length=100)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False,
                            validators=[validate_phone])
    email = forms.EmailField(label=_("E-mail"), required=False,
                             help_text=_("We send your case link and updates here."))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("phone") and not cleaned.get("email") and not (
                self.errors.get("phone") or self.errors.get("email")):
            raise forms.ValidationError(
                _("Give a mobile phone number or an e-mail address so we can reach you."))
        return cleaned


class NotifyDelayForm(VersionForm):
    reason = forms.CharField(label=_("Reason for the delay"), max_length=300)
    new_eta = forms.DateTimeField(label=_("New expected delivery"), widget=DATETIME)


class EmptyForm(VersionForm):
    pass


class NoteForm(VersionForm):
    note = forms.CharField(label=_("Note"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class RequiredNoteForm(VersionForm):
    note = forms.CharField(label=_("Why"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class PickupForm(VersionForm):
    pickup_at = forms.DateTimeField(label=_("Pickup at the customer's door"), widget=DATETIME)


class PickupDoneForm(VersionForm):
    remedy = forms.ChoiceField(label=_("Customer wants"), choices=DamageRemedy.choices)


class TraceResultForm(VersionForm):
    result = forms.ChoiceField(label=_("Result"), choices=TraceResult.choices)
    reship_tracking_number = forms.CharField(label=_("Re-shipment tracking number"),
                                             max_length=64, required=False)


class FindingForm(VersionForm):
    finding = forms.ChoiceField(label=_("Finding"), choices=Finding.choices)
    note = forms.CharField(label=_("What the investigation found"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class ClaimForm(VersionForm):
    amount = forms.DecimalField(label=_("Amount claimed (yuan)"), max_digits=12,
                                decimal_places=2, min_value=Decimal("0.01"))
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class SettleClaimForm(VersionForm):
    claim = forms.IntegerField(widget=forms.HiddenInput)
    recovered = forms.DecimalField(label=_("Amount recovered (yuan)"), max_digits=12,
                                   decimal_places=2, min_value=Decimal("0.00"))
    refused = forms.BooleanField(label=_("The carrier refused the claim"), required=False)


class ScorecardForm(forms.Form):
    month = forms.DateField(label=_("Month"), required=False,
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
                            input_formats=["%Y-%m", "%Y-%m-%d"])
    by = forms.ChoiceField(label=_("For"), required=False,
                           choices=[("carrier", _("Carriers")), ("courier", _("Couriers"))])
