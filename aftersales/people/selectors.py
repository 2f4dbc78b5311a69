"""Reads about people: departments and staff as pickers show them."""

from django.contrib.auth import get_user_model
from django.core.cache import cache

from aftersales.people.models import Department

# Pickers on busy pages (inbox, ledger) reuse their lists for a minute; forms that change
# something check against the current lists (``fresh=True``).
PICKER_CACHE_SECONDS = 60
def user_department_id(user) -> int | None:
    profile = getattr(user, "staff_profile", None)
    return profile.department_id if profile else None


def department_choices(*, fresh: bool = False) -> list[tuple[int, str]]:
    """Every department as (id, name), by name."""
    def load() -> list[tuple[int, str]]:
        return list(Department.objects.order_by("name").values_list("pk", "name"))

    return load() if fresh else cache.get_or_set("people:department-choices", load,
                                                 PICKER_CACHE_SECONDS)


def staff_choices(*, fresh: bool = False) -> list[tuple[int, str]]:
    """Active staff with a role as (id, "full name (department)"), by name."""
    return _staff_choices() if fresh else cache.get_or_set("people:staff-choices",
                                                           _staff_choices, PICKER_CACHE_SECONDS)


def staff_name_choices() -> list[tuple[int, str]]:
    """Active staff with a role as (id, full name), by user name."""
    def load() -> list[tuple[int, str]]:
        people = (get_user_model().objects.filter(is_active=True, staff_profile__isnull=False)
                  .only("username", "first_name", "last_name").order_by("username"))
        return [(person.pk, person.get_full_name() or person.get_username()) for person in people]

    return cache.get_or_set("people:staff-names", load, PICKER_CACHE_SECONDS)


def _staff_choices() -> list[tuple[int, str]]:
    people = (
        get_user_model().objects.filter(is_active=True, staff_profile__isnull=False)
        .select_related("staff_profile__department")
        .only("username", "first_name", "last_name", "staff_profile__department__name")
        .order_by("first_name", "username")
    )
    choices = []
    for person in people:
        name = person.get_full_name() or person.username
        department = person.staff_profile.department
        choices.append((person.pk, f"{name} ({department.name})" if department else name))
    return choices
