"""The audit trail of a period as a CSV an auditor can open in a spreadsheet: the form that
chooses the period, and the streamed, formula-safe file."""

from __future__ import annotations

import csv
import datetime as dt

from django import forms, http
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.models import (
    Partner,
    TransitionRecord,
)
from casework.trail.audit import case_models, trail, trail_rows

EXPORT_PERMISSION = "casework.export_transitionrecord"


def state_label(record: TransitionRecord, state: str) -> str:
    """A case type's state as its choices name it; the stored value if it names none."""
    model = ContentType.objects.get_for_id(record.content_type_id).model_class()
    if not state or model is None:
        return state
    return str(dict(model._meta.get_field("state").flatchoices).get(state, state))


class TrailExportForm(forms.Form):
    """A period (whole local days, both included) and the optional filters."""

    start = forms.DateField(
        label=_("From"),
        help_text=_("First day, included (local time)."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"),
        help_text=_("Last day, included."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    case_type = forms.ModelChoiceField(
        queryset=ContentType.objects.none(),
        required=False,
        label=_("Case type"),
        empty_label=_("every case type"),
    )
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        label=_("User"),
        empty_label=_("anyone"),
        help_text=_("Only what this user did (a partner acts as its API user)."),
    )
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.all(),
        required=False,
        label=_("Partner"),
        empty_label=_("any partner"),
        help_text=_("Only the cases this partner filed."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        types = ContentType.objects.get_for_models(*case_models())
        self.fields["case_type"].queryset = ContentType.objects.filter(
            pk__in=[content_type.pk for content_type in types.values()]
        ).order_by("app_label", "model")
        self.fields["case_type"].label_from_instance = lambda content_type: capfirst(
            content_type.model_class()._meta.verbose_name
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", gettext("The last day comes before the first."))
        return cleaned

    def records(self) -> QuerySet[TransitionRecord]:
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        return trail(
            start=dt.datetime.combine(data["start"], dt.time.min, tzinfo=zone),
            end=dt.datetime.combine(data["end"] + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
            case_types=[data["case_type"]] if data["case_type"] else (),
            actor=data["user"],
            partner=data["partner"],
        )

    def file_name(self) -> str:
        data = self.cleaned_data
        parts = [f"{data['start']:%Y%m%d}", f"{data['end']:%Y%m%d}"]
        if data["case_type"]:
            parts.append(data["case_type"].model)
        if data["user"]:
            parts.append(slugify(data["user"].get_username()))
        if data["partner"]:
            parts.append(data["partner"].code)
        return f"transitions-{'-'.join(parts)}.csv"


# A cell a spreadsheet would run as a formula: a partner's reason can start with "=".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(row: list[str]) -> list[str]:
    return [f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell for cell in row]


# Excel on Chinese Windows reads a CSV as GBK unless it opens with the UTF-8 byte order mark.
BOM = "\ufeff"


def stream_trail(records: QuerySet[TransitionRecord], file_name: str) -> http.StreamingHttpResponse:
    """The records as CSV, written row by row while they are read, never held whole; the
    first row (the header) carries the BOM, so a spreadsheet reads the Chinese right."""
    writer = csv.writer(_Echo())
    rows = (writer.writerow(_spreadsheet_safe(row)) for row in trail_rows(records))
    response = http.StreamingHttpResponse(
        (BOM + line if number == 0 else line for number, line in enumerate(rows)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


class _Echo:
    """A file-like object csv.writer can write to: each row goes straight out."""

    def write(self, value: str) -> str:
        return value
