"""What an account test reads back after a service ran: the request as stored and its
history."""

from __future__ import annotations

from accounts.models import AccountRequest
from casework.models import TransitionRecord


def stored(request: AccountRequest) -> AccountRequest:
    return AccountRequest.objects.get(pk=request.pk)


def records_of(request: AccountRequest) -> list[TransitionRecord]:
    return list(
        TransitionRecord.objects.filter(case_reference=request.reference, object_id=request.pk).order_by("id")
    )
