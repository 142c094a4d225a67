"""The intake's doors over HTTP: django-anymail's inbound webhooks (any provider's, each
with anymail's basic auth and the provider's own signature check, routed in
``config/urls.py``) hand each message to ``mail.file_customer_email`` through anymail's
``inbound`` signal; the SMS gateway posts each reply to :func:`sms_inbound`, signed as
our own webhooks are (Standard Webhooks, ``casework.notices.webhooks``) under
``settings.SMS_INBOUND_SECRET``.
"""

from __future__ import annotations

import json

from anymail.signals import inbound
from django.conf import settings
from django.dispatch import receiver
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from casework.core.errors import InvalidInput
from casework.intake.mail import file_customer_email
from casework.intake.texts import file_customer_sms
from casework.models import ContactOptOut
from casework.notices import webhooks

try:
    from django.contrib.auth.decorators import login_not_required
except ImportError:  # Django before 5.1

    def login_not_required(view):
        return view


@receiver(inbound, dispatch_uid="casework.intake.file_inbound_email")
def file_inbound_email(sender, event, esp_name, **kwargs) -> None:
    """A provider posted an e-mail to the complaints address: filed, committed, then answered
    200 (an error is a 500, and the provider posts it again)."""
    file_customer_email(event.message)


@csrf_exempt
@login_not_required
@require_POST
def sms_inbound(request):
    """``{"from": "+86…", "text": "…", "received_at": ISO 8601, "id": the gateway's id}``."""
    secret = settings.SMS_INBOUND_SECRET
    if not secret:
        raise Http404("No SMS gateway is configured")
    try:
        webhooks.verify(secret, request.headers, request.body, now=timezone.now())
    except webhooks.InvalidSignature as refusal:
        return JsonResponse({"error": "invalid_signature", "detail": str(refusal)}, status=401)
    try:
        payload = json.loads(request.body)
        sender, text = str(payload["from"]), str(payload.get("text") or "")
        received_at = parse_datetime(str(payload.get("received_at") or "")) or timezone.now()
    except (ValueError, KeyError, TypeError, AttributeError):
        return JsonResponse(
            {"error": "invalid", "detail": "Expected JSON with from, text, received_at, id"}, status=400
        )
    if timezone.is_naive(received_at):
        return JsonResponse({"error": "invalid", "detail": "received_at needs its UTC offset"}, status=400)
    try:
        filed = file_customer_sms(
            sender, text, received_at, str(payload.get("id") or request.headers["webhook-id"])
        )
    except InvalidInput as refusal:
        return JsonResponse(
            {"error": "invalid", "field": refusal.field, "detail": refusal.message}, status=400
        )
    if filed is None:
        return JsonResponse({"filed": False})
    if isinstance(filed, ContactOptOut):
        return JsonResponse({"filed": True, "opted_out": True})
    return JsonResponse({"filed": True})
