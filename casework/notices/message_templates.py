"""Writing a message from a ``MessageTemplate``: which template a case gets, the text with
its placeholders filled, the HTML part of the e-mail, the SMS and how many parts it costs.

The values come from whoever sends: a notice's context (``notice_values``, the same the
notice's file templates read) or the agent's reply. The HTML part is drawn in the notices'
own layout (``customer_notices/_layout.html``), so a template written in the admin looks
like the notices written in files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from casework.models.message_templates import MessageTemplate, fill

# An SMS in GSM-7 holds 160 septets (153 a part once split), a character of the
# extension table taking two; one with any other character, Chinese included, is sent in
# UCS-2: 70 characters (67 a part).
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


def sms_parts(text: str) -> int:
    """How many SMS parts ``text`` is sent in (0 for none)."""
    if not text:
        return 0
    if set(text) <= _GSM7 | _GSM7_EXTENSION:
        length, single, part = len(text) + sum(c in _GSM7_EXTENSION for c in text), 160, 153
    else:
        length, single, part = len(text), 70, 67
    return 1 if length <= single else -(-length // part)


def find_template(
    *, purpose: str, code: str, language: str, case_type: str = "", category: str = ""
) -> MessageTemplate | None:
    """The most specific active template: the case type and category first, blanks last."""
    return (
        MessageTemplate.objects.filter(purpose=purpose, code=code, language=language, is_active=True)
        .filter(case_type__in={case_type, ""}, category__in={category, ""})
        .order_by(
            Case(When(case_type="", then=Value(1)), default=Value(0), output_field=IntegerField()),
            Case(When(category="", then=Value(1)), default=Value(0), output_field=IntegerField()),
        )
        .first()
    )


def reply_templates(*, language: str, case_type: str, category: str = "") -> QuerySet[MessageTemplate]:
    """The reply templates an agent may start from on a case, by title."""
    return MessageTemplate.objects.filter(
        purpose=MessageTemplate.Purpose.REPLY,
        is_active=True,
        language=language,
        case_type__in={case_type, ""},
        category__in={category, ""},
    ).order_by("title", "pk")


def html_of(subject: str, text: str, *, language: str, hotline: str = "") -> str:
    """The HTML part of an e-mail whose text is ``text``: its paragraphs (a blank line
    apart), links made clickable, in the notices' layout and signature."""
    with translation.override(language):
        return render_to_string(
            "customer_notices/_paragraphs.html",
            {
                "subject": subject,
                "paragraphs": [part.strip() for part in text.split("\n\n") if part.strip()],
                "hotline": hotline,
                "LANGUAGE_CODE": language,
            },
        )


def render(template: MessageTemplate, values: dict[str, str]) -> Rendered:
    """The message ``template`` writes with ``values``: subject, text, HTML and SMS."""
    subject, text = fill(template.subject, values), fill(template.body, values)
    return Rendered(
        subject=subject,
        text=text,
        html=html_of(subject, text, language=template.language, hotline=values.get("hotline", "")),
        sms=fill(template.sms_body, values),
    )


def _day(value) -> str:
    return date_format(value, gettext("j F Y")) if value else ""


def notice_values(context: dict[str, Any], language: str) -> dict[str, str]:
    """The placeholders' values from a notice's context (``casework.notices.customers``), in
    the customer's language: dates as the notices write them, labels translated."""
    case = context.get("case")
    contact = context.get("contact")
    with translation.override(language):
        deadline = _day(context.get("deadline"))
        values = {
            "reference": context.get("reference") or getattr(case, "reference", ""),
            "customer_name": getattr(contact, "name", ""),
            "category": case.get_category_display() if hasattr(case, "get_category_display") else "",
            "received_date": _day(timezone.localdate(case.created_at))
            if getattr(case, "created_at", None)
            else "",
            "due_date": deadline,
            "extended_due_date": deadline
            if case is not None and getattr(case, "holding_response", "")
            else "",
            "reason": context.get("reason", ""),
            "outcome": context.get("outcome", ""),
            "summary": context.get("summary", ""),
            "amount": context.get("amount", ""),
            "debit_date": _day(context.get("debit_date")),
            "honoured_until": _day(context.get("honoured_until")),
            "account": context.get("account", ""),
            "hotline": context.get("hotline", ""),
            "regulator": context.get("regulator", ""),
            "survey_link": context.get("survey_url", ""),
            "agent_name": context.get("agent_name", ""),
        }
        return {name: str(value) for name, value in values.items()}


def sample_values(language: str) -> dict[str, str]:
    """Made-up values to preview a template with, in its language."""
    today = timezone.localdate()
    with translation.override(language):
        return {
            "reference": "TS-2026-000123",
            "customer_name": gettext("Wang Fang"),
            "category": gettext("transaction failed or abnormal"),
            "received_date": date_format(today, "DATE_FORMAT"),
            "due_date": date_format(today + dt.timedelta(days=15), "DATE_FORMAT"),
            "extended_due_date": date_format(today + dt.timedelta(days=60), "DATE_FORMAT"),
            "reason": gettext("We are waiting for the merchant's records of the payment."),
            "outcome": gettext("refunded"),
            "summary": gettext("The payment failed at the bank; the amount was returned to your wallet."),
            "amount": "CNY 268.00",
            "debit_date": date_format(today, "DATE_FORMAT"),
            "honoured_until": date_format(today + dt.timedelta(days=7), "DATE_FORMAT"),
            "account": "****1234",
            "hotline": "95188",
            "regulator": gettext("the People's Bank of China hotline 12363"),
            "survey_link": "https://wallet.example/survey/…",
            "agent_name": gettext("Li"),
        }
