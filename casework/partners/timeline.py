"""A case's timeline as its partner may read it: every change of state, when, and who
acted in neutral words, from the transition records the back office keeps.

What the back office keeps to itself stays out: steps that leave the state as it was
(reassignment, identity checks, first approvals), the names of staff, and every reason
except one the partner gave itself (why it withdrew or cancelled, say).
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.models import TransitionRecord
from casework.trail.reasons import shown_reason


class Actor(models.TextChoices):
    """Who moved the case, as the partner is told."""

    YOU = "you", "you: this partner's API user"
    BACK_OFFICE = "back office", "back office: staff, or the payments system"
    SYSTEM = "system", "system: the clock, a rule, or a linked case ending"


def actor_of(actor_id: int | None, partner_user_id: int) -> str:
    if actor_id is None:
        return Actor.SYSTEM
    return Actor.YOU if actor_id == partner_user_id else Actor.BACK_OFFICE


def partner_timeline(case: models.Model) -> QuerySet[TransitionRecord]:
    """The case's changes of state, oldest first: one query a page, no join."""
    return (
        TransitionRecord.objects.filter(
            content_type=ContentType.objects.get_for_model(case), object_id=case.pk
        )
        .exclude(source_state=F("target_state"))
        .only(
            "id",
            "transition",
            "source_state",
            "target_state",
            "actor_id",
            "reason",
            "reason_code",
            "reason_params",
            "created_at",
        )
    )


class TimelineEntrySerializer(serializers.Serializer):
    """One change of state of the case."""

    # Reads the calling partner's user from the context's request.

    transition = serializers.CharField(help_text="What happened, e.g. register, accept, withdraw, settle.")
    from_state = serializers.CharField(
        source="source_state",
        allow_null=True,
        help_text="The state before; null for the case's first entry, when it was received.",
    )
    to_state = serializers.CharField(source="target_state", help_text="The state after.")
    occurred_at = serializers.DateTimeField(source="created_at")
    actor = serializers.SerializerMethodField(help_text="Who acted: " + "; ".join(Actor.labels) + ".")
    reason = serializers.SerializerMethodField(
        help_text="The reason you gave when you acted yourself; empty for what others did."
    )

    def _partner_user_id(self) -> int:
        return self.context["request"].user.pk

    def to_representation(self, record: TransitionRecord) -> dict:
        data = super().to_representation(record)
        data["from_state"] = data["from_state"] or None
        return data

    @extend_schema_field(serializers.ChoiceField(choices=Actor.values))
    def get_actor(self, record: TransitionRecord) -> str:
        return actor_of(record.actor_id, self._partner_user_id())

    def get_reason(self, record: TransitionRecord) -> str:
        # Staff reasons are the back office's working notes; the partner's own are its to read.
        # A reason the system wrote for the partner's own step reads in the request's language.
        return shown_reason(record) if record.actor_id == self._partner_user_id() else ""
