"""What a customer notice says: one function, :func:`render_notice`, from a notice kind, its
context and the customer's language to the subject, the e-mail's text and HTML, and the SMS.

A supervisor's template wins: the most specific active ``MessageTemplate`` for the notice,
the case's type and category and the customer's language (``message_templates``), its
placeholders filled from the same context; a template without an SMS text leaves the SMS
to the file. Otherwise the Django templates ``customer_notices/<kind>.subject.txt``,
``.txt``, ``.html`` and ``.sms.txt`` (under the project's ``templates/``), rendered inside
``translation.override(language)`` so their ``{% translate %}`` strings, dates and numbers
come out in the customer's language, not the clerk's. Callers never read a template
themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from casework.models import MessageTemplate, kinds
from casework.notices import message_templates

TEMPLATE_DIR = "customer_notices"


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    text: str
    html: str
    sms: str


def render_notice(kind: str, context: dict[str, Any], language: str) -> RenderedNotice:
    """The notice ``kind`` for ``context``, written in ``language`` (``zh-hans`` or ``en``)."""
    case = context.get("case")
    template = message_templates.find_template(
        purpose=MessageTemplate.Purpose.NOTICE,
        code=kind,
        language=language,
        case_type=_case_type(case),
        category=getattr(case, "category", "") or "",
    )
    if template is None:
        return _from_files(kind, context, language)
    written = message_templates.render(template, message_templates.notice_values(context, language))
    sms = written.sms or _from_files(kind, context, language).sms
    return RenderedNotice(subject=written.subject, text=written.text, html=written.html, sms=sms)


def _case_type(case) -> str:
    """The case type a template may be written for; "" for a case that is no kind's."""
    try:
        return kinds.kind_of(type(case)).case_type if case is not None else ""
    except LookupError:
        return ""


def _from_files(kind: str, context: dict[str, Any], language: str) -> RenderedNotice:
    with translation.override(language):
        parts = {
            part: render_to_string(f"{TEMPLATE_DIR}/{kind}.{suffix}", context).strip()
            for part, suffix in (
                ("subject", "subject.txt"),
                ("text", "txt"),
                ("html", "html"),
                ("sms", "sms.txt"),
            )
        }
    parts["subject"] = " ".join(parts["subject"].split())
    parts["sms"] = " ".join(parts["sms"].split())
    return RenderedNotice(**parts)
