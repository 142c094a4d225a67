"""The models every case type shares (being split by concern: see the next commit)."""

from casework.models.sla import *  # noqa: F403
