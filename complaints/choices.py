"""Complaint states, categories and codes (domain.md §3 and §5.1)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.choices import Stage


class State(models.TextChoices):
    RECEIVED = "RECEIVED", _("Received")
    REGISTERED = "REGISTERED", _("Registered")
    ACCEPTED = "ACCEPTED", _("Accepted")
    NOT_ACCEPTED = "NOT_ACCEPTED", _("Not accepted")
    CLASSIFIED = "CLASSIFIED", _("Classified")
    ANALYSING = "ANALYSING", _("Analysing")
    PLAN_APPROVAL = "PLAN_APPROVAL", _("Plan awaiting approval")
    IN_PROGRESS = "IN_PROGRESS", _("In progress")
    AWAIT_CUSTOMER = "AWAIT_CUSTOMER", _("Awaiting customer confirmation")
    REOPENED = "REOPENED", _("Reopened")
    ON_SPOT_RESOLVED = "ON_SPOT_RESOLVED", _("Resolved on the spot")
    RESOLVED = "RESOLVED", _("Resolved (replied)")
    RETURN_VISIT = "RETURN_VISIT", _("Return visit")
    CLOSED = "CLOSED", _("Archived")


STAGE_OF_STATE = {
    State.RECEIVED: Stage.REGISTER,
    State.REGISTERED: Stage.REGISTER,
    State.ACCEPTED: Stage.REGISTER,
    State.NOT_ACCEPTED: Stage.REGISTER,
    State.CLASSIFIED: Stage.CLASSIFY,
    State.ANALYSING: Stage.HANDLE,
    State.PLAN_APPROVAL: Stage.HANDLE,
    State.IN_PROGRESS: Stage.HANDLE,
    State.AWAIT_CUSTOMER: Stage.HANDLE,
    State.REOPENED: Stage.HANDLE,
    State.RESOLVED: Stage.REPLY,
    State.ON_SPOT_RESOLVED: Stage.REPLY,
    State.RETURN_VISIT: Stage.ARCHIVE,
    State.CLOSED: Stage.ARCHIVE,
}
FINAL_STATES = frozenset({State.NOT_ACCEPTED, State.CLOSED})
OPEN_STATES = [s for s in State.values if s not in FINAL_STATES]
# Escalation is possible while someone still owes the customer something.
ESCALATABLE_STATES = [
    State.REGISTERED, State.ACCEPTED, State.CLASSIFIED, State.ANALYSING, State.PLAN_APPROVAL,
    State.IN_PROGRESS, State.AWAIT_CUSTOMER, State.REOPENED,
]
STATE_COLOUR = {
    State.RECEIVED: "secondary",
    State.REGISTERED: "secondary",
    State.ACCEPTED: "info",
    State.NOT_ACCEPTED: "dark",
    State.CLASSIFIED: "info",
    State.ANALYSING: "primary",
    State.PLAN_APPROVAL: "warning",
    State.IN_PROGRESS: "primary",
    State.AWAIT_CUSTOMER: "warning",
    State.REOPENED: "danger",
    State.ON_SPOT_RESOLVED: "success",
    State.RESOLVED: "success",
    State.RETURN_VISIT: "success",
    State.CLOSED: "dark",
}


class RequestType(models.TextChoices):
    QUALITY = "QUALITY", _("Product quality")
    LOGISTICS = "LOGISTICS", _("Logistics and delivery")
    USAGE_INSTALL = "USAGE_INSTALL", _("Use and installation")
    RETURN_EXCHANGE = "RETURN_EXCHANGE", _("Return or exchange")
    INVOICE = "INVOICE", _("Invoice")
    CONSULT = "CONSULT", _("Consultation")


class Category(models.TextChoices):
    QUAL = "QUAL", _("Product quality")
    SVC = "SVC", _("After-sales service")
    LOGI = "LOGI", _("Logistics and delivery")
    PRICE = "PRICE", _("Price")
    PROMO = "PROMO", _("Promotion")
    COUPON = "COUPON", _("Coupons and points")
    CONTRACT = "CONTRACT", _("Contract dispute")
    APP = "APP", _("App and software experience")
    PRIVACY = "PRIVACY", _("Personal information")
    OTHER = "OTHER", _("Other")


class SubCategory(models.TextChoices):
    FUNC = "FUNC", _("Functional fault")
    SAFETY = "SAFETY", _("Safety hazard")
    STD = "STD", _("Does not meet the standard")
    SPEC = "SPEC", _("Differs from contract or description")
    ATTITUDE = "ATTITUDE", _("Service attitude")
    TIMELINESS = "TIMELINESS", _("Timeliness")
    REPAIR_QUALITY = "REPAIR_QUALITY", _("Repair quality")
    INSTALL = "INSTALL", _("Installation")
    DELAY = "DELAY", _("Delay")
    DAMAGE = "DAMAGE", _("Damage")
    COURIER = "COURIER", _("Courier attitude")
    PRICE_CHANGE = "PRICE_CHANGE", _("Price change / price difference")
    PRICE_ERROR = "PRICE_ERROR", _("Wrong price label")
    FALSE_AD = "FALSE_AD", _("False advertising")
    PRICE_FRAUD = "PRICE_FRAUD", _("Price fraud")
    RULE_BREACH = "RULE_BREACH", _("Promotion rule breach")
    UNUSABLE = "UNUSABLE", _("Cannot be used")
    EXPIRED = "EXPIRED", _("Expired")
    MISSING = "MISSING", _("Not credited")


SUBCATEGORIES = {
    Category.QUAL: [SubCategory.FUNC, SubCategory.SAFETY, SubCategory.STD, SubCategory.SPEC],
    Category.SVC: [
        SubCategory.ATTITUDE, SubCategory.TIMELINESS, SubCategory.REPAIR_QUALITY,
        SubCategory.INSTALL,
    ],
    Category.LOGI: [SubCategory.DELAY, SubCategory.DAMAGE, SubCategory.COURIER],
    Category.PRICE: [SubCategory.PRICE_CHANGE, SubCategory.PRICE_ERROR],
    Category.PROMO: [SubCategory.FALSE_AD, SubCategory.PRICE_FRAUD, SubCategory.RULE_BREACH],
    Category.COUPON: [SubCategory.UNUSABLE, SubCategory.EXPIRED, SubCategory.MISSING],
}


class Cause(models.TextChoices):
    QUALITY_DEFECT = "QUALITY_DEFECT", _("Quality defect")
    HUMAN = "HUMAN", _("Human factor")
    SOFTWARE = "SOFTWARE", _("Software factor")
    OTHER = "OTHER", _("Other")


class Nature(models.TextChoices):
    DESIGN = "DESIGN", _("Design")
    PRODUCTION = "PRODUCTION", _("Production")
    MATERIAL = "MATERIAL", _("Raw material")
    OPERATION = "OPERATION", _("Operation")


class Liability(models.TextChoices):
    COMPANY = "COMPANY", _("Company")
    SUPPLIER = "SUPPLIER", _("Supplier")
    CARRIER = "CARRIER", _("Carrier")
    CUSTOMER = "CUSTOMER", _("Customer (human damage)")
    NOT_LIABLE = "NOT_LIABLE", _("Not our responsibility")


class SolutionType(models.TextChoices):
    REFUND = "REFUND", _("Refund")
    RETURN_REFUND = "RETURN_REFUND", _("Return and refund")
    EXCHANGE = "EXCHANGE", _("Exchange")
    REPAIR = "REPAIR", _("Repair")
    PARTS = "PARTS", _("Send replacement parts")
    GUIDANCE = "GUIDANCE", _("Technical guidance")
    PRICE_DIFF = "PRICE_DIFF", _("Refund the price difference")
    COUPON = "COUPON", _("Reissue coupon")
    POINTS = "POINTS", _("Points compensation / extension")
    COMPENSATION = "COMPENSATION", _("Reasonable compensation")
    EXPLAIN = "EXPLAIN", _("Explanation")


# Solutions that move money or change the customer's order need the customer's written
# confirmation before they are executed (domain.md §4, P5 2.3.1).
SOLUTIONS_NEEDING_CONFIRMATION = frozenset({
    SolutionType.REFUND, SolutionType.RETURN_REFUND, SolutionType.EXCHANGE,
    SolutionType.PRICE_DIFF, SolutionType.COMPENSATION,
})


class Outcome(models.TextChoices):
    SOLVED = "SOLVED", _("Solved")
    NOT_LIABLE = "NOT_LIABLE", _("Not our responsibility")
    PARTIAL = "PARTIAL", _("Partly solved")


class NotAcceptedReason(models.TextChoices):
    UNIDENTIFIABLE = "UNIDENTIFIABLE", _("Complainant or contact cannot be identified")
    NO_ORDER = "NO_ORDER", _("Order or product cannot be identified")
    NO_FACTS = "NO_FACTS", _("No concrete request or facts")
    OUT_OF_REMIT = "OUT_OF_REMIT", _("Outside the company's remit")
    DUPLICATE = "DUPLICATE", _("Duplicate of an open case")


class PlanStatus(models.TextChoices):
    SUBMITTED = "SUBMITTED", _("Awaiting approval")
    APPROVED = "APPROVED", _("Approved")
    RETURNED = "RETURNED", _("Sent back")
    NOT_NEEDED = "NOT_NEEDED", _("No approval needed")


class CustomerDecision(models.TextChoices):
    PENDING = "PENDING", _("Awaiting the customer")
    CONFIRMED = "CONFIRMED", _("Confirmed by the customer")
    DECLINED = "DECLINED", _("Declined by the customer")
    NOT_NEEDED = "NOT_NEEDED", _("No confirmation needed")


# --- price, promotion, coupon and points disputes (domain.md §5.6) ---------------------

class DisputeKind(models.TextChoices):
    PRICE = "PRICE", _("Price change or error")
    PROMO = "PROMO", _("Promotion breach")
    COUPON = "COUPON", _("Coupon or points")


DISPUTE_CATEGORIES = frozenset({Category.PRICE, Category.PROMO, Category.COUPON})


class DisputeStep(models.TextChoices):
    RECORDED = "RECORDED", _("Recorded")
    INVESTIGATED = "INVESTIGATED", _("Cause investigated")
    DRAFTED = "DRAFTED", _("Solution drafted")
    AWAIT_CONSENT = "AWAIT_CONSENT", _("Waiting for the customer's consent")
    DECLINED = "DECLINED", _("Declined by the customer")
    CONSENTED = "CONSENTED", _("Customer consented")
    EXECUTED = "EXECUTED", _("Executed")


class DisputeCause(models.TextChoices):
    SYSTEM_ERROR = "SYSTEM_ERROR", _("System error")
    HUMAN_ERROR = "HUMAN_ERROR", _("Human error")
    SYSTEM_FAULT = "SYSTEM_FAULT", _("System fault")
    OPERATOR_ERROR = "OPERATOR_ERROR", _("Operator error")


class PromotionClass(models.TextChoices):
    FALSE_ADVERTISING = "FALSE_ADVERTISING", _("False advertising")
    PRICE_FRAUD = "PRICE_FRAUD", _("Price fraud")
    RULE_BREACH = "RULE_BREACH", _("Promotion rule breach")


class DisputeRemedy(models.TextChoices):
    PRICE_DIFFERENCE = "PRICE_DIFFERENCE", _("Refund the price difference")
    RETURN_REFUND = "RETURN_REFUND", _("Return and refund")
    COMPENSATE = "COMPENSATE", _("Compensate the customer's loss")
    REISSUE_COUPON = "REISSUE_COUPON", _("Reissue the coupon")
    EXTEND_POINTS = "EXTEND_POINTS", _("Extend the points")


CAUSES_BY_KIND = {
    DisputeKind.PRICE: [DisputeCause.SYSTEM_ERROR, DisputeCause.HUMAN_ERROR],
    DisputeKind.PROMO: [],
    DisputeKind.COUPON: [DisputeCause.SYSTEM_FAULT, DisputeCause.OPERATOR_ERROR],
}
REMEDIES_BY_KIND = {
    DisputeKind.PRICE: [DisputeRemedy.PRICE_DIFFERENCE, DisputeRemedy.RETURN_REFUND],
    DisputeKind.PROMO: [DisputeRemedy.COMPENSATE, DisputeRemedy.PRICE_DIFFERENCE,
                        DisputeRemedy.RETURN_REFUND],
    DisputeKind.COUPON: [DisputeRemedy.REISSUE_COUPON, DisputeRemedy.EXTEND_POINTS],
}
# The handling plan's solution for each remedy, and the compensation ledger's line type
# (a return-refund is paid by the linked return order, not by a ledger line).
SOLUTION_OF_REMEDY = {
    DisputeRemedy.PRICE_DIFFERENCE: SolutionType.PRICE_DIFF,
    DisputeRemedy.RETURN_REFUND: SolutionType.RETURN_REFUND,
    DisputeRemedy.COMPENSATE: SolutionType.COMPENSATION,
    DisputeRemedy.REISSUE_COUPON: SolutionType.COUPON,
    DisputeRemedy.EXTEND_POINTS: SolutionType.POINTS,
}
LINE_TYPE_OF_REMEDY = {
    DisputeRemedy.PRICE_DIFFERENCE: "PRICE_DIFFERENCE",
    DisputeRemedy.COMPENSATE: "CASH",
    DisputeRemedy.REISSUE_COUPON: "REISSUE_COUPON",
    DisputeRemedy.EXTEND_POINTS: "POINTS_EXTENSION",
}
POINTS_REMEDIES = frozenset({DisputeRemedy.EXTEND_POINTS})
LEDGER_REASON_OF_KIND = {
    DisputeKind.PRICE: "PRICE_CHANGE",
    DisputeKind.PROMO: "PROMOTION_BREACH",
    DisputeKind.COUPON: "COUPON_FAULT",
}
# Steps shown on the case page, in order; consent cannot be skipped.
DISPUTE_PROGRESS = [
    ("record", _("Record")),
    ("investigate", _("Investigate the cause")),
    ("draft", _("Draft the solution")),
    ("consent", _("Obtain the customer's consent")),
    ("execute", _("Execute")),
]
STEP_INDEX = {
    DisputeStep.RECORDED: 1, DisputeStep.INVESTIGATED: 2, DisputeStep.DRAFTED: 3,
    DisputeStep.DECLINED: 3, DisputeStep.AWAIT_CONSENT: 3, DisputeStep.CONSENTED: 4,
    DisputeStep.EXECUTED: 5,
}


class ConsentVia(models.TextChoices):
    PORTAL = "PORTAL", _("On the tracking page")
    PHONE = "PHONE", _("By phone (recorded by an agent)")
