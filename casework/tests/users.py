"""Staff and partner users as the demo makes them: one role each, the demo's password.

The root ``conftest.py`` builds its one-user-per-role fixtures on ``make_user``; a test that
needs a further user of a role calls it too."""

from __future__ import annotations

from django.contrib.auth.models import Group, User

from casework.access import roles

DEMO_PASSWORD = "correct-horse-battery-staple"


def make_user(username: str, role: str | None, **extra) -> User:
    user = User.objects.create_user(
        username=username, password=DEMO_PASSWORD, is_staff=role != roles.PARTNER, **extra
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions
