"""The notification outbox, read only: each notice, its delivery attempts, and delivering
one now."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin.base import ReadOnlyAdminMixin
from casework.core.errors import CaseworkError
from casework.models import (
    DeliveryAttempt,
    Notification,
)
from casework.notices import outbox
from casework.privacy.masking import mask_contact_address, masked_in_text


class DeliveryAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Every try at sending the notice, newest first: read only, like the notice itself."""

    model = DeliveryAttempt
    fields = ("attempted_at", "outcome", "response_status", "duration_ms", "error", "triggered_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = _("delivery attempts")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("triggered_by")

    # The attempts belong to the notice: who may read the notice reads how it went.
    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("casework.view_notification")

    @admin.display(description=_("outcome"))
    def outcome(self, attempt: DeliveryAttempt) -> str:
        return gettext("delivered") if attempt.succeeded else gettext("failed")


class NoticeKindFilter(admin.SimpleListFilter):
    """The kinds the case apps registered, by their names in the reader's language."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return outbox.kind_choices()

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "shown_kind",
        "channel",
        "shown_recipient",
        "case_reference",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "channel", NoticeKindFilter)
    search_fields = ("case_reference", "recipient", "idempotency_key")
    date_hierarchy = "created_at"
    inlines = (DeliveryAttemptInline,)
    actions = ("retry_now", "resend")
    readonly_fields = ("shown_body", "shown_recipient")

    @admin.display(description=_("kind"), ordering="kind")
    def shown_kind(self, notice: Notification) -> str:
        return outbox.kind_label(notice.kind)

    def get_fields(self, request, obj=None):
        shown = {"body": "shown_body", "recipient": "shown_recipient"}
        fields = [name for name in super().get_fields(request, obj) if name not in shown.values()]
        return [shown.get(name, name) for name in fields]

    @admin.display(description=_("recipient"), ordering="recipient")
    def shown_recipient(self, notification: Notification) -> str:
        """A customer's phone or e-mail address masked, as on the case's timeline; a team's
        mailbox or a partner's webhook address as it is."""
        if notification.kind.startswith(outbox.CUSTOMER_KIND_PREFIX):
            return mask_contact_address(notification.recipient)
        return notification.recipient

    @admin.display(description=_("body"))
    def shown_body(self, notification: Notification) -> str:
        """The body as stored, but for its case's personal data: a notice written before
        notices masked printed the numbers, and stays as it was sent (a webhook's is signed)."""
        case = notification.case
        case_admin = self.admin_site._registry.get(type(case)) if case is not None else None
        specs = getattr(case_admin, "masked_fields", {})
        return masked_in_text(notification.body, case, specs) if specs else notification.body

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("casework.change_notification")

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("casework.change_notification")

    @admin.action(description=_("Deliver now (pending notices only)"), permissions=["retry"])
    def retry_now(self, request, queryset: QuerySet[Notification]) -> None:
        # Delivery claims the row, so a notice a worker is sending right now is not sent twice.
        pending = list(queryset.filter(status=Notification.Status.PENDING).values_list("pk", flat=True))
        delivered = outbox.deliver_now(pending, actor=request.user)
        skipped = queryset.count() - len(pending)
        message = gettext("Delivered %(delivered)s of %(pending)s pending notice(s).") % {
            "delivered": delivered,
            "pending": len(pending),
        }
        if delivered < len(pending):
            message += gettext(" The others failed again: see their last error.")
        if skipped:
            message += gettext(" Skipped %(skipped)s already sent or given up.") % {"skipped": skipped}
        self.message_user(request, message, messages.SUCCESS if delivered else messages.WARNING)

    @admin.action(
        description=_("Re-send webhook (sent or given up; same webhook-id)"), permissions=["resend"]
    )
    def resend(self, request, queryset: QuerySet[Notification]) -> None:
        # The same webhook-id, signed anew: a receiver that already has it can tell it is a repeat.
        resendable = queryset.filter(channel=Notification.Channel.WEBHOOK, status__in=outbox.RESENDABLE)
        skipped = queryset.count() - resendable.count()
        for notification in resendable.order_by("pk"):
            try:
                attempt = outbox.resend(notification.pk, actor=request.user)
            except CaseworkError as refusal:  # it changed since the list was read
                self.message_user(request, refusal.message, messages.ERROR)
                continue
            answer = f" (HTTP {attempt.response_status})" if attempt.response_status else ""
            if attempt.succeeded:
                self.message_user(
                    request,
                    gettext("Re-sent %(key)s to %(recipient)s%(answer)s: delivered.")
                    % {
                        "key": notification.idempotency_key,
                        "recipient": notification.recipient,
                        "answer": answer,
                    },
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    gettext("Re-sent %(key)s to %(recipient)s: failed, %(error)s. It stays %(status)s.")
                    % {
                        "key": notification.idempotency_key,
                        "recipient": notification.recipient,
                        "error": attempt.error,
                        "status": notification.get_status_display(),
                    },
                    messages.ERROR,
                )
        if skipped:
            self.message_user(
                request,
                gettext(
                    "Skipped %(skipped)s notice(s): only webhook notices already sent or given up are "
                    "re-sent (a pending one goes out with Deliver now)."
                )
                % {"skipped": skipped},
                messages.WARNING,
            )
