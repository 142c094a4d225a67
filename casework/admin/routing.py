"""The staff door to routing (``casework.routing``): a team's skills and overflow, as an
inline of the team's page, and the members' capacities, a list a supervisor edits in place
(capacity, taking cases now) beside what each member holds open."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from casework.admin.base import AppendOnlyHistoryAdmin
from casework.models import CaseType, CustomerLanguage, MemberCapacity, TeamRouting
from casework.models.routing import category_choices
from casework.routing.capacity import held_kinds


class TeamRoutingForm(forms.ModelForm):
    # The skills as boxes to tick (stored as lists; none ticked: any).
    case_types = forms.MultipleChoiceField(
        choices=CaseType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("case types"),
        help_text=_("None ticked: every case type."),
    )
    categories = forms.MultipleChoiceField(
        choices=category_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("complaint categories"),
        help_text=_("None ticked: every category. Ticked: only cases with one of them (complaints)."),
    )
    languages = forms.MultipleChoiceField(
        choices=CustomerLanguage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("customer languages"),
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
    fields = ("is_active", "case_types", "categories", "languages", "overflow_team", "last_assigned")
    readonly_fields = ("last_assigned",)


@admin.register(MemberCapacity)
class MemberCapacityAdmin(AppendOnlyHistoryAdmin):
    list_display = ("user", "member_name", "teams", "open_now", "max_open_cases", "is_available")
    list_editable = ("max_open_cases", "is_available")
    list_filter = ("is_available",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    fields = ("user", "max_open_cases", "is_available")

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
