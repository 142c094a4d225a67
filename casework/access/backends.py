"""Django's model permissions, read in one query instead of two.

``ModelBackend`` reads a user's own permissions and those of the user's groups in two
queries the first time a request asks ``has_perm``. Every partner API call and most admin
pages ask once, with a user loaded fresh for the request, so those queries are paid on
every call. This backend reads both sets in one statement; the answer, the per-request
cache on the user object, and the rules for inactive users and superusers are Django's.

A query that loads a user for a request may read the permissions with it
(``with_permissions``, then ``remember_permissions``): the partner API's key lookup does,
so a partner's call pays no query of its own for them.

It also refuses the demo's published logins outside the demo (``casework.access.demo_credentials``).
"""

from __future__ import annotations

from django.contrib.auth import backends
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections, router
from django.db.models import OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat

from casework.access.demo_credentials import is_refused_demo_login


def _all_permissions_sql(quote) -> str:
    permission = Permission._meta.db_table
    content_type = ContentType._meta.db_table
    user_permissions = User.user_permissions.through._meta.db_table
    group_permissions = Group.permissions.through._meta.db_table
    user_groups = User.groups.through._meta.db_table
    return (
        f"SELECT ct.app_label, p.codename FROM {quote(permission)} p "
        f"JOIN {quote(content_type)} ct ON ct.id = p.content_type_id "
        "WHERE p.id IN ("
        f"SELECT up.permission_id FROM {quote(user_permissions)} up WHERE up.user_id = %s "
        "UNION "
        f"SELECT gp.permission_id FROM {quote(group_permissions)} gp "
        f"JOIN {quote(user_groups)} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s)"
    )


PERMISSIONS_ANNOTATION = "_user_permission_names"


def with_permissions(queryset: QuerySet, user: str) -> QuerySet:
    """``queryset`` whose rows carry the permissions of the user at ``user`` (a path such
    as ``"partner__user"``), own and through groups, as ``get_all_permissions`` reads them,
    for ``remember_permissions``. PostgreSQL only: elsewhere unchanged (read on first use)."""
    if connections[queryset.db].vendor != "postgresql":
        return queryset
    user_id = OuterRef(OuterRef(f"{user}__id"))
    own = User.user_permissions.through.objects.filter(user_id=user_id).values("permission_id")
    grouped = Group.permissions.through.objects.filter(group__user=user_id).values("permission_id")
    names = (
        Permission.objects.filter(Q(pk__in=own) | Q(pk__in=grouped))
        .order_by()
        .values_list(Concat("content_type__app_label", Value("."), "codename"))
    )
    return queryset.annotate(**{PERMISSIONS_ANNOTATION: ArraySubquery(names)})


def remember_permissions(user_obj, row) -> None:
    """What the user's ``has_perm`` answers for this request, from ``row`` of a
    ``with_permissions`` query (nothing when it carries none). A superuser's are all and
    an inactive user's none, whatever the row says: left to ``get_all_permissions``."""
    names = getattr(row, PERMISSIONS_ANNOTATION, None)
    if names is None or user_obj.is_superuser or not user_obj.is_active:
        return
    user_obj._perm_cache = set(names)


class ModelBackend(backends.ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if is_refused_demo_login(username, password):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            connection = connections[router.db_for_read(Permission)]
            with connection.cursor() as cursor:
                cursor.execute(_all_permissions_sql(connection.ops.quote_name), [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {
                    f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()
                }
        return user_obj._perm_cache


def holders(permission: str) -> QuerySet:
    """The active staff holding ``permission`` (``app_label.codename``), by a role or of
    their own: whom a request waiting on that permission is told about. Superusers are
    not listed unless they hold it too: nobody's mailbox fills by default."""
    app_label, codename = permission.split(".")
    granted = Q(
        groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label
    )
    granted |= Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    return User.objects.filter(granted, is_active=True, is_staff=True).distinct()
