"""The refund case page's provisional credit (Regulation E): a panel atop the details with
the credit's amount, its deadline as a countdown (late in red, and what lateness costs),
what the payments system was told, who credited, reversed or made it final; and its four
steps, Open / Record the credit / Reverse / Make final, each a form through its service
(``refunds.services.provisional``), refusals beside the field. The list gets a filter and a
line under the amount.

The steps act on the credit's own version, not the refund case's: a review or an approval
of the case meanwhile does not make the credit's form stale, a change of the credit does.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from casework.admin.cases import Step
from casework.admin.forms import VersionedForm, text_field
from casework.core.limits import max_length_of
from casework.sla.deadlines import span

from . import services
from .forms import money_input
from .models import CreditState, ProvisionalCredit, RefundCase, reversal_refusal
from .services import provisional

# The deadline turns amber this long before it falls due, as the sweep warns.
SOON = provisional.WARN_BEFORE


def credit_of(case: RefundCase) -> ProvisionalCredit | None:
    """The case's credit as stored now (the page's copy of the case may hold an older one)."""
    return (
        ProvisionalCredit.objects.select_related("opened_by", "credited_by", "reversed_by")
        .filter(refund_case=case)
        .first()
    )


class CreditForm(VersionedForm):
    """A step on the credit, as the user saw it: the case's version is not asked (a change
    of the case is not one of the credit), the credit's is."""

    credit_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, case: RefundCase | None = None, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        del self.fields["version"]
        self.credit = credit_of(case) if case is not None else None
        if self.credit is not None:
            self.fields["credit_version"].initial = self.credit.version


class OpenCreditForm(VersionedForm):
    amount = money_input(
        _("Amount"),
        required=False,
        help_text=_("The amount of the alleged error; blank: what the refund case asks for."),
    )
    reason = text_field(_("Remark"), required=False, help_text=_("Kept with the step in the timeline."))

    def __init__(self, *args, case: RefundCase | None = None, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        del self.fields["version"]
        if case is not None:
            self.fields["amount"].initial = case.amount_to_pay


class RecordCreditForm(CreditForm):
    processor_reference = forms.CharField(
        label=_("Processor reference"),
        max_length=max_length_of(ProvisionalCredit, "processor_reference"),
        help_text=_("The payments system's reference of the credit it made."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        credit = self.credit
        if credit is not None and timezone.now() > credit.due_at:
            # Said before the clerk records it: a late credit is allowed, and costs the extension.
            self.fields["processor_reference"].help_text = gettext(
                "Late: it was due %(due)s. The credit is recorded, marked late, and the complaint's "
                "longer investigation limit will be refused."
            ) % {"due": f"{timezone.localtime(credit.due_at):%Y-%m-%d %H:%M}"}


class ReverseCreditForm(CreditForm):
    reason = text_field(
        _("Reason"),
        help_text=_("Why no error was found; the customer is told, with the date and amount of the debit."),
    )


class MakeFinalForm(CreditForm):
    reason = text_field(_("Remark"), required=False, help_text=_("Kept with the step in the timeline."))


def _on_credit(service):
    def run(case: RefundCase, actor, data: dict):
        data = dict(data)
        version = data.pop("credit_version")
        credit = credit_of(case)
        return service(credit=credit, actor=actor, version=version, **data)

    return run


def _credit_in(*states: str):
    def offered(case: RefundCase) -> bool:
        credit = credit_of(case)
        return credit is not None and credit.state in states

    return offered


def _may_reverse(case: RefundCase, user) -> bool:
    credit = credit_of(case)
    return credit is not None and reversal_refusal(credit, user) is None


STEPS = (
    Step(
        slug="open-provisional-credit",
        label=_("Open provisional credit"),
        permission="refunds.add_provisionalcredit",
        form=OpenCreditForm,
        run=lambda case, actor, data: services.open_provisional_credit(refund_case=case, actor=actor, **data),
        is_offered=lambda case: provisional.open_refusal(case) is None,
        help_text=_(
            "Regulation E: credit the disputed amount while the error is investigated, so the "
            "investigation may take the longer limit. The payments system is told to credit it."
        ),
    ),
    Step(
        slug="record-provisional-credit",
        label=_("Record the credit"),
        permission="refunds.credit_provisionalcredit",
        form=RecordCreditForm,
        run=_on_credit(services.credit_provisionally),
        is_offered=_credit_in(CreditState.DUE),
        help_text=_(
            "The payments system made the credit (it usually reports it itself). After the "
            "deadline it is still recorded, marked late, and the longer limit is refused."
        ),
    ),
    Step(
        slug="reverse-provisional-credit",
        label=_("Reverse the credit"),
        permission="refunds.reverse_provisionalcredit",
        form=ReverseCreditForm,
        run=_on_credit(services.reverse_provisional_credit),
        is_offered=_credit_in(CreditState.CREDITED),
        may_take=_may_reverse,
        help_text=_(
            "No error was found: the amount is debited back and the customer is told the date and "
            "amount, and that payments to others are honoured for 5 business days. Four eyes: not "
            "by who opened or credited it."
        ),
    ),
    Step(
        slug="make-provisional-credit-final",
        label=_("Make the credit final"),
        permission="refunds.finalise_provisionalcredit",
        form=MakeFinalForm,
        run=_on_credit(services.make_provisional_credit_final),
        is_offered=_credit_in(CreditState.CREDITED),
        help_text=_("The error was found: the credit stands for good. Settling the refund does this too."),
    ),
)
SLUGS = {step.slug for step in STEPS}


def deadline_badge(credit: ProvisionalCredit, now=None) -> tuple[str, str]:
    """The credit's deadline as the page colours it: (tone, words)."""
    now = now or timezone.now()
    if credit.state != CreditState.DUE:
        if credit.is_late:
            return "late", gettext("credited late")
        return "met", gettext("credited in time")
    if credit.is_late or now > credit.due_at:
        return "late", gettext("late %(span)s") % {"span": span(now - credit.due_at)}
    tone = "soon" if now >= credit.due_at - SOON else "ok"
    return tone, gettext("due in %(span)s") % {"span": span(credit.due_at - now)}


def list_badge(case: RefundCase) -> str:
    """The refund list's line under the amount: a credit due or late, in its colour."""
    credit = getattr(case, "provisional_credit", None)
    if credit is None or (credit.state != CreditState.DUE and not credit.is_late):
        return ""
    tone, words = deadline_badge(credit)
    return format_html(
        '<br><span class="deadline deadline--{}" title="{}">{}</span>',
        tone,
        gettext("Provisional credit (Reg E) due %(due)s")
        % {"due": f"{timezone.localtime(credit.due_at):%Y-%m-%d %H:%M}"},
        gettext("credit %(words)s") % {"words": words},
    )


class ProvisionalCreditFilter(admin.SimpleListFilter):
    title = pgettext_lazy("list filter", "provisional credit")
    parameter_name = "provisional_credit"

    def lookups(self, request, model_admin):
        return [
            ("due", _("due, not late yet")),
            ("late", _("late (due and not made, or made late)")),
            ("credited", _("credited, standing")),
            ("reversed", _("reversed")),
            ("final", _("made final")),
        ]

    def queryset(self, request, queryset):
        chosen = {
            "due": Q(provisional_credit__state=CreditState.DUE, provisional_credit__late_at__isnull=True),
            "late": Q(provisional_credit__late_at__isnull=False),
            "credited": Q(provisional_credit__state=CreditState.CREDITED),
            "reversed": Q(provisional_credit__state=CreditState.REVERSED),
            "final": Q(provisional_credit__state=CreditState.FINAL),
        }.get(self.value())
        return queryset.filter(chosen) if chosen is not None else queryset


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def panel(request, model_admin, case: RefundCase) -> dict | None:
    """What the panel shows to ``request.user``; ``None`` where there is nothing to show (no
    credit, and none to open: the complaint's regime asks none)."""
    credit = credit_of(case)
    steps = [
        {
            "label": step.label,
            "help_text": step.help_text,
            "url": model_admin._admin_url("step", case.pk, step.slug),
        }
        for step in STEPS
        if step.is_allowed(case, request.user) and step.is_offered(case)
    ]
    if credit is None:
        if provisional.open_refusal(case) is not None:
            return None
        rule = provisional.credit_rule(case.complaint)
        due_at = provisional.credit_due_at(case.complaint, rule)
        return {
            "credit": None,
            "rule": rule,
            "due_at": _when(due_at),
            "is_late": timezone.now() > due_at,
            "steps": steps,
        }
    tone, words = deadline_badge(credit)
    rule = provisional.credit_rule(case.complaint)
    four_eyes = ""
    if credit.state == CreditState.CREDITED:
        # The people who opened or recorded it (the payments system reporting is no person).
        people = (credit.opened_by, credit.credited_by)
        makers = sorted({str(user) for user in people if user is not None and user.is_staff})
        four_eyes = gettext("Reversing needs four eyes: someone other than %(people)s.") % {
            "people": gettext(", ").join(makers)
        }
    return {
        "credit": credit,
        "rule": rule,
        "tone": tone,
        "words": words,
        "due_at": _when(credit.due_at),
        "late_at": _when(credit.late_at),
        "credited_at": _when(credit.credited_at),
        "reversed_at": _when(credit.reversed_at),
        # The day the customer was told, on the calendar the 5 business days run on.
        "honoured_until": (
            f"{credit.honoured_until.astimezone(provisional.working_time(case.complaint).zone):%Y-%m-%d}"
            if credit.honoured_until
            else ""
        ),
        "finalised_at": _when(credit.finalised_at),
        "four_eyes": four_eyes,
        "steps": steps,
    }


class ProvisionalCreditAdminMixin:
    """The panel on the refund case page (its own steps beside it, not in the header's row)."""

    change_form_template = "admin/refunds/refundcase/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        case = self.get_object(request, unquote(object_id))
        if case is not None:
            extra_context["provisional_credit_panel"] = lambda: panel(request, self, case)
        response = super().change_view(request, object_id, form_url, extra_context)
        context = getattr(response, "context_data", None)
        if context and "case_steps" in context:
            # Offered in the panel, beside what they act on.
            prefix = {self._admin_url("step", case.pk, slug) for slug in SLUGS}
            context["case_steps"] = [step for step in context["case_steps"] if step["url"] not in prefix]
        return response
