from django.contrib import admin

from .models import (
    Carrier,
    CarrierClaim,
    Courier,
    DeliverySettings,
    Shipment,
    ShipmentEvent,
    StatusMapping,
)


class CourierInline(admin.TabularInline):
    model = Courier
    extra = 0


class StatusMappingInline(admin.TabularInline):
    model = StatusMapping
    extra = 0


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "active"]
    search_fields = ["code", "name"]
    inlines = [CourierInline, StatusMappingInline]


@admin.register(Courier)
class CourierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "carrier", "active"]
    list_filter = ["carrier", "active"]
    search_fields = ["code", "name"]


class ShipmentEventInline(admin.TabularInline):
    model = ShipmentEvent
    extra = 0
    readonly_fields = ["at", "raw_status", "status", "location"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["tracking_number", "carrier", "courier", "status", "raw_status",
                    "shipped_at", "promised_at", "delivered_at"]
    list_filter = ["carrier", "status"]
    list_select_related = ["carrier", "courier"]
    search_fields = ["tracking_number", "order__number"]
    raw_id_fields = ["order", "courier"]
    date_hierarchy = "shipped_at"
    inlines = [ShipmentEventInline]


@admin.register(DeliverySettings)
class DeliverySettingsAdmin(admin.ModelAdmin):
    list_display = ["tier_a_amount", "tier_b_amount", "tier_c_amount", "weight_delay",
                    "weight_damage", "weight_loss", "weight_attitude"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not DeliverySettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CarrierClaim)
class CarrierClaimAdmin(admin.ModelAdmin):
    list_display = ["incident", "carrier", "amount_claimed", "recovered_amount", "status",
                    "filed_at", "settled_at"]
    list_filter = ["carrier", "status"]
    list_select_related = ["incident", "carrier"]
    readonly_fields = [f.name for f in CarrierClaim._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
