"""What a customer notice says: one function, :func:`render_notice`, from a notice kind, its
context and the customer's language to the subject, the e-mail's text and HTML, and the SMS.

Today it renders the Django templates ``customer_notices/<kind>.subject.txt``, ``.txt``,
``.html`` and ``.sms.txt`` (under the project's ``templates/``), inside
``translation.override(language)`` so their ``{% translate %}`` strings, dates and numbers
come out in the customer's language, not the clerk's. This is the one seam a later
change backs with templates supervisors edit in the admin: callers never read a template
themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

TEMPLATE_DIR = "customer_notices"


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    text: str
    html: str
    sms: str


def render_notice(kind: str, context: dict[str, Any], language: str) -> RenderedNotice:
    """The notice ``kind`` for ``context``, written in ``language`` (``zh-hans`` or ``en``)."""
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
