from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Complaint, HandlingPlan


class HandlingPlanInline(admin.TabularInline):
    model = HandlingPlan
    fk_name = "complaint"
    extra = 0
    can_delete = False
    fields = ("submitted_at", "solution_type", "compensation_amount", "status",
              "customer_decision", "responsible_department", "deadline")
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Read-only reference view: every change goes through the case page and its services."""

    list_display = ("number", "state", "severity", "category", "channel", "department",
                    "assignee", "received_at")
    list_filter = ("state", "severity", "category", "channel")
    search_fields = ("number", "order_number_given")
    date_hierarchy = "received_at"
    list_select_related = ("department", "assignee")
    show_full_result_count = False
    inlines = [HandlingPlanInline]
    fieldsets = (
        (None, {"fields": ("number", "state", "stage", "channel", "received_at")}),
        (_("Classification"), {"fields": ("category", "subcategory", "severity", "priority",
                                          "department", "assignee")}),
        (_("Content"), {"fields": ("description", "customer_request", "outcome")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
