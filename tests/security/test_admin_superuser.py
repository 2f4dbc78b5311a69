"""Only superusers grant superuser or staff status, groups or permissions in the admin. An
administrator who is not a superuser cannot raise anyone's powers, their own included, and
cannot edit an account that can do more than they can."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from aftersales.admin import PRIVILEGE_FIELDS
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@staff.example", PASSWORD)


def change_url(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def everything_for(user) -> dict:
    """The user's change form, filled in to make them a superuser in every group with every
    user permission."""
    return {
        "username": user.username, "first_name": "", "last_name": "", "email": user.email,
        "is_active": "on", "is_staff": "on", "is_superuser": "on",
        "groups": [group.pk for group in Group.objects.all()],
        "user_permissions": [perm.pk for perm in
                             Permission.objects.filter(content_type__app_label="auth")],
        "date_joined_0": "2026-01-05", "date_joined_1": "09:00:00",
        "last_login_0": "", "last_login_1": "",
    }


def powers(user) -> tuple:
    user = User.objects.get(pk=user.pk)
    return (user.is_superuser, user.is_staff, sorted(user.groups.values_list("name", flat=True)),
            sorted(user.user_permissions.values_list("codename", flat=True)))


def test_an_administrator_cannot_make_themself_superuser(client, admin_user):
    before = powers(admin_user)
    client.force_login(admin_user)

    client.post(change_url(admin_user), everything_for(admin_user))

    assert powers(admin_user) == before
    assert not User.objects.get(pk=admin_user.pk).is_superuser


def test_an_administrator_cannot_raise_a_colleagues_powers(client, admin_user, agent):
    before = powers(agent)
    client.force_login(admin_user)

    response = client.post(change_url(agent), {**everything_for(agent), "first_name": "Li"})

    assert response.status_code == 302  # the rest of the form is saved
    assert User.objects.get(pk=agent.pk).first_name == "Li"
    assert powers(agent) == before


def test_the_privilege_fields_are_read_only_for_an_administrator(client, admin_user, agent):
    client.force_login(admin_user)

    page = client.get(change_url(agent)).content.decode()

    for field in PRIVILEGE_FIELDS:
        assert f'name="{field}"' not in page
    assert 'name="first_name"' in page


def test_a_superuser_sees_and_grants_the_privilege_fields(client, root, agent):
    client.force_login(root)

    page = client.get(change_url(agent)).content.decode()
    response = client.post(change_url(agent), everything_for(agent))

    assert all(f'name="{field}"' in page for field in PRIVILEGE_FIELDS)
    assert response.status_code == 302
    assert powers(agent)[0:2] == (True, True)


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_saving_a_raised_flag_is_refused_even_past_the_form(admin_user, agent, flag):
    """The read-only fields keep the form honest; the save refuses on its own as well."""
    model_admin = admin.site._registry[User]
    request = RequestFactory().post("/")
    request.user = admin_user
    setattr(agent, flag, not getattr(agent, flag))
    form = model_admin.get_form(request, agent)(instance=agent)
    form.cleaned_data, form.changed_data = {}, []

    with pytest.raises(PermissionDenied):
        model_admin.save_model(request, agent, form, change=True)


def test_a_new_account_by_an_administrator_cannot_start_as_superuser(admin_user):
    model_admin = admin.site._registry[User]
    request = RequestFactory().post("/")
    request.user = admin_user
    newcomer = User(username="newcomer", is_superuser=True)
    form = model_admin.get_form(request, None)()
    form.cleaned_data, form.changed_data = {}, []

    with pytest.raises(PermissionDenied):
        model_admin.save_model(request, newcomer, form, change=False)
    assert not User.objects.filter(username="newcomer").exists()


def test_an_administrator_cannot_take_over_a_superuser(client, admin_user, root):
    client.force_login(admin_user)

    password = client.post(reverse("admin:auth_user_password_change", args=[root.pk]),
                           {"password1": "taken-over-4711", "password2": "taken-over-4711"})
    email = client.post(change_url(root), {**everything_for(root), "email": "me@evil.example"})

    assert password.status_code == 403
    assert email.status_code == 403
    assert User.objects.get(pk=root.pk).email == "root@staff.example"
    assert User.objects.get(pk=root.pk).check_password(PASSWORD)


def test_an_administrator_cannot_edit_an_account_with_more_permissions(client, admin_user,
                                                                       agent):
    agent.user_permissions.add(Permission.objects.get(codename="delete_user"))
    client.force_login(admin_user)

    response = client.post(change_url(agent), {**everything_for(agent), "first_name": "Li"})

    assert response.status_code == 403
    assert User.objects.get(pk=agent.pk).first_name == ""


def test_an_administrator_still_manages_ordinary_staff(client, admin_user, agent):
    client.force_login(admin_user)

    response = client.post(reverse("admin:auth_user_password_change", args=[agent.pk]),
                           {"password1": "a-new-pass-4711", "password2": "a-new-pass-4711"})

    assert response.status_code == 302
    assert User.objects.get(pk=agent.pk).check_password("a-new-pass-4711")


def test_only_a_superuser_changes_a_groups_permissions(client, admin_user):
    admin_user.user_permissions.add(Permission.objects.get(codename="change_group"),
                                    Permission.objects.get(codename="view_group"))
    role = Group.objects.get(name="admin")
    before = set(role.permissions.values_list("pk", flat=True))
    client.force_login(admin_user)

    client.post(reverse("admin:auth_group_change", args=[role.pk]), {
        "name": "admin", "permissions": [p.pk for p in Permission.objects.all()]})

    assert set(role.permissions.values_list("pk", flat=True)) == before
