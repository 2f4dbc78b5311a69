from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ReturnLine, ReturnOrder


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    can_delete = False
    fields = ("order_line", "quantity")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReturnOrder)
class ReturnOrderAdmin(admin.ModelAdmin):
    """Read-only reference view: every change goes through the case page and its services."""

    list_display = ("number", "state", "request_type", "reason", "decision_rule", "channel",
                    "department", "received_at")
    list_filter = ("state", "request_type", "reason", "decision_rule")
    search_fields = ("number", "order_number_given")
    date_hierarchy = "received_at"
    list_select_related = ("department",)
    show_full_result_count = False
    inlines = [ReturnLineInline]
    fieldsets = (
        (None, {"fields": ("number", "state", "stage", "channel", "received_at", "origin")}),
        (_("Request"), {"fields": ("request_type", "reason", "description")}),
        (_("Rules"), {"fields": ("decision_rule", "decision_options", "decision_basis",
                                 "decision_facts", "review_rule", "against_engine")}),
        (_("Refund"), {"fields": ("refund_due_on", "refund_amount_due", "refund_amount",
                                  "refunded_at", "delay_flagged_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
