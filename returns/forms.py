"""Forms of the return pages: portal, agent registration, tracking page and staff actions."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from aftersales.cases.forms import EvidenceFilesField, HoneypotMixin
from aftersales.cases.services import FORM_TOKEN_RE, form_token_new
from aftersales.core.choices import Channel
from aftersales.eligibility import RULES

from .choices import Carrier, DeclineReason, Reason, RequestType

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class FormTokenMixin(forms.Form):
    """A one-time token so that posting the same create form twice makes one case."""

    form_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["form_token"].initial = form_token_new()

    def clean(self):
        cleaned = super().clean()
        if not FORM_TOKEN_RE.match(cleaned.get("form_token") or ""):
            self.data = self.data.copy()
            self.data[self.add_prefix("form_token")] = form_token_new()
            self.add_error(None, ValidationError(
                _("This form has expired. Check what you typed and submit it again."),
                code="form_token"))
        return cleaned


class FindOrderForm(HoneypotMixin):
    order_number = forms.CharField(label=_("Order number"), max_length=64)
    contact = forms.CharField(
        label=_("Phone or e-mail on the order"), max_length=254,
        help_text=_("The mobile number or e-mail address the order was placed with."))


class StaffFindOrderForm(forms.Form):
    order = forms.CharField(label=_("Order number"), max_length=64)


class RequestForm(FormTokenMixin):
    """Which lines and how many, what the customer wants and why (portal and agents)."""

    request_type = forms.ChoiceField(label=_("What would you like?"),
                                     choices=RequestType.choices, widget=forms.RadioSelect)
    reason = forms.ChoiceField(label=_("Why?"), choices=Reason.choices)
    description = forms.CharField(
        label=_("Tell us more (optional)"), required=False, max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}))
    files = EvidenceFilesField(label=_("Photos or video"))

    def __init__(self, *args, order_lines, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_lines = list(order_lines)
        for line in self.order_lines:
            name = f"qty_{line.pk}"
            self.fields[name] = forms.IntegerField(
                label=f"{line.product.name} ({line.product.sku})", min_value=0,
                max_value=line.quantity, initial=1 if len(self.order_lines) == 1 else 0,
                required=False,
                help_text=_("Bought: %(n)d; unit price paid ¥%(price)s")
                % {"n": line.quantity, "price": line.price_paid},
            )
            self.fields[name].widget.attrs.update({"inputmode": "numeric",
                                                   "data-line": str(line.pk)})
        if staff:
            self.fields["channel"] = forms.ChoiceField(
                label=_("Channel"), initial=Channel.HOTLINE,
                choices=[c for c in Channel.choices if c[0] != Channel.WEBFORM])
        self.order_fields(["request_type", "reason",
                           *[f"qty_{line.pk}" for line in self.order_lines],
                           "description", "files", "channel", "form_token"])

    def quantity_fields(self):
        return [self[f"qty_{line.pk}"] for line in self.order_lines]

    def clean(self):
        cleaned = super().clean()
        chosen = [(line, cleaned.get(f"qty_{line.pk}") or 0) for line in self.order_lines]
        chosen = [(line, quantity) for line, quantity in chosen if quantity]
        if not chosen and not any(f"qty_{line.pk}" in self.errors for line in self.order_lines):
            raise ValidationError(_("Choose how many of at least one item."), code="lines")
        cleaned["lines"] = chosen
        return cleaned


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class AcceptForm(VersionForm):
    rule = forms.ChoiceField(
        label=_("Rule relied on"), required=False,
        choices=[("", _("The rules' answer"))] + [(rule, rule) for rule in RULES],
        help_text=_("Acceptance means the case is taken on, not the final outcome."))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(
        attrs={"rows": 2}), help_text=_("Required when you accept against the rules' answer."))


class DeclineForm(VersionForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=DeclineReason.choices)
    message = forms.CharField(label=_("Message to the customer"),
                              widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class QualityReportForm(VersionForm):
    confirmed = forms.ChoiceField(label=_("Quality problem confirmed?"), choices=YES_NO,
                                  widget=forms.RadioSelect)
    report = forms.CharField(label=_("Inspection report"),
                             widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    files = EvidenceFilesField(label=_("Report and photos"))


class ShipForm(VersionForm):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=Carrier.choices)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=40,
                                      required=False)


class InspectForm(VersionForm):
    complete = forms.ChoiceField(label=_("Complete (item, accessories, marks)?"),
                                 choices=YES_NO, widget=forms.RadioSelect)
    original = forms.ChoiceField(label=_("The unit we sold (serial number matches)?"),
                                 choices=YES_NO, widget=forms.RadioSelect)
    quality_problem = forms.ChoiceField(label=_("Quality problem found?"), choices=YES_NO,
                                        widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}), max_length=3000)
    files = EvidenceFilesField(label=_("Photos"))


class RefundForm(VersionForm):
    amount = forms.DecimalField(label=_("Amount to refund (yuan)"), max_digits=12,
                                decimal_places=2, min_value=Decimal("0.00"))
    lowered_reason = forms.CharField(
        label=_("Why lower than due"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when refunding less than due; needs a supervisor."))


class MessageForm(VersionForm):
    message = forms.CharField(label=_("Message to the customer"),
                              widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class NoteForm(VersionForm):
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


# --- tracking page --------------------------------------------------------------------

class CustomerShipForm(forms.Form):
    carrier = forms.ChoiceField(label=_("Carrier"),
                                choices=[c for c in Carrier.choices if c[0] != Carrier.PICKUP])
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=40)


class DisputeForm(forms.Form):
    text = forms.CharField(label=_("Why do you disagree?"), max_length=3000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class CustomerInfoForm(forms.Form):
    text = forms.CharField(label=_("Message"), max_length=3000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    files = EvidenceFilesField(label=_("Photos or video"))
