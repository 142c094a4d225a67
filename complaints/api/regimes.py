"""The regime fields of a complaint as a partner sends and reads them: the regime's code
(its newest version) and the condition on create; the regime's code and version, and
what the decision deadline is counted from, on read."""

from __future__ import annotations

from rest_framework import serializers

from casework.models import RegimeCondition, TimeUnit


def regime_field() -> serializers.CharField:
    return serializers.CharField(
        allow_blank=True,
        default="",
        max_length=40,
        help_text="The code of the regulatory regime the complaint runs under, e.g. `cn-pboc`, "
        "`us-reg-e`; blank: the deployment's. An unknown code is a 400 on `regime`.",
    )


def condition_field(*, read_only: bool = False) -> serializers.ChoiceField:
    options = {"read_only": True} if read_only else {"allow_blank": True, "default": ""}
    return serializers.ChoiceField(
        choices=RegimeCondition.choices,
        help_text="What narrows the regime's limits for this case (Reg E's `new_account`); blank: none.",
        **options,
    )


class DecisionBasisSerializer(serializers.Serializer):
    """What the decision deadline (``sla.resolution_due_at``) is counted from."""

    target = serializers.IntegerField(read_only=True)
    unit = serializers.ChoiceField(choices=TimeUnit.choices, read_only=True)
    article = serializers.CharField(
        read_only=True, help_text="The article the limit comes from; empty for the SLA policy's own target."
    )
    extension_tier = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The extension tier in force; null: none."
    )
