"""The regulatory regimes: each version with its limits and extension tiers inline.

A version that any clock runs under is read-only, its limits and extensions with it (the
model's rule, ``Regime.is_in_use``): "Copy as a new version" makes an editable copy. Making
one the default unmarks the one that was, in the same transaction."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Max
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from casework.admin.base import AppendOnlyHistoryAdmin
from casework.core.errors import CaseworkError
from casework.models import Regime, RegimeExtension, RegimeLimit
from casework.models.regimes import IN_USE, RULE_FIELDS
from casework.sla import regimes


class FrozenWhileInUse:
    """An inline of a regime's rules: shown, never changed, once cases run under it."""

    extra = 0

    def _is_frozen(self, obj) -> bool:
        return obj is not None and obj.is_in_use

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and not self._is_frozen(obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not self._is_frozen(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not self._is_frozen(obj)


class RegimeLimitInline(FrozenWhileInUse, admin.TabularInline):
    model = RegimeLimit
    fields = ("case_type", "milestone", "condition", "target", "unit", "article", "note")


class RegimeExtensionInline(FrozenWhileInUse, admin.TabularInline):
    model = RegimeExtension
    fields = (
        "case_type",
        "milestone",
        "condition",
        "tier",
        "target",
        "unit",
        "requires_approval",
        "requires_customer_notice",
        "requires_provisional_credit",
        "provisional_credit_target",
        "provisional_credit_unit",
        "article",
    )


def seen_token(regime: Regime) -> str:
    """What the regime and its rules were when read: the newest history row of each. Every
    save of the regime, a limit or an extension (the admin's saves keep history) moves it."""
    newest = [
        model.history.filter(**{lookup: regime.pk}).aggregate(newest=Max("history_id"))["newest"] or 0
        for model, lookup in ((Regime, "id"), (RegimeLimit, "regime_id"), (RegimeExtension, "regime_id"))
    ]
    return "-".join(str(value) for value in newest)


class RegimeForm(forms.ModelForm):
    """The regime as its editor saw it: a save over someone else's newer change is refused."""

    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "seen" in self.fields:
            self.fields["seen"].initial = seen_token(self.instance)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and "seen" in self.fields:
            # The admin's change view runs in one transaction: the lock holds until it saved.
            Regime.objects.select_for_update().filter(pk=self.instance.pk).exists()
            if cleaned.get("seen") != seen_token(self.instance):
                raise forms.ValidationError(
                    gettext("Someone else changed this regime after you opened it; reload and try again."),
                    code="stale",
                )
        return cleaned


@admin.register(Regime)
class RegimeAdmin(AppendOnlyHistoryAdmin):
    form = RegimeForm
    # Fits 1366 px beside the navigation: the name is on the page, the jurisdiction a filter.
    list_display = ("code", "version", "authority", "is_default", "is_active", "cases_using")
    list_display_links = ("code", "version")
    list_filter = ("jurisdiction", "is_active")
    list_select_related = ("calendar",)
    search_fields = ("code", "name", "name_zh", "authority")
    inlines = (RegimeLimitInline, RegimeExtensionInline)
    actions = ("copy_as_new_version", "mark_default")
    fieldsets = (
        (None, {"fields": (("code", "version"), "name", "name_zh", ("authority", "jurisdiction"))}),
        (_("Rules"), {"fields": ("source", "calendar")}),
        (_("Use"), {"fields": (("is_default", "is_active"), "cases_using")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(clocks_using=Count("slaclock"))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.has_change_permission(request, obj):
            # The hidden token of what the editor read (RegimeForm), with the use flags.
            *first, (title, options) = fieldsets
            fieldsets = (*first, (title, {**options, "fields": (*options["fields"], "seen")}))
        if obj is None or not obj.is_in_use:
            return fieldsets
        # Said where the reader looks first: why nothing but its use can be changed.
        (title, options), *rest = fieldsets
        return ((title, {**options, "description": IN_USE}), *rest)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_in_use:
            return (*RULE_FIELDS, "cases_using")
        return ("cases_using",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # cases name their version; retire one with "is active" instead

    @admin.display(description=_("cases under it"), ordering="clocks_using")
    def cases_using(self, regime: Regime) -> int:
        counted = getattr(regime, "clocks_using", None)
        if counted is None:  # a page that read the row alone (the add page has none)
            counted = regime.slaclock_set.count() if regime.pk is not None else 0
        return counted

    @admin.action(description=_("Copy as a new version"), permissions=["add"])
    def copy_as_new_version(self, request, queryset):
        copies = [regimes.copy_as_new_version(regime) for regime in queryset]
        self.message_user(
            request,
            ngettext(
                "Copied as %(versions)s: inactive until you make it active.",
                "Copied as %(versions)s: each inactive until you make it active.",
                len(copies),
            )
            % {"versions": ", ".join(f"{copy.code} {copy.version}" for copy in copies)},
            messages.SUCCESS,
        )
        if len(copies) == 1:
            return HttpResponseRedirect(reverse("admin:casework_regime_change", args=[copies[0].pk]))
        return None

    @admin.action(description=_("Make the default regime"), permissions=["change"])
    def mark_default(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, gettext("Choose one regime to make the default."), messages.ERROR)
            return
        try:
            regime = regimes.make_default(queryset.get())
        except CaseworkError as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return
        self.message_user(
            request,
            gettext("%(regime)s is the default regime now.") % {"regime": regime},
            messages.SUCCESS,
        )
