"""Serializers every case type's API shares."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.models import SlaClock, SlaStatus


class SlaSerializer(serializers.Serializer):
    resolution_due_at = serializers.DateTimeField(read_only=True)
    is_breached = serializers.SerializerMethodField(help_text="Late once, late for good.")
    status = serializers.SerializerMethodField()

    def _now(self):
        # One instant per response, so every row of a page is judged at the same time.
        return self.context.get("now") or timezone.now()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_breached(self, clock: SlaClock) -> bool:
        return clock.is_breached(self._now())

    @extend_schema_field(serializers.ChoiceField(choices=SlaStatus.choices))
    def get_status(self, clock: SlaClock) -> str:
        return clock.status(self._now())


class VersionedActionSerializer(serializers.Serializer):
    """The body of a partner's action on a case (cancel, withdraw): why, and the version read."""

    reason = serializers.CharField(
        allow_blank=True, default="", max_length=2000, help_text="Why the customer asks for it."
    )
    version = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="The version you last read; if the case changed since, the answer is 409 "
        "concurrent_change and nothing changes. Same as sending If-Match.",
    )
