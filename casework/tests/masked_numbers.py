"""The customer's numbers the masking tests file and look for, and the address that reveals
one value."""

from __future__ import annotations

from django.urls import reverse

PHONE = "13911002233"
# Kept in E.164, however it was typed (casework.core.phones).
STORED_PHONE = "+8613911002233"
ACCOUNT = "WLT-8800-1203"


def reveal_url(obj, field: str) -> str:
    meta = obj._meta
    return reverse("admin:casework_reveal", args=[meta.app_label, meta.model_name, obj.pk, field])
