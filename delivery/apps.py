from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

REGISTER = "delivery.register_incident"
HANDLE = "delivery.handle_incident"
CLOSE = "delivery.close_incident"
CLAIM = "delivery.file_claim"
SCORECARDS = "delivery.view_scorecards"


class DeliveryConfig(AppConfig):
    name = "delivery"
    verbose_name = _("Delivery")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.cases.kinds import register_kind
        from aftersales.people.roles import grant_role

        from .kind import DELIVERY

        register_kind(DELIVERY)
        grant_role("agent", [REGISTER, HANDLE, CLOSE, CLAIM, SCORECARDS])
        grant_role("handler", [HANDLE, CLAIM])
        grant_role("supervisor", [REGISTER, HANDLE, CLOSE, CLAIM, SCORECARDS])
        grant_role("superior", [SCORECARDS])
        grant_role("admin", [
            REGISTER, HANDLE, CLOSE, CLAIM, SCORECARDS,
            *(f"delivery.{action}_{model}" for model in
              ("carrier", "courier", "shipment", "statusmapping", "deliverysettings")
              for action in ("add", "change", "view")),
        ])
