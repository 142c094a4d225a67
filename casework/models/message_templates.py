"""The texts the back office writes to customers with: the notices the rules require and
the agents' reply templates (macros), per case type, category and language, edited by
supervisors in the admin and kept with their history.

A template's text names what changes from case to case as placeholders in braces,
``{reference}``, ``{due_date}``; ``{{`` and ``}}`` write a brace. Which placeholders exist
is ``PLACEHOLDERS``: a template naming another one is refused when it is saved, naming it,
so no message ever goes out with a hole in it.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.chain import ChainedHistoricalRecords
from casework.models.correspondence import CustomerLanguage
from casework.models.sla import CaseType

# Each placeholder a template may use, and what it stands for (shown beside the form).
PLACEHOLDERS = {
    "reference": _("the case's reference, e.g. TS-2026-000123"),
    "customer_name": _("the customer's name as registered"),
    "category": _("what the complaint is about, in the customer's language"),
    "received_date": _("the day the case was received"),
    "due_date": _("the day the decision is due"),
    "extended_due_date": _("the day the decision is due after an extension"),
    "reason": _("why the answer needs longer (extension), or why a case was refused"),
    "outcome": _("the decision, e.g. refunded, explained"),
    "summary": _("what was decided and why, as written by the agent"),
    "amount": _("the amount concerned, with its currency"),
    "debit_date": _("the day a provisional credit is taken back (debited)"),
    "honoured_until": _("after a reversal, the last day payments to third parties are honoured"),
    "account": _("the wallet account, masked (****1234)"),
    "hotline": _("the customer service hotline"),
    "regulator": _("where the customer may complain if not satisfied"),
    "survey_link": _("the link to the satisfaction survey"),
    "agent_name": _("the first name of the agent who writes"),
}

# ``{{``, ``}}``, or ``{name}``; anything else with a brace is a mistake.
_TOKEN = re.compile(r"\{\{|\}\}|\{([a-z_]+)\}|[{}]")


def placeholders_in(text: str) -> list[str]:
    """The placeholders ``text`` names, in order; a stray brace raises ``ValidationError``."""
    names = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            raise ValidationError(
                _(
                    "A lone brace at character %(position)s: write {{ or }} for a brace, "
                    "{name} for a placeholder."
                ),
                params={"position": match.start() + 1},
                code="stray_brace",
            )
        names.append(match.group(1))
    return names


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each placeholder replaced by its value ("" when the case has none)."""

    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return str(values.get(match.group(1)) or "")

    return _TOKEN.sub(replace, text)


def check_placeholders(text: str) -> None:
    unknown = sorted({name for name in placeholders_in(text) if name not in PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            _("No such placeholder: %(names)s. Use one of those listed beside the form."),
            params={"names": ", ".join(f"{{{name}}}" for name in unknown)},
            code="unknown_placeholder",
        )


class MessageTemplate(models.Model):
    """One text to customers, for one language, optionally narrowed to a case type and category.

    The most specific active template wins: the case's category, then any category."""

    class Purpose(models.TextChoices):
        NOTICE = "notice", _("notice the rules require")
        REPLY = "reply", _("reply template for agents")

    purpose = models.CharField(max_length=10, choices=Purpose.choices, verbose_name=_("purpose"))
    code = models.SlugField(
        max_length=60,
        help_text=_(
            "Notices: the notice it writes (acceptance, extension, decision, refund_settled, "
            "unlock_executed). Reply templates: a short name of your choosing."
        ),
        verbose_name=_("code"),
    )
    title = models.CharField(
        max_length=120, help_text=_("What agents see when they choose it."), verbose_name=_("title")
    )
    case_type = models.CharField(
        max_length=32,
        choices=CaseType.choices,
        blank=True,
        help_text=_("Blank: every case type."),
        verbose_name=_("case type"),
    )
    category = models.CharField(
        max_length=40, blank=True, help_text=_("Blank: every category."), verbose_name=_("category")
    )
    language = models.CharField(
        max_length=10,
        choices=CustomerLanguage.choices,
        default=CustomerLanguage.ZH_HANS,
        verbose_name=_("language"),
    )
    subject = models.CharField(
        max_length=200,
        blank=True,
        validators=[check_placeholders],
        help_text=_("The e-mail's subject."),
        verbose_name=_("subject"),
    )
    body = models.TextField(
        max_length=4000,
        validators=[check_placeholders],
        help_text=_("The e-mail's text; a blank line starts a new paragraph."),
        verbose_name=_("text"),
    )
    sms_body = models.CharField(
        max_length=500,
        blank=True,
        validators=[check_placeholders],
        help_text=_(
            "The SMS version: short, with the reference and the date. Blank: no SMS from this template."
        ),
        verbose_name=_("SMS text"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    # Bumped by each save: an editor's form carries the one it was opened with.
    version = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("version"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["purpose", "code", "case_type", "category", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "code", "case_type", "category", "language"],
                condition=Q(is_active=True),
                name="one_active_template_per_scope",
                violation_error_message=_(
                    "An active template with this code already covers this case type, category and "
                    "language: change that one, or make it inactive first."
                ),
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(title)s (%(language)s)") % {
            "title": self.title,
            "language": self.get_language_display(),
        }

    def clean(self) -> None:
        super().clean()
        if self.purpose == self.Purpose.NOTICE and not self.subject.strip():
            raise ValidationError({"subject": _("A notice is also sent by e-mail: give it a subject.")})
