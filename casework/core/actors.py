"""Who acts on a case: a user (staff, or a partner's API user), or ``None`` for the
system (the SLA clock, a case whose end moves another). Every service names its ``actor``
with this type."""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AbstractBaseUser

Actor: TypeAlias = AbstractBaseUser | None
