from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.forms import EvidenceFilesField, HoneypotMixin, validate_phone
from aftersales.cases.services import FORM_TOKEN_RE, form_token_new
from aftersales.core.choices import Channel

from .choices import FaultType, ServiceMode
from .models import Part, Technician

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"},
                                      format="%Y-%m-%dT%H:%M")
MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": Decimal("0.00")}


class JobIntakeForm(HoneypotMixin, forms.Form):
    """The fault report (报修) or installation booking, on the portal or taken by phone."""

    name = forms.CharField(label=_("Your name"), max_length=100)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, validators=[validate_phone],
                            help_text=_("The technician calls this number before the visit."))
    email = forms.EmailField(label=_("E-mail"), required=False)
    order_number = forms.CharField(label=_("Order number"), max_length=64, required=False)
    serial_number = forms.CharField(label=_("Serial number"), max_length=64, required=False,
                                    help_text=_("On the label of the product; either this "
                                                "or the order number."))
    description = forms.CharField(label=_("What is wrong?"), min_length=5, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    address = forms.CharField(label=_("Address"), max_length=300,
                              widget=forms.Textarea(attrs={"rows": 2}))
    address_area = forms.CharField(label=_("District"), max_length=100,
                                   help_text=_("e.g. 浦东新区"))
    region = forms.CharField(label=_("City"), max_length=50)
    preferred_from = forms.DateTimeField(label=_("Preferred time from"), required=False,
                                         widget=DATETIME_WIDGET)
    preferred_until = forms.DateTimeField(label=_("Preferred time until"), required=False,
                                          widget=DATETIME_WIDGET)
    service_mode = forms.ChoiceField(label=_("Service"), choices=ServiceMode.choices,
                                     initial=ServiceMode.ON_SITE)
    files = EvidenceFilesField(label=_("Photos or video"))
    form_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, installation: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.installation = installation
        if not self.is_bound:
            self.fields["form_token"].initial = form_token_new()
        regions = list(Technician.objects.filter(active=True).order_by("region")
                       .values_list("region", flat=True).distinct())
        if regions:
            # Jobs are dispatched within a region: the customer picks one we serve.
            self.fields["region"] = forms.ChoiceField(
                label=_("City"), choices=[("", "---------"), *((r, r) for r in regions)])
        if installation:
            del self.fields["service_mode"]
            self.fields["description"].label = _("Anything the installer should know?")
            self.fields["description"].required = False

    def clean(self):
        cleaned = super().clean()
        if not FORM_TOKEN_RE.match(cleaned.get("form_token") or ""):
            self.data = self.data.copy()
            self.data["form_token"] = form_token_new()
            self.add_error(None, _("This form has expired. Check what you typed and submit "
                                   "it again."))
        if not cleaned.get("order_number") and not cleaned.get("serial_number"):
            self.add_error("order_number", _("Give the order number or the serial number."))
        start, end = cleaned.get("preferred_from"), cleaned.get("preferred_until")
        if start and end and end <= start:
            self.add_error("preferred_until", _("The end must be after the start."))
        return cleaned

    def windows(self) -> list[dict[str, str]]:
        start = self.cleaned_data.get("preferred_from")
        end = self.cleaned_data.get("preferred_until")
        if not start:
            return []
        end = end or start + timedelta(hours=2)
        return [{"start": start.isoformat(), "end": end.isoformat()}]


class StaffIntakeForm(JobIntakeForm):
    channel = forms.ChoiceField(label=_("Received through"), choices=Channel.choices,
                                initial=Channel.HOTLINE)
    kind = forms.ChoiceField(label=_("Job"), choices=[("REPAIR", _("Repair")),
                                                      ("INSTALL", _("Installation"))])


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class TriageForm(VersionedForm):
    fault_type = forms.ChoiceField(label=_("Fault type"), choices=FaultType.choices)
    genuine = forms.BooleanField(label=_("Genuine product of ours"), required=False,
                                 initial=True)
    service_mode = forms.ChoiceField(label=_("Service"), choices=ServiceMode.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class NoteOnlyForm(VersionedForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class QuoteForm(VersionedForm):
    parts_amount = forms.DecimalField(label=_("Parts (yuan)"), **MONEY)
    labour_amount = forms.DecimalField(label=_("Labour (yuan)"), **MONEY)
    note = forms.CharField(label=_("What the quote covers"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class SlotsForm(VersionedForm):
    slot_1 = forms.DateTimeField(label=_("Slot 1 starts"), widget=DATETIME_WIDGET)
    slot_2 = forms.DateTimeField(label=_("Slot 2 starts"), widget=DATETIME_WIDGET,
                                 required=False)
    slot_3 = forms.DateTimeField(label=_("Slot 3 starts"), widget=DATETIME_WIDGET,
                                 required=False)
    hours = forms.IntegerField(label=_("Length (hours)"), min_value=1, max_value=8, initial=2)

    def clean(self):
        cleaned = super().clean()
        now = timezone.now()
        for name in ("slot_1", "slot_2", "slot_3"):
            value = cleaned.get(name)
            if value is not None and value <= now:
                self.add_error(name, _("Offer a time in the future."))
        return cleaned

    def slots(self):
        length = timedelta(hours=self.cleaned_data["hours"])
        starts = [self.cleaned_data.get(n) for n in ("slot_1", "slot_2", "slot_3")]
        return [(s, s + length) for s in starts if s is not None]


class ScheduleForm(VersionedForm):
    start = forms.DateTimeField(label=_("From"), widget=DATETIME_WIDGET)
    end = forms.DateTimeField(label=_("Until"), widget=DATETIME_WIDGET)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] <= cleaned["start"]:
            self.add_error("end", _("The end must be after the start."))
        return cleaned


class ReasonForm(VersionedForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class SpawnForm(VersionedForm):
    request_type = forms.ChoiceField(label=_("Start"), choices=[
        ("EXCHANGE", _("Exchange order")), ("RETURN_REFUND", _("Return and refund order"))])
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class ShipmentForm(VersionedForm):
    carrier = forms.CharField(label=_("Carrier"), max_length=50, required=False)
    tracking = forms.CharField(label=_("Tracking number"), max_length=64)


class DispatchForm(forms.Form):
    job = forms.IntegerField(widget=forms.HiddenInput)
    technician = forms.ModelChoiceField(label=_("Technician"), queryset=Technician.objects.none())
    start = forms.DateTimeField(label=_("From"), widget=DATETIME_WIDGET)
    hours = forms.DecimalField(label=_("Hours"), min_value=Decimal("0.5"),
                               max_value=Decimal("10"), initial=2, decimal_places=1)
    buffer_minutes = forms.IntegerField(label=_("Travel buffer (minutes)"), min_value=0,
                                        max_value=240, initial=30)

    def __init__(self, *args, technicians=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technicians if technicians is not None else (
            Technician.objects.filter(active=True).select_related("user"))

    def end(self):
        return self.cleaned_data["start"] + timedelta(hours=float(self.cleaned_data["hours"]))

    def buffer(self):
        return timedelta(minutes=self.cleaned_data["buffer_minutes"])


class WorkForm(forms.Form):
    """Cause, parts and photos, on the technician's phone."""

    cause = forms.CharField(label=_("Cause found and work done"), max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 3}))
    files = EvidenceFilesField(label=_("Photos"))

    def __init__(self, *args, parts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parts = list(parts if parts is not None else Part.objects.filter(active=True))
        for part in self.parts:
            self.fields[f"part_{part.pk}"] = forms.IntegerField(
                label=str(part), required=False, min_value=0, max_value=99,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "0",
                                             "class": "form-control"}))

    def part_lines(self):
        from .services import PartLine

        return [PartLine(part, self.cleaned_data.get(f"part_{part.pk}") or 0)
                for part in self.parts if self.cleaned_data.get(f"part_{part.pk}")]


class AcceptanceForm(forms.Form):
    """The customer's finger signature (and the technician's for a joint acceptance)."""

    signer_name = forms.CharField(label=_("Name of the person signing"), max_length=100)
    customer_signature = forms.CharField(widget=forms.HiddenInput, max_length=500_000)
    technician_signature = forms.CharField(widget=forms.HiddenInput, max_length=500_000,
                                           required=False)

    def __init__(self, *args, joint: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.joint = joint

    def clean(self):
        from aftersales.core.exceptions import InvalidUpload

        from .signatures import signature_from_data_url

        cleaned = super().clean()
        for name, needed in (("customer_signature", True),
                             ("technician_signature", self.joint)):
            value = cleaned.get(name, "")
            if not value and not needed:
                cleaned[name] = None
                continue
            try:
                cleaned[name] = signature_from_data_url(value)
            except InvalidUpload as error:
                self.add_error(None, ValidationError(str(error.message)))
        return cleaned


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Why does the customer not accept the work?"),
                             max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class QuoteDecisionForm(forms.Form):
    quote = forms.IntegerField(widget=forms.HiddenInput)
    accept = forms.ChoiceField(label=_("Your answer"), widget=forms.RadioSelect, choices=[
        ("yes", _("I accept the quote: please go ahead")),
        ("no", _("I decline: do not repair"))])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class SlotPickForm(forms.Form):
    slot = forms.TypedChoiceField(label=_("Pick a time"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [(i, label) for i, label in enumerate(slots)]


class ConfirmReceiptForm(forms.Form):
    confirm = forms.BooleanField(label=_("The repaired product arrived and works"))
