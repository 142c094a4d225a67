"""The staff door to extending a complaint's deadline (``services.extensions``): the
"Request extension" step says which tier it asks for and what that needs; a waiting request
shows on the complaint's page, with Approve and Refuse for whoever may decide on it (never
who asked) and Withdraw for who asked. Every refusal is the service's, next to its field."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin.cases import Step, StepDone
from casework.admin.forms import VersionedForm, text_field
from casework.core.limits import max_length_of
from casework.models import ExtensionRequest, ExtensionState

from .models import Complaint
from .services import extensions


class ExtensionRequestForm(VersionedForm):
    reason = text_field(
        _("Reason"),
        help_text=_("As the customer is told it, in writing, with the new deadline."),
        max_length=max_length_of(ExtensionRequest, "reason"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The service's words for a missing reason, not the form's generic "required".
        self.fields["reason"].error_messages["required"] = extensions.REASON_NEEDED


class ApproveExtensionForm(VersionedForm):
    note = text_field(
        _("Note"),
        required=False,
        help_text=_("Kept with the approval in the trail; the customer does not see it."),
    )


class RefuseExtensionForm(VersionedForm):
    reason = text_field(_("Why it is refused"), help_text=_("Kept in the trail; the deadline stays."))


class WithdrawExtensionForm(VersionedForm):
    reason = text_field(_("Remark"), required=False, help_text=_("Kept in the trail."))


def _when(at) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}" if at else ""


def _asks_for(complaint: Complaint) -> str:
    return gettext("This asks for the next extension: %(tier)s") % {
        "tier": extensions.tier_words(complaint, extensions.next_tier(complaint))
    }


def _waiting(complaint: Complaint) -> str:
    request = extensions.open_request(complaint)
    if request is None:
        return ""
    return gettext("%(person)s asks to extend %(tier)s Reason: %(reason)s") % {
        "person": extensions.person(request.requested_by),
        "tier": extensions.tier_words(complaint, request.rule),
        "reason": request.reason,
    }


def _requested(complaint: Complaint, request: ExtensionRequest) -> StepDone:
    url = reverse("admin:complaints_complaint_change", args=[complaint.pk])
    due = _when(request.extended_due_at)
    if request.state == ExtensionState.APPROVED:
        return StepDone(
            url,
            gettext("%(complaint)s extended: due %(due)s; the customer is told why.")
            % {"complaint": complaint, "due": due},
        )
    return StepDone(
        url,
        gettext("%(complaint)s: the extension waits for approval; the deadline has not moved yet.")
        % {"complaint": complaint},
        messages.INFO,
    )


def _decided(complaint: Complaint, request: ExtensionRequest) -> StepDone:
    url = reverse("admin:complaints_complaint_change", args=[complaint.pk])
    if request.state == ExtensionState.APPROVED:
        message = gettext("%(complaint)s extended: due %(due)s; the customer is told why.") % {
            "complaint": complaint,
            "due": _when(request.extended_due_at),
        }
    else:
        message = gettext("%(complaint)s: the extension request is %(state)s; the deadline stays.") % {
            "complaint": complaint,
            "state": request.get_state_display(),
        }
    return StepDone(url, message)


def _on_open_request(service, **fixed):
    def run(complaint: Complaint, actor, data: dict):
        request = extensions.open_request(complaint)
        if request is None:
            raise extensions.no_open_request()
        return service(request=request, actor=actor, **fixed, **data)

    return run


def _may_decide(complaint: Complaint, user) -> bool:
    # No request waiting (decided from another page meanwhile): the form's version refuses it.
    request = extensions.open_request(complaint)
    return request is None or extensions.may_decide(request, user)


def _may_withdraw(complaint: Complaint, user) -> bool:
    request = extensions.open_request(complaint)
    return request is None or extensions.may_withdraw(request, user)


EXTENSION_STEPS = (
    Step(
        slug="request-extension",
        label=_("Request extension"),
        permission=extensions.REQUEST_PERMISSION,
        form=ExtensionRequestForm,
        run=lambda complaint, actor, data: extensions.request_extension(
            complaint=complaint, actor=actor, reason=data["reason"]
        ),
        is_offered=lambda complaint: extensions.extension_refusal(complaint) is None,
        help_text=_asks_for,
        done=_requested,
    ),
    Step(
        slug="approve-extension",
        label=_("Approve extension"),
        permission=extensions.APPROVE_PERMISSION,
        form=ApproveExtensionForm,
        run=_on_open_request(extensions.approve_extension),
        is_offered=lambda complaint: extensions.open_request(complaint) is not None,
        may_take=lambda complaint, user: _may_decide(complaint, user),
        help_text=_waiting,
        done=_decided,
    ),
    Step(
        slug="refuse-extension",
        label=_("Refuse extension"),
        permission=extensions.APPROVE_PERMISSION,
        form=RefuseExtensionForm,
        run=_on_open_request(extensions.refuse_extension),
        is_offered=lambda complaint: extensions.open_request(complaint) is not None,
        may_take=lambda complaint, user: _may_decide(complaint, user),
        help_text=_waiting,
        done=_decided,
    ),
    Step(
        slug="withdraw-extension",
        label=_("Withdraw extension request"),
        permission=extensions.REQUEST_PERMISSION,
        form=WithdrawExtensionForm,
        run=_on_open_request(extensions.withdraw_extension),
        is_offered=lambda complaint: extensions.open_request(complaint) is not None,
        may_take=lambda complaint, user: _may_withdraw(complaint, user),
        help_text=_waiting,
        done=_decided,
    ),
)


class ExtensionAdminMixin:
    """The complaint's page shows its extension requests under the header: a waiting one
    with what it asks for and who may decide, a decided one with its outcome."""

    change_form_template = "admin/complaints/complaint/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        complaint = self.get_object(request, unquote(object_id))
        if complaint is not None:
            extra_context["extension_requests"] = lambda: extension_panel(complaint, request.user)
        return super().change_view(request, object_id, form_url, extra_context)


def extension_panel(complaint: Complaint, user) -> list[dict]:
    """Each request of the complaint as the page shows it, newest first."""
    shown = []
    for extension in extensions.requests_of(complaint):
        waiting = extension.state == ExtensionState.REQUESTED
        if waiting and extensions.may_decide(extension, user):
            next_step = gettext("You may approve or refuse it: Approve extension, Refuse extension above.")
        elif waiting and extension.requested_by_id == user.pk:
            next_step = gettext(
                "Someone allowed to approve extensions, other than you, decides on it; you may withdraw it."
            )
        elif waiting:
            next_step = gettext("It waits for someone allowed to approve extensions, other than who asked.")
        else:
            next_step = ""
        shown.append(
            {
                "state": extension.get_state_display(),
                "is_waiting": waiting,
                "tier": extensions.tier_words(complaint, extension.rule),
                "reason": extension.reason,
                "asked": gettext("asked by %(person)s on %(at)s")
                % {"person": extensions.person(extension.requested_by), "at": _when(extension.requested_at)},
                "decided": gettext("decided by %(person)s on %(at)s")
                % {"person": extensions.person(extension.decided_by), "at": _when(extension.decided_at)}
                if extension.decided_at and extension.rule is not None and extension.rule.requires_approval
                else "",
                "due": _when(extension.extended_due_at),
                "note": extension.decision_note,
                "next_step": next_step,
            }
        )
    return shown
