from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.contacts import customer_from_choice
from aftersales.cases.forms import EvidenceFilesField, HoneypotMixin, validate_phone
from aftersales.cases.services import FORM_TOKEN_RE, form_token_new
from aftersales.core.choices import Channel, Severity
from aftersales.followups.forms import RATING_CHOICES, YES_NO
from aftersales.models import CannedResponse, Department, Product

from .choices import (
    CAUSES_BY_KIND,
    POINTS_REMEDIES,
    REMEDIES_BY_KIND,
    SUBCATEGORIES,
    Category,
    Cause,
    DisputeCause,
    DisputeKind,
    DisputeRemedy,
    Liability,
    Nature,
    NotAcceptedReason,
    Outcome,
    PromotionClass,
    RequestType,
    SolutionType,
    SubCategory,
)

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContactFieldsMixin(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=100)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False,
                            validators=[validate_phone],
                            help_text=_("A phone number or an e-mail address is required."))
    email = forms.EmailField(label=_("E-mail"), required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("phone") and not cleaned.get("email") and not (
            self.errors.get("phone") or self.errors.get("email")
        ):
            raise ValidationError(
                _("Give a mobile phone number or an e-mail address so we can reach you."),
                code="contact",
            )
        return cleaned


class FormTokenMixin(forms.Form):
    """A one-time token issued with a form that creates a case, so that posting the same
    form twice (a double click, a retry after a timeout) makes one case, not two."""

    form_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["form_token"].initial = form_token_new()

    def clean(self):
        cleaned = super().clean()
        if not FORM_TOKEN_RE.match(cleaned.get("form_token") or ""):
            # Issue a fresh token so the corrected form can be sent again as it stands.
            self.data = self.data.copy()
            self.data[self.add_prefix("form_token")] = form_token_new()
            self.add_error(None, ValidationError(
                _("This form has expired. Check what you typed and submit it again."),
                code="form_token",
            ))
        return cleaned


class PublicComplaintForm(HoneypotMixin, ContactFieldsMixin, FormTokenMixin):
    order_number = forms.CharField(label=_("Order number"), max_length=64, required=False,
                                   help_text=_("Optional; helps us find your purchase."))
    product = forms.CharField(label=_("Product"), max_length=200)
    category_hint = forms.ChoiceField(
        label=_("What happened?"),
        choices=[("", _("Not sure")), *Category.choices], required=False,
    )
    description = forms.CharField(label=_("Describe the problem"), widget=forms.Textarea(
        attrs={"rows": 5}), min_length=10, max_length=5000)
    customer_request = forms.CharField(
        label=_("What would you like us to do?"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    files = EvidenceFilesField()

    field_order = ["name", "phone", "email", "order_number", "product", "category_hint",
                   "description", "customer_request", "files", "website"]


class CustomerLookupForm(forms.Form):
    """Find a customer by phone, e-mail or order number; sent by POST, never in a URL."""

    lookup = forms.CharField(label=_("Phone, e-mail or order number"), max_length=100)


class StaffRegisterForm(ContactFieldsMixin, FormTokenMixin):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[c for c in Channel.choices if c[0] != Channel.WEBFORM],
    )
    received_at = forms.DateTimeField(label=_("Received at"), widget=DATETIME_WIDGET,
                                      initial=timezone.now)
    # The customer chosen from a lookup, as a short-lived signed reference (not an id).
    customer = forms.CharField(required=False, widget=forms.HiddenInput)
    order_number = forms.CharField(label=_("Order number"), max_length=64, required=False)
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.all(),
                                     required=False)
    product_text = forms.CharField(label=_("Product (if not in the list)"), max_length=200,
                                   required=False)
    request_type = forms.ChoiceField(label=_("Request type"), choices=RequestType.choices)
    category_hint = forms.ChoiceField(
        label=_("Category (first judgement)"),
        choices=[("", "—"), *Category.choices], required=False,
    )
    description = forms.CharField(label=_("What happened"), widget=forms.Textarea(
        attrs={"rows": 4}), max_length=5000)
    customer_request = forms.CharField(label=_("Customer's request"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 2}))
    purchase_date = forms.DateField(label=_("Purchase date"), required=False, widget=DATE_WIDGET)
    regulator_case_number = forms.CharField(
        label=_("Regulator case number"), max_length=64, required=False,
        help_text=_("Required for regulator (12315) transfers."),
    )
    files = EvidenceFilesField()

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["phone"].help_text = _(
            "A phone number or an e-mail address is required, unless a customer on file was "
            "chosen. A contact the customer has none of on file is added to the file; a "
            "different one is kept with this complaint for an agent to confirm."
        )

    def clean_customer(self):
        value = self.cleaned_data.get("customer", "")
        if not value:
            return None
        customer = customer_from_choice(value, self.user)
        if customer is None:
            raise ValidationError(
                _("The customer chosen from the search has expired; search again."),
                code="customer_choice",
            )
        return customer

    def clean(self):
        if self.cleaned_data.get("customer") is not None:
            # A customer on file already has a contact: phone and e-mail are optional here.
            cleaned = super(ContactFieldsMixin, self).clean()
        else:
            cleaned = super().clean()
        if cleaned.get("channel") == Channel.REGULATOR and not cleaned.get("regulator_case_number"):
            self.add_error("regulator_case_number",
                           _("A regulator transfer needs the regulator's case number."))
        received_at = cleaned.get("received_at")
        if received_at and received_at > timezone.now():
            self.add_error("received_at", _("The time received cannot be in the future."))
        return cleaned


def staff_choices():
    """Active staff with a staff profile, as offered for handler and responsible person."""
    return (get_user_model().objects
            .filter(is_active=True, staff_profile__isnull=False)
            .select_related("staff_profile__department")
            .order_by("first_name", "last_name", "username"))


def staff_label(user) -> str:
    """"Full name (department)", the way a person is picked from a list."""
    name = user.get_full_name() or user.get_username()
    department = user.staff_profile.department
    return f"{name} ({department.name})" if department else name


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return staff_label(obj)


_CATEGORY_OF_SUBCATEGORY = {sub: category for category, subs in SUBCATEGORIES.items()
                            for sub in subs}


class SubCategorySelect(forms.Select):
    """Each option names its category, so the page offers only the chosen category's."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        category = _CATEGORY_OF_SUBCATEGORY.get(value)
        if category:
            option["attrs"]["data-category"] = category
        return option


# Placeholders a canned response may hold, in the forms the bodies use.
PLACEHOLDERS = {
    "number": ("{number}", "【工单号】", "【投诉编号】"),
    "name": ("{name}", "【客户姓名】", "【客户】"),
    "agent": ("{agent}", "【姓名】", "【客服】"),
    "department": ("{department}", "【责任部门】"),
}


def fill_canned(body: str, *, complaint, user=None) -> str:
    """A canned response with the case's facts in place of its placeholders.

    Placeholders whose fact is unknown (no department yet, a date) stay for the agent to fill.
    """
    customer = complaint.customer if complaint.customer_id else None
    facts = {
        "number": complaint.number,
        "name": customer.name if customer else "",
        "agent": (user.get_full_name() or user.get_username()) if user is not None else "",
        "department": complaint.department.name if complaint.department_id else "",
    }
    for key, marks in PLACEHOLDERS.items():
        if facts[key]:
            for mark in marks:
                body = body.replace(mark, facts[key])
    return body


class CannedSelect(forms.Select):
    """Each option carries its filled text; case.js copies it into the reply box."""

    fill = staticmethod(lambda body: body)

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-text"] = self.fill(instance.body)
        return option


class VersionedForm(forms.Form):
    """Carries the version of the case the page showed, to detect concurrent changes."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class AcceptForm(VersionedForm):
    check_identity = forms.BooleanField(label=_("Complainant and contact are identifiable"))
    check_order = forms.BooleanField(label=_("Order or product is identifiable"))
    check_facts = forms.BooleanField(label=_("Concrete request and facts are given"))
    check_remit = forms.BooleanField(label=_("Within the company's remit"))
    note = forms.CharField(label=_("Note to the customer"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def checklist(self) -> dict[str, bool]:
        return {key: self.cleaned_data[key] for key in
                ("check_identity", "check_order", "check_facts", "check_remit")}


class RejectForm(VersionedForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=NotAcceptedReason.choices)
    reply = forms.CharField(label=_("Reply to the customer"),
                            widget=forms.Textarea(attrs={"rows": 3}), min_length=5)


class OnSpotForm(VersionedForm):
    solution = forms.CharField(label=_("Solution given"), widget=forms.Textarea(attrs={"rows": 3}))
    customer_confirmed = forms.BooleanField(label=_("The customer agreed to this solution"))


class ClassifyForm(VersionedForm):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    subcategory = forms.ChoiceField(label=_("Sub-category"),
                                    choices=[("", "—"), *SubCategory.choices],
                                    required=False, widget=SubCategorySelect)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    department = forms.ModelChoiceField(label=_("Responsible department"),
                                        queryset=Department.objects.filter(active=True))
    assignee = StaffChoiceField(
        label=_("Handler"), required=False,
        queryset=staff_choices().filter(staff_profile__department__isnull=False),
    )
    note = forms.CharField(label=_("Internal note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class StartHandlingForm(VersionedForm):
    acknowledgement = forms.CharField(
        label=_("Acknowledgement to the customer"), widget=forms.Textarea(attrs={"rows": 3}),
        initial=_("We have received your complaint and are looking into it."),
    )
    expected_by = forms.DateTimeField(label=_("Expected result by"), widget=DATETIME_WIDGET)

    def clean_expected_by(self):
        value = self.cleaned_data["expected_by"]
        if value <= timezone.now():
            raise ValidationError(_("The expected time must be in the future."))
        return value


class PlanForm(VersionedForm):
    cause = forms.ChoiceField(label=_("Cause"), choices=Cause.choices)
    nature = forms.ChoiceField(label=_("Nature (quality problems)"),
                               choices=[("", "—"), *Nature.choices], required=False)
    liability = forms.ChoiceField(label=_("Liability"), choices=Liability.choices)
    responsible_department = forms.ModelChoiceField(
        label=_("Responsible unit"), queryset=Department.objects.filter(active=True))
    responsible_person = StaffChoiceField(
        label=_("Responsible person"), required=False, queryset=staff_choices())
    solution_type = forms.ChoiceField(label=_("Solution"), choices=SolutionType.choices)
    measures = forms.CharField(label=_("Measures and milestones"),
                               widget=forms.Textarea(attrs={"rows": 4}))
    compensation_amount = forms.DecimalField(label=_("Compensation offered (yuan)"),
                                             max_digits=12, decimal_places=2, min_value=0,
                                             initial=0)
    deadline = forms.DateTimeField(label=_("Deadline"), widget=DATETIME_WIDGET)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("cause") == Cause.QUALITY_DEFECT and not cleaned.get("nature"):
            self.add_error("nature", _("Give the nature of a quality defect."))
        return cleaned


class DecidePlanForm(VersionedForm):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        ("approve", _("Approve the plan")), ("return", _("Send it back for changes"))])
    comment = forms.CharField(label=_("Comment"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class RequestConfirmationForm(VersionedForm):
    message = forms.CharField(
        label=_("Proposal to the customer (solution, basis, deadline)"),
        widget=forms.Textarea(attrs={"rows": 4}))


class ReplyForm(VersionedForm):
    canned = forms.ModelChoiceField(
        label=_("Start from a canned response"), required=False,
        queryset=CannedResponse.objects.filter(active=True, kind__in=["", "COMPLAINT"]),
        widget=CannedSelect(attrs={"data-replace-confirm": _(
            "Replace the text in the reply box with this canned response?")}),
        help_text=_("Its text, with this case's facts filled in, goes into the reply box "
                    "below to check and edit before sending."))
    text = forms.CharField(label=_("Reply to the customer"), required=False,
                           widget=forms.Textarea(attrs={"rows": 5}))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)

    def __init__(self, *args, complaint=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.complaint = complaint
        self.user = user
        if complaint is not None:
            widget = self.fields["canned"].widget
            widget.fill = lambda body: fill_canned(body, complaint=complaint, user=user)

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("text") or "").strip():
            canned = cleaned.get("canned")
            if canned is None:
                self.add_error("text", _("Write the reply or choose a canned response."))
            else:
                # Never sent unseen: the filled text comes back in the box to check first.
                filled = canned.body
                if self.complaint is not None:
                    filled = fill_canned(filled, complaint=self.complaint, user=self.user)
                self.data = self.data.copy()
                self.data[self.add_prefix("text")] = filled
                self.add_error("text", _("Check the canned text in the reply box, edit it if "
                                         "needed, then send."))
        return cleaned


class ReturnVisitForm(VersionedForm):
    satisfied = forms.ChoiceField(label=_("Is the customer satisfied?"), choices=YES_NO,
                                  widget=forms.RadioSelect)
    problem_solved = forms.ChoiceField(label=_("Problem solved?"), choices=YES_NO,
                                       widget=forms.RadioSelect)
    rating = forms.TypedChoiceField(label=_("Overall satisfaction (1–5)"), coerce=int,
                                    choices=RATING_CHOICES)
    comment = forms.CharField(label=_("Comments"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class NoteOnlyForm(VersionedForm):
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class StartReturnForm(VersionedForm):
    """A return, exchange or refund for goods on this complaint's order."""

    order_line = forms.TypedChoiceField(label=_("Order line"), coerce=int)
    request_type = forms.ChoiceField(label=_("Request"), choices=[
        ("RETURN_REFUND", _("Return and refund")), ("EXCHANGE", _("Exchange")),
        ("REFUND_ONLY", _("Refund only")),
    ])
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, initial=1)
    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, complaint=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = {line.pk: line for line in order_lines_of(complaint)} if complaint else {}
        self.fields["order_line"].choices = [
            (pk, f"{line.product.name} × {line.quantity}") for pk, line in self.lines.items()]

    def clean(self):
        cleaned = super().clean()
        line = self.lines.get(cleaned.get("order_line"))
        if line is not None and (cleaned.get("quantity") or 0) > line.quantity:
            self.add_error("quantity", _("More than the order line holds."))
        cleaned["line"] = line
        return cleaned


def order_lines_of(complaint) -> list:
    """The lines a return may be started for: the complaint's order, or its one line."""
    if complaint.order_id:
        return list(complaint.order.lines.select_related("product").order_by("pk"))
    if complaint.order_line_id:
        return [complaint.order_line]
    return []


class ReasonForm(VersionedForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=5000)
    customer_visible = forms.BooleanField(
        label=_("Send to the customer (otherwise an internal note)"), required=False)
    files = EvidenceFilesField()


class CustomerInfoForm(forms.Form):
    text = forms.CharField(label=_("Add information"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=5000)
    files = EvidenceFilesField()


class CustomerDecisionForm(forms.Form):
    # The proposal the customer read: an answer is taken for that plan and version only.
    plan = forms.IntegerField(required=False, widget=forms.HiddenInput)
    plan_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    agree = forms.ChoiceField(label=_("Do you agree to this proposal?"), widget=forms.RadioSelect,
                              choices=[("yes", _("Yes, go ahead")), ("no", _("No"))])
    comment = forms.CharField(label=_("Comment"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class CustomerFeedbackForm(forms.Form):
    satisfied = forms.ChoiceField(label=_("Are you satisfied with how we handled this?"),
                                  widget=forms.RadioSelect,
                                  choices=[("yes", _("Satisfied")), ("no", _("Not satisfied"))])
    rating = forms.TypedChoiceField(label=_("Overall rating (5 = best)"), coerce=int,
                                    choices=[("", "—"), *RATING_CHOICES], required=False,
                                    empty_value=None)
    comment = forms.CharField(label=_("Comment (required if not satisfied)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("satisfied") == "no" and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", _("Please tell us what is still wrong."))
        return cleaned


# --- price, promotion, coupon and points disputes (§5.6) ---------------------------------

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


def _dispute_kind(complaint) -> str:
    dispute = getattr(complaint, "dispute", None) if complaint is not None else None
    return dispute.kind if dispute is not None else ""


class InvestigateForm(VersionedForm):
    cause = forms.ChoiceField(label=_("Cause"), choices=DisputeCause.choices, required=False)
    promotion_class = forms.ChoiceField(
        label=_("Promotion breach"), choices=[("", "—"), *PromotionClass.choices],
        required=False)
    findings = forms.CharField(label=_("What the investigation found"),
                               widget=forms.Textarea(attrs={"rows": 3}))
    charged_price = forms.DecimalField(label=_("Price charged (yuan)"), required=False, **MONEY)
    correct_price = forms.DecimalField(label=_("Price it should have been (yuan)"),
                                       required=False, **MONEY)
    was_price = forms.DecimalField(label=_("\"Was\" price shown beside the discount (yuan)"),
                                   required=False, **MONEY)
    activity = forms.CharField(label=_("Promotion or activity"), max_length=200,
                               required=False)
    coupon_code = forms.CharField(label=_("Coupon code"), max_length=64, required=False)
    points = forms.IntegerField(label=_("Points concerned"), min_value=0, required=False)
    files = EvidenceFilesField(
        label=_("Evidence (page snapshot, advertisement, customer feedback)"))

    def __init__(self, *args, complaint=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        kind = _dispute_kind(complaint)
        if kind == DisputeKind.PROMO:
            del self.fields["cause"]
            self.fields["promotion_class"].required = True
        else:
            del self.fields["promotion_class"]
            causes = CAUSES_BY_KIND.get(kind, list(DisputeCause))
            self.fields["cause"].choices = [(c.value, c.label) for c in causes]
            self.fields["cause"].required = True
        if kind == DisputeKind.COUPON:
            for name in ("charged_price", "correct_price", "was_price", "activity"):
                del self.fields[name]
        else:
            for name in ("coupon_code", "points"):
                del self.fields[name]
        if kind == DisputeKind.PRICE:
            del self.fields["activity"]


class DraftForm(VersionedForm):
    remedy = forms.ChoiceField(label=_("Remedy"), choices=DisputeRemedy.choices)
    amount = forms.DecimalField(label=_("Amount (yuan)"), initial=0, required=False, **MONEY)
    points = forms.IntegerField(label=_("Points to extend"), min_value=1, required=False)
    measures = forms.CharField(label=_("What will be done (the customer reads this)"),
                               widget=forms.Textarea(attrs={"rows": 3}))
    liability = forms.ChoiceField(label=_("Liability"), choices=Liability.choices)
    responsible_department = forms.ModelChoiceField(
        label=_("Responsible unit"), queryset=Department.objects.filter(active=True))
    responsible_person = StaffChoiceField(
        label=_("Responsible person"), required=False, queryset=staff_choices())
    deadline = forms.DateTimeField(label=_("Deadline"), widget=DATETIME_WIDGET)

    def __init__(self, *args, complaint=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        kind = _dispute_kind(complaint)
        remedies = REMEDIES_BY_KIND.get(kind, list(DisputeRemedy))
        self.fields["remedy"].choices = [(r.value, r.label) for r in remedies]
        if not any(r in POINTS_REMEDIES for r in remedies):
            del self.fields["points"]

    def clean(self):
        cleaned = super().clean()
        remedy = cleaned.get("remedy")
        if remedy in POINTS_REMEDIES:
            if not cleaned.get("points"):
                self.add_error("points", _("Give the number of points to extend."))
            cleaned["amount"] = cleaned.get("amount") or 0
        elif remedy and remedy != DisputeRemedy.RETURN_REFUND and not cleaned.get("amount"):
            self.add_error("amount", _("Give the amount in yuan."))
        return cleaned


class ConfirmForm(VersionedForm):
    """An action with nothing to fill in: the button is the decision."""


class PhoneConsentForm(VersionedForm):
    plan = forms.IntegerField(widget=forms.HiddenInput)
    plan_version = forms.IntegerField(widget=forms.HiddenInput)
    agree = forms.ChoiceField(label=_("The customer's answer"), widget=forms.RadioSelect,
                              choices=[("yes", _("Agrees to the proposal")),
                                       ("no", _("Declines it"))])
    note = forms.CharField(label=_("What the customer said, and when"),
                           widget=forms.Textarea(attrs={"rows": 2}))


class StopActivityForm(VersionedForm):
    note = forms.CharField(label=_("How and when the activity was stopped"),
                           widget=forms.Textarea(attrs={"rows": 2}))
