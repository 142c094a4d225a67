"""What every admin of the back office builds on: a refused write is a 403, history is
append-only, read-only views stay read-only."""

from __future__ import annotations

import dataclasses

from django import http
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from casework.cases import timeline
from casework.core.errors import CaseworkError, PermissionRefused
from casework.privacy.masking import mask


class RefusedWritesForbidden:
    """A write the user may not make is a 403, as Django answers a change or delete POST by
    someone without the permission: an action not offered to the user, named in a POST to
    the list, is refused as such, not shown back as "No action selected" or ignored."""

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST":
            offered = self.get_actions(request)
            if any(name and name not in offered for name in request.POST.getlist("action")):
                raise PermissionDenied
        return super().changelist_view(request, extra_context)


def forbid(refusal: CaseworkError) -> None:
    """A refusal of who acts (a permission, four eyes), not of what they asked, is a 403
    whatever the door: Django's page, with the refusal's words. Other refusals return."""
    if isinstance(refusal, PermissionRefused):
        raise PermissionDenied(refusal.message) from refusal


class AppendOnlyHistoryAdmin(RefusedWritesForbidden, SimpleHistoryAdmin):
    """History to read, never to write back.

    ``SIMPLE_HISTORY_REVERT_DISABLED`` only hides the revert button: simple-history's
    historical form view still saves a POST. Refuse it, so an old version (an old state,
    past the state machine) cannot be written back by hand.
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            return http.HttpResponseNotAllowed(["GET"])
        self._refuse_malformed_key(self.model, object_id)
        self._refuse_malformed_key(self.model.history.model, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    @staticmethod
    def _refuse_malformed_key(model, value: str) -> None:
        """A key in the URL that cannot be one of ``model``'s: no such page (404), where
        simple-history's own query would fail with a 500."""
        try:
            model._meta.pk.to_python(unquote(value))
        except ValidationError:
            raise http.Http404 from None

    def has_delete_permission(self, request, obj=None) -> bool:
        # What keeps a history is retired (inactive, revoked, closed), never deleted: a
        # deleted row would take what points at it (a partner's keys) out of the record.
        return False

    # The History page reads as the change form's field changes do: field and choice
    # labels, a foreign key by its name, "—" for nothing, local time, who and why.
    object_history_list_template = "admin/casework/history_list.html"

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        records = list(historical_records)  # newest first: each row against the one before
        # The page's oldest row against the one before it, on the next page (one query).
        older = [*records[1:], records[-1].prev_record] if records else []
        deltas = [
            (row, row.diff_against(before, foreign_keys_are_objs=False).changes)
            for row, before in zip(records, older, strict=True)
            if before is not None
        ]
        columns = [name for name in self.get_history_list_display(request) if self._is_field(name)]
        column_changes = [
            timeline.FieldChangeValue(name, getattr(row, self.model._meta.get_field(name).attname))
            for row in records
            for name in columns
        ]
        related = timeline.related_objects(
            self.model, [*(change for _, changes in deltas for change in changes), *column_changes]
        )
        for row, changes in deltas:
            row.history_delta_changes = [
                self.shown_field_change(request, timeline.field_change(self.model, change, related))
                for change in changes
            ]
        reasons = (
            timeline.history_reasons(self.model, getattr(records[0], self.model._meta.pk.attname))
            if records
            else {}
        )
        for row in records:
            row.shown_reason = timeline.shown_history_reason(row, reasons)
            row.shown_time = timeline.local_time(row.history_date)
            row.shown_actor = timeline.history_actor(row)
            row.shown_columns = [
                self.shown_column(request, row, name, related)
                for name in self.get_history_list_display(request)
            ]

    def _is_field(self, name: str) -> bool:
        try:
            self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        return True

    def shown_column(self, request, row, name: str, related: dict) -> str:
        """A ``history_list_display`` column of one history row, as the changes show values."""
        if not self._is_field(name):
            return str(getattr(row, name, ""))
        model_field = self.model._meta.get_field(name)
        value = getattr(row, model_field.attname)
        change = timeline.FieldChange(str(model_field.verbose_name), name, "—", "—")
        shown = timeline.shown_value(self.model, name, value, related)
        return self.shown_field_change(request, dataclasses.replace(change, new=shown)).new

    def history_view(self, request, object_id, extra_context=None):
        self._refuse_malformed_key(self.model, object_id)
        labels = [
            capfirst(self.model._meta.get_field(name).verbose_name) if self._is_field(name) else name
            for name in self.get_history_list_display(request)
        ]
        extra_context = {**(extra_context or {}), "history_column_labels": labels}
        return super().history_view(request, object_id, extra_context)

    def shown_field_change(self, request, change: timeline.FieldChange) -> timeline.FieldChange:
        """One changed field as this user may read it: personal data stays masked."""
        spec = getattr(self, "masked_fields", {}).get(change.name)
        if spec is None or spec.path(change.name) != change.name:
            return change

        def masked(value: str) -> str:
            return value if value == "—" else mask(spec.kind, value)

        return dataclasses.replace(change, old=masked(change.old), new=masked(change.new))


class ReadOnlyAdminMixin(RefusedWritesForbidden):
    """Rows written by the system: staff read them, nobody edits or deletes them here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
