from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.cases.kinds import register_kind
        from aftersales.people.roles import ADMIN, SUPERVISOR, grant_role

        from .kind import COMPLAINT

        register_kind(COMPLAINT)
        # Legal reviews price-fraud flags; marketing stops promotions that broke the rules.
        grant_role("legal", ["aftersales.view_all_tickets", "aftersales.add_note",
                             "complaints.view_price_fraud"], label=_("Legal counsel"))
        grant_role("marketing", ["aftersales.view_all_tickets", "aftersales.add_note",
                                 "complaints.stop_promotion"], label=_("Marketing"))
        grant_role(SUPERVISOR, ["complaints.stop_promotion", "complaints.view_price_fraud"])
        grant_role(ADMIN, ["complaints.stop_promotion", "complaints.view_price_fraud"])
