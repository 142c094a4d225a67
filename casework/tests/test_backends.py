"""Model permissions read in one query: the same answers as Django's ModelBackend."""

from __future__ import annotations

import pytest
from django.contrib.auth import backends as django_backends
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.access.backends import ModelBackend
from casework.tests.users import make_user


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def test_group_and_own_permissions_in_one_query_as_django_reads_them_in_two(agent):
    extra = Permission.objects.get(codename="view_dashboard", content_type__app_label="casework")
    agent.user_permissions.add(extra)

    user, same_user = fresh(agent), fresh(agent)
    with CaptureQueriesContext(connection) as ours:
        mine = ModelBackend().get_all_permissions(user)
    with CaptureQueriesContext(connection) as djangos:
        theirs = django_backends.ModelBackend().get_all_permissions(same_user)

    assert mine == theirs
    assert "casework.view_dashboard" in mine  # the user's own
    assert "complaints.add_complaint" in mine  # from the agent group
    assert (len(ours), len(djangos)) == (1, 2)


def test_has_perm_asks_once_per_request_user(agent):
    user = fresh(agent)
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("complaints.add_complaint")
        assert user.has_perm("complaints.verify_identity_complaint")
        assert not user.has_perm("refunds.approve_refundcase")
    assert len(queries) == 1


def test_a_permission_taken_from_the_group_is_gone_for_the_next_request(agent):
    group = Group.objects.get(name="agent")
    assert fresh(agent).has_perm("complaints.add_complaint")
    group.permissions.remove(Permission.objects.get(codename="add_complaint"))
    assert not fresh(agent).has_perm("complaints.add_complaint")


@pytest.mark.parametrize("change", ["inactive", "superuser"])
def test_inactive_users_have_none_and_superusers_all(db, change):
    user = make_user("someone", None)
    if change == "inactive":
        user.is_active = False
        user.user_permissions.add(Permission.objects.get(codename="add_complaint"))
        user.save()
        assert ModelBackend().get_all_permissions(fresh(user)) == set()
        assert not fresh(user).has_perm("complaints.add_complaint")
    else:
        user.is_superuser = True
        user.save()
        assert ModelBackend().get_all_permissions(fresh(user)) == {
            f"{app}.{codename}"
            for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
        }


def test_permissions_on_an_object_are_not_model_permissions(agent):
    assert ModelBackend().get_all_permissions(fresh(agent), obj=object()) == set()
