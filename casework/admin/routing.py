"""The staff door to routing (``casework.routing``): a team's skills and overflow, as an
inline of the team's page, and the members' capacities, a list a supervisor edits in place
(capacity, taking cases now) beside what each member holds open."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, IntegerField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin.base import AppendOnlyHistoryAdmin
from casework.models import CaseType, CustomerLanguage, MemberCapacity, TeamRouting
from casework.models.routing import category_choices
from casework.routing.capacity import held_kinds


def seen_token(row) -> str:
    """What ``row`` was when read: its newest history row (every save of it in the admin keeps one)."""
    newest = type(row).history.filter(id=row.pk).aggregate(newest=Max("history_id"))["newest"]
    return str(newest or 0)


class SeenForm(forms.ModelForm):
    """The row as its editor saw it: a save over someone else's newer change is refused."""

    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["seen"].initial = seen_token(self.instance)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            # The admin's change view is one transaction: the lock holds until it saved.
            type(self.instance).objects.select_for_update().filter(pk=self.instance.pk).exists()
            if cleaned.get("seen") != seen_token(self.instance):
                raise forms.ValidationError(
                    gettext("Someone else changed this after you opened it; reload and try again."),
                    code="stale",
                )
        return cleaned


class MemberCapacityForm(SeenForm):
    class Meta:
        model = MemberCapacity
        fields = ("user", "max_open_cases", "is_available")


class TeamRoutingForm(SeenForm):
    # The skills as boxes to tick (stored as lists; none ticked: any).
    case_types = forms.MultipleChoiceField(
        choices=CaseType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=capfirst(_("case types")),
        help_text=_("None ticked: every case type."),
    )
    categories = forms.MultipleChoiceField(
        choices=category_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=capfirst(_("complaint categories")),
        help_text=_("None ticked: every category. Ticked: only cases with one of them (complaints)."),
    )
    languages = forms.MultipleChoiceField(
        choices=CustomerLanguage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=capfirst(_("customer languages")),
        help_text=_("None ticked: every language. Ticked: only cases whose customer speaks one of them."),
    )

    class Meta:
        model = TeamRouting
        fields = ("is_active", "case_types", "categories", "languages", "overflow_team")


class TeamRoutingInline(admin.StackedInline):
    model = TeamRouting
    form = TeamRoutingForm
    fk_name = "team"
    extra = 0
    max_num = 1
    can_delete = False
    verbose_name = _("routing")
    verbose_name_plural = _("routing")
    fields = ("is_active", "case_types", "categories", "languages", "overflow_team", "last_assigned", "seen")
    readonly_fields = ("last_assigned",)


@admin.register(MemberCapacity)
class MemberCapacityAdmin(AppendOnlyHistoryAdmin):
    list_display = ("user", "member_name", "teams", "open_now", "max_open_cases", "is_available")
    list_editable = ("max_open_cases", "is_available")
    list_filter = ("is_available",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    form = MemberCapacityForm
    fields = ("user", "max_open_cases", "is_available", "seen")

    def get_changelist_form(self, request, **kwargs):
        # Edited in place, the list's last save wins (its rows carry no token); the change
        # form refuses a stale save.
        return super().get_changelist_form(request, form=forms.ModelForm, **kwargs)

    def get_queryset(self, request):
        # What each holds open, every kind with a holder, in the list's own query.
        rows = super().get_queryset(request).prefetch_related("user__groups__team_set")
        for kind in held_kinds():
            name = f"held_{kind.case_type}"
            counted = (
                kind.model._default_manager.filter(kind.open_q(), **{kind.holder_field: OuterRef("user_id")})
                .values(kind.holder_field)
                .annotate(count=Count("pk"))
                .values("count")
            )
            rows = rows.annotate(**{name: Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))})
        return rows

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":  # staff who hold cases, not partners' API users
            kwargs["queryset"] = db_field.related_model.objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ("user",) if obj is not None else ()

    @admin.display(description=_("name"))
    def member_name(self, row: MemberCapacity) -> str:
        return row.user.get_full_name()

    @admin.display(description=_("teams"))
    def teams(self, row: MemberCapacity) -> str:
        teams = (team for group in row.user.groups.all() for team in group.team_set.all())
        return ", ".join(sorted(str(team) for team in teams))

    @admin.display(description=_("open cases held"))
    def open_now(self, row: MemberCapacity) -> int:
        return sum(getattr(row, f"held_{kind.case_type}", 0) for kind in held_kinds())
