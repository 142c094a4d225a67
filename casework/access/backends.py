"""Django's model permissions, read in one query instead of two.

``ModelBackend`` reads a user's own permissions and those of the user's groups in two
queries the first time a request asks ``has_perm``. Every partner API call and most admin
pages ask once, with a user loaded fresh for the request, so those queries are paid on
every call. This backend reads both sets in one statement; the answer, the per-request
cache on the user object, and the rules for inactive users and superusers are Django's.

It also refuses the demo's published logins outside the demo (``casework.access.demo_credentials``).
"""

from __future__ import annotations

from django.contrib.auth import backends
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router

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
