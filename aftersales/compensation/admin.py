from django.contrib import admin

from .models import CompensationLine, CompensationPolicy


@admin.register(CompensationPolicy)
class CompensationPolicyAdmin(admin.ModelAdmin):
    list_display = ["goodwill_cap", "supervisor_multiple", "point_value", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not CompensationPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CompensationLine)
class CompensationLineAdmin(admin.ModelAdmin):
    list_display = ["ticket", "type", "value", "points", "reason", "state", "version",
                    "proposed_at", "executed_at"]
    list_filter = ["state", "type", "reason"]
    list_select_related = ["ticket"]
    raw_id_fields = ["ticket", "proposed_by", "approved_by", "consent_by", "executed_by"]
    readonly_fields = [f.name for f in CompensationLine._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
