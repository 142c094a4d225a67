"""Partners and their credentials in the admin: API keys issued, rotated and revoked, the
webhook secret rotated. A new key or secret is shown once, on a page of its own that is
never cached, and never travels in a message or the log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin.base import AppendOnlyHistoryAdmin
from casework.models import ApiScope, Partner, PartnerApiKey
from casework.partners.credentials import check_scopes, issue_key, revoke_key, rotate_key

ROTATION_OVERLAP = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Shown:
    label: str
    secret: str
    note: str = ""


def show_once(
    request: HttpRequest, *, title: str, rows: list[Shown], back_url: str, back_label: str, what: str
) -> HttpResponse:
    """``what``: the secret(s) shown, as the warning names them ("the new keys"); more than
    one row is spoken of in the plural."""
    response = TemplateResponse(
        request,
        "admin/casework/secrets_once.html",
        {
            **admin.site.each_context(request),
            "title": title,
            "rows": rows,
            "has_notes": any(row.note for row in rows),
            "back_url": back_url,
            "back_label": back_label,
            "what": what,
            "plural": len(rows) > 1,
        },
    )
    add_never_cache_headers(response)
    return response


class KeyColumns:
    """The columns both key views show."""

    @admin.display(description=_("key"))
    def shown_prefix(self, api_key: PartnerApiKey) -> str:
        return api_key.shown

    @admin.display(description=_("status"))
    def status(self, api_key: PartnerApiKey) -> str:
        return api_key.status()


class PartnerApiKeyInline(KeyColumns, admin.TabularInline):
    """The partner's keys at a glance; issuing, rotating and revoking happen on the key list."""

    model = PartnerApiKey
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("name", "shown_prefix", "scopes", "created_at", "last_used_at", "expires_at", "status")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Partner)
class PartnerAdmin(AppendOnlyHistoryAdmin):
    list_display = ("name", "code", "user", "is_active", "rate_limit", "webhook_url", "webhook_secret_state")
    list_filter = ("is_active",)
    list_select_related = ("user",)
    search_fields = ("name", "code")
    fields = (
        "code",
        "name",
        "user",
        "is_active",
        "rate_limit",
        "webhook_url",
        "webhook_secret_state",
        "notifies_customers_directly",
    )
    readonly_fields = ("webhook_secret_state",)
    inlines = (PartnerApiKeyInline,)
    actions = ("rotate_webhook_secret",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "webhook_url":
            kwargs["assume_scheme"] = "https"  # a URL typed without a scheme is https
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("webhook secret"))
    def webhook_secret_state(self, partner: Partner) -> str:
        if not partner.webhook_secret:
            return gettext("none yet: run “Rotate webhook secret” to issue one")
        state = gettext("set (…%(end)s)") % {"end": partner.webhook_secret[-4:]}
        until = partner.previous_webhook_secret_expires_at
        if partner.previous_webhook_secret and until and until > timezone.now():
            state += gettext("; the previous one also signs until %(until)s") % {
                "until": f"{until:%Y-%m-%d %H:%M}"
            }
        return state

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class PartnerForm(form):
            def clean_rate_limit(self):
                value = self.cleaned_data["rate_limit"].strip()
                if value:
                    count, _, period = value.partition("/")
                    periods = ("second", "minute", "hour", "day")
                    if not count.isdigit() or int(count) < 1 or period not in periods:
                        raise ValidationError(
                            gettext("Write it as a number per second, minute, hour or day, e.g. 600/minute.")
                        )
                return value

        return PartnerForm

    @admin.action(
        description=_("Rotate webhook secret (the old one still signs for 24 hours)"), permissions=["change"]
    )
    def rotate_webhook_secret(self, request, queryset: QuerySet[Partner]) -> HttpResponse:
        from casework.notices.partner_webhooks import rotate_webhook_secret

        rows = []
        for partner in queryset:
            secret = rotate_webhook_secret(partner, actor=request.user, overlap=ROTATION_OVERLAP)
            self.log_change(request, partner, "Rotated the webhook secret.")
            rows.append(
                Shown(f"{partner.name} ({partner.code})", secret, gettext("old secret signs for 24 h more"))
            )
        return show_once(
            request,
            title=gettext("New webhook secrets"),
            rows=rows,
            back_url=reverse("admin:casework_partner_changelist"),
            back_label=gettext("partners"),
            what=gettext("these secrets") if len(rows) > 1 else gettext("this secret"),
        )


class PartnerApiKeyForm(forms.ModelForm):
    """Issuing a key: the partner, what it is for, its scopes, when it ends, and whether its
    requests must be signed. The key is made on save."""

    scopes = forms.MultipleChoiceField(
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        label=_("Scopes"),
        help_text=_("Write includes read. Settlement reports are for the payments system's keys only."),
    )
    signed_requests = forms.BooleanField(
        required=False,
        label=_("Requests must be signed"),
        help_text=_(
            "Issue a signing secret too: every request made with this key then carries an HMAC "
            "signature (see the integration guide)."
        ),
    )

    class Meta:
        model = PartnerApiKey
        fields = ("partner", "name", "scopes", "expires_at")

    def clean_expires_at(self):
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            raise ValidationError(gettext("A new key must expire in the future (or leave it blank)."))
        return expires_at

    def clean(self):
        cleaned = super().clean()
        partner = cleaned.get("partner")
        if partner is not None and cleaned.get("scopes"):
            try:
                cleaned["scopes"] = check_scopes(partner, cleaned["scopes"])
            except ValidationError as error:
                self.add_error("scopes", error.message_dict["scopes"])
        return cleaned


@admin.register(PartnerApiKey)
class PartnerApiKeyAdmin(KeyColumns, AppendOnlyHistoryAdmin):
    list_display = (
        "partner",
        "name",
        "shown_prefix",
        "scope_list",
        "created_at",
        "last_used_at",
        "expires_at",
        "status",
    )
    list_filter = ("partner", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("partner",)
    search_fields = ("name", "prefix", "partner__name", "partner__code")
    actions = ("rotate_keys", "revoke_keys")
    readonly_fields = (
        "partner",
        "shown_prefix",
        "scopes",
        "signed",
        "created_at",
        "created_by",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "revoked_by",
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = PartnerApiKeyForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("partner", "name", "scopes", "expires_at", "signed_requests")
        return ("name", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the row stays for the audit trail

    @admin.display(description=_("scopes"))
    def scope_list(self, api_key: PartnerApiKey) -> str:
        return ", ".join(api_key.scopes)

    @admin.display(description=_("signed requests"), boolean=True)
    def signed(self, api_key: PartnerApiKey) -> bool:
        return bool(api_key.signing_secret)

    def save_model(self, request, obj: PartnerApiKey, form, change: bool) -> None:
        if change:
            obj._history_user = request.user
            obj.save(update_fields=["name"])
            return
        api_key, key = issue_key(
            form.cleaned_data["partner"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            actor=request.user,
            expires_at=form.cleaned_data.get("expires_at"),
            signed_requests=form.cleaned_data.get("signed_requests", False),
        )
        obj.pk = api_key.pk
        obj._issued = (api_key, key)

    def response_add(self, request, obj: PartnerApiKey, post_url_continue=None) -> HttpResponse:
        api_key, key = obj._issued
        rows = [Shown(f"{api_key.partner.name}: {api_key.name}", key, gettext("API key"))]
        if api_key.signing_secret:
            label = f"{api_key.partner.name}: {api_key.name}"
            rows.append(Shown(label, api_key.signing_secret, gettext("request-signing secret")))
        return show_once(
            request,
            title=gettext("New API key"),
            rows=rows,
            back_url=reverse("admin:casework_partnerapikey_changelist"),
            back_label=gettext("partner API keys"),
            what=gettext("the key") if len(rows) == 1 else gettext("the key and its signing secret"),
        )

    @admin.action(
        description=_("Rotate: a new key now, the old one stops in 24 hours"), permissions=["change"]
    )
    def rotate_keys(self, request, queryset: QuerySet[PartnerApiKey]) -> HttpResponse | None:
        rows, refused = [], []
        for api_key in queryset.select_related("partner"):
            try:
                new, key = rotate_key(api_key, actor=request.user, overlap=ROTATION_OVERLAP)
            except ValidationError as error:
                refused.append(f"{api_key}: {error.messages[0]}")
                continue
            self.log_change(request, api_key, f"Rotated: replaced by {new.shown}")
            replaces = gettext("replaces %(key)s") % {"key": api_key.shown}
            rows.append(Shown(f"{new.partner.name}: {new.name}", key, replaces))
        for message in refused:
            self.message_user(request, message, messages.ERROR)
        if not rows:
            return None
        return show_once(
            request,
            title=gettext("Rotated API keys"),
            rows=rows,
            back_url=reverse("admin:casework_partnerapikey_changelist"),
            back_label=gettext("partner API keys"),
            what=gettext("the new keys") if len(rows) > 1 else gettext("the new key"),
        )

    @admin.action(description=_("Revoke now (calls with the key fail at once)"), permissions=["change"])
    def revoke_keys(self, request, queryset: QuerySet[PartnerApiKey]) -> None:
        revoked = sum(revoke_key(api_key, actor=request.user) for api_key in queryset)
        skipped = queryset.count() - revoked
        message = gettext("Revoked %(revoked)s key(s).") % {"revoked": revoked}
        if skipped:
            message += gettext(" %(skipped)s already revoked.") % {"skipped": skipped}
        self.message_user(request, message, messages.SUCCESS if revoked else messages.WARNING)
