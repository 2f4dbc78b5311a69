from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = _("Returns")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.cases.kinds import register_kind
        from aftersales.people.roles import grant_role

        from . import tasks  # noqa: F401  (registers the return tasks by name)
        from .kind import RETURN

        register_kind(RETURN)
        grant_role("agent", ["returns.register_return", "returns.review_return",
                             "returns.refund_return", "returns.ship_replacement"])
        grant_role("handler", ["returns.record_quality_report"])
        grant_role("supervisor", [
            "returns.register_return", "returns.review_return", "returns.refund_return",
            "returns.ship_replacement", "returns.record_quality_report",
            "returns.decide_against_customer", "returns.approve_refund_reduction",
            "returns.charge_unreturned",
        ])
        grant_role("admin", [
            "returns.register_return", "returns.review_return", "returns.refund_return",
            "returns.ship_replacement", "returns.record_quality_report",
            "returns.decide_against_customer", "returns.approve_refund_reduction",
            "returns.charge_unreturned", "returns.receive_return",
        ])
        grant_role("warehouse", ["returns.receive_return", "aftersales.add_note"],
                   label=_("Warehouse inspector"))
