"""Administration of the kernel: SLA policies, the business calendar, people and catalogue."""

from datetime import date, timedelta

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from aftersales.cases.models import CannedResponse
from aftersales.catalog.models import (
    Order,
    OrderDeal,
    OrderLine,
    OrderPayment,
    Product,
    ProductPrice,
)
from aftersales.notifications.models import Notification
from aftersales.people.models import Customer, Department, StaffProfile
from aftersales.people.signin import ThrottledAdminAuthenticationForm
from aftersales.sla import calendar as business_calendar
from aftersales.sla.clocks import format_duration
from aftersales.sla.models import CalendarDay, CalendarYear, SlaPolicy, WorkingPeriod

# Admin sign-in: the same throttle as the site's, with its explanation on the form.
admin.site.login_form = ThrottledAdminAuthenticationForm


class CalendarWarningMixin:
    """Warn on the calendar and policy pages when a year's holidays are only estimated."""

    def changelist_view(self, request, extra_context=None):
        try:
            for warning in business_calendar.unconfirmed_years():
                messages.warning(request, warning.message)
        except Exception:  # a warning must never break the admin page
            business_calendar.logger.exception("Could not check the calendar years")
        return super().changelist_view(request, extra_context)


def _duration(minutes, basis_label):
    if not minutes:
        return "—"
    return f"{format_duration(minutes * 60)} ({basis_label})"


@admin.register(SlaPolicy)
class SlaPolicyAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "severity", "first_response", "resolution", "close",
                    "follow_up", "at_risk_percent", "escalate_on_breach", "active")
    list_filter = ("kind", "severity", "active", "escalate_on_breach")
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "kind", "severity", "active", "notes")}),
        (_("Targets"), {
            "description": _("Minutes; 30 = half an hour, 1440 = a day, 10080 = a week. "
                             "Business hours count only working time on the business "
                             "calendar."),
            "fields": (("first_response_minutes", "first_response_basis"),
                       ("resolution_minutes", "resolution_basis"),
                       ("close_minutes", "close_basis"),
                       ("follow_up_delay_minutes", "follow_up_basis"),
                       "roll_to_working_day"),
        }),
        (_("Alerts"), {"fields": ("at_risk_percent", "escalate_on_breach")}),
    )

    @admin.display(description=_("first response"))
    def first_response(self, obj):
        return _duration(obj.first_response_minutes, obj.get_first_response_basis_display())

    @admin.display(description=_("resolution reply"))
    def resolution(self, obj):
        return _duration(obj.resolution_minutes, obj.get_resolution_basis_display())

    @admin.display(description=_("close"))
    def close(self, obj):
        return _duration(obj.close_minutes, obj.get_close_basis_display())

    @admin.display(description=_("return visit after"))
    def follow_up(self, obj):
        return _duration(obj.follow_up_delay_minutes, obj.get_follow_up_basis_display())


@admin.register(WorkingPeriod)
class WorkingPeriodAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ("weekday", "start", "end")
    list_editable = ("start", "end")
    list_filter = ("weekday",)


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarWarningMixin, admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "name", "start", "end")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("name",)

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return WorkingPeriod.Weekday(obj.date.weekday()).label


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarWarningMixin, admin.ModelAdmin):
    """Confirm a year once its days off and adjusted working days have been checked."""

    list_display = ("year", "source", "confirmed_by", "confirmed_at", "note")
    readonly_fields = ("confirmed_by", "confirmed_at", "days_off_and_working_weekends")
    fields = ("year", "note", "days_off_and_working_weekends", "confirmed_by", "confirmed_at")

    @admin.display(description=_("source of the calendar"))
    def source(self, obj):
        return business_calendar.year_status(obj.year).source

    @admin.display(description=_("days off on weekdays and working weekend days"))
    def days_off_and_working_weekends(self, obj):
        year = obj.year if obj and obj.year else timezone.localdate().year + 1
        cal = business_calendar.get_calendar()
        day, rows = date(year, 1, 1), []
        while day.year == year:
            info = cal.day(day)
            unusual = (day.weekday() < 5) != info.working
            if unusual:
                rows.append((day.isoformat(), info.label, info.name or "", info.source))
            day += timedelta(days=1)
        if not rows:
            return "—"
        return format_html_join("\n", "<div>{} · {} {} <small>({})</small></div>", rows)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.confirmed_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "code")


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "department")
    list_filter = ("department",)
    list_select_related = ("user", "department")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("department",)
    raw_id_fields = ("user",)


class ProductPriceInline(admin.TabularInline):
    model = ProductPrice
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "category", "model_number", "warranty_months",
                    "in_sanbao_catalogue", "no_reason_return_excluded", "durable")
    list_filter = ("category", "in_sanbao_catalogue", "no_reason_return_excluded", "durable")
    search_fields = ("sku", "name", "model_number")
    inlines = [ProductPriceInline]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    autocomplete_fields = ("product",)


class OrderDealInline(admin.TabularInline):
    model = OrderDeal
    extra = 0


class OrderPaymentInline(admin.TabularInline):
    model = OrderPayment
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "sale_channel", "placed_at", "signed_at")
    list_filter = ("sale_channel",)
    search_fields = ("number",)
    date_hierarchy = "placed_at"
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)
    inlines = [OrderLineInline, OrderDealInline, OrderPaymentInline]


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "active")
    list_filter = ("kind", "active")
    search_fields = ("title", "body")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """Contact data is encrypted at rest and only shown masked here (domain.md §10.3)."""

    list_display = ("name", "masked_phone", "masked_email", "username", "created_at")
    search_fields = ("name", "username")
    fields = ("name", "username", "masked_phone", "masked_email", "created_at")
    readonly_fields = ("masked_phone", "masked_email", "created_at")

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return obj.masked_phone

    @admin.display(description=_("e-mail"))
    def masked_email(self, obj):
        return obj.masked_email

    def has_add_permission(self, request) -> bool:
        # Customers are created with their encrypted contact data by the intake services.
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "event", "ticket", "read_at", "emailed_at")
    list_filter = ("event",)
    list_select_related = ("recipient", "ticket")
    raw_id_fields = ("recipient", "ticket")
    readonly_fields = ("recipient", "ticket", "event", "data", "created_at", "read_at",
                       "emailed_at")

    def has_add_permission(self, request) -> bool:
        return False


# --- staff accounts -------------------------------------------------------------------

PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")


def _permissions_of(user) -> set[str]:
    """Every permission an account holds, directly or through its groups, active or not."""
    rows = (Permission.objects.filter(Q(user=user) | Q(group__user=user))
            .values_list("content_type__app_label", "codename").distinct())
    return {f"{app_label}.{codename}" for app_label, codename in rows}


def _outranks(account, actor) -> bool:
    """True when ``account`` can do something ``actor`` cannot: ``actor`` must not edit it.

    Otherwise a password or e-mail change would hand ``actor`` the account's powers.
    """
    if actor.is_superuser:
        return False
    return account.is_superuser or not _permissions_of(account) <= actor.get_all_permissions()


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class StaffUserAdmin(UserAdmin):
    """Only superusers grant superuser or staff status, groups or permissions.

    For anyone else those fields are read-only, on every account including their own, and
    a save that changes them anyway is refused. Accounts that can do more than the editor
    (a superuser, or someone with permissions the editor lacks) are view-only to them.
    """

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return fields + tuple(f for f in PRIVILEGE_FIELDS if f not in fields)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and _outranks(obj, request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and _outranks(obj, request.user):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            before = type(obj).objects.filter(pk=obj.pk).first() if change else None
            granted = any(
                getattr(obj, flag) != (getattr(before, flag) if before else False)
                for flag in ("is_superuser", "is_staff")
            )
            if granted or set(form.changed_data) & set(PRIVILEGE_FIELDS):
                raise PermissionDenied
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if not request.user.is_superuser and set(form.changed_data) & set(PRIVILEGE_FIELDS):
            raise PermissionDenied
        super().save_related(request, form, formsets, change)

    def delete_queryset(self, request, queryset):
        if any(_outranks(account, request.user) for account in queryset):
            raise PermissionDenied
        super().delete_queryset(request, queryset)


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(GroupAdmin):
    """A group's permissions are granted to its members: only superusers change them."""

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else (*fields, "permissions")

    def save_related(self, request, form, formsets, change):
        if not request.user.is_superuser and "permissions" in form.changed_data:
            raise PermissionDenied
        super().save_related(request, form, formsets, change)
