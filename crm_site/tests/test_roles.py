import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from crm_site.roles import ROLE_PERMISSIONS, Role, sync_role_groups, user_roles
from crm_site.tests.factories import UserFactory


@pytest.mark.django_db
def test_migration_creates_one_group_per_role_with_exactly_its_permissions():
    assert set(Group.objects.values_list("name", flat=True)) == {role.value for role in Role}
    for role, codes in ROLE_PERMISSIONS.items():
        granted = {
            f"{app}.{code}"
            for app, code in Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename")
        }
        assert granted == set(codes)


@pytest.mark.django_db
def test_admin_group_holds_every_crm_permission():
    admin = Group.objects.get(name=Role.ADMIN)
    codes = set(admin.permissions.values_list("codename", flat=True))
    assert {"view_all_retailers", "change_retailer_structure", "add_user", "change_periodictask"} <= codes


@pytest.mark.django_db
def test_sync_is_idempotent_and_repairs_drift():
    clerk = Group.objects.get(name=Role.COMPLAINT_CLERK)
    clerk.permissions.clear()
    sync_role_groups(apps)
    sync_role_groups(apps)
    assert clerk.permissions.count() == len(ROLE_PERMISSIONS[Role.COMPLAINT_CLERK])
    assert Group.objects.count() == len(Role)


@pytest.mark.django_db
def test_user_roles_lists_groups_and_treats_superusers_as_admins():
    clerk = UserFactory(role=Role.COMPLAINT_CLERK)
    root = UserFactory(is_superuser=True)
    assert user_roles(clerk) == [Role.COMPLAINT_CLERK]
    assert user_roles(root) == [Role.ADMIN]
