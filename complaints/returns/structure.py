"""What every return answers: plain values the page, the CSV and the XLSX render alike.

A cell holds its value (a count, an amount, a share, a label) and, for a count, the
complaint-list parameters (``complaints.returns.filters``) that list exactly what it
counts; the page turns those into a link, the files write the value."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from casework.models import Regime
from complaints.returns.periods import Period


@dataclass(frozen=True)
class Cell:
    value: int | Decimal | float | str | None
    params: dict[str, str] | None = None  # the list of the complaints a count counts
    kind: str = "count"  # count, amount, share, days, text

    @property
    def text(self) -> str:
        if self.value is None:
            return "—"
        if self.kind == "share":
            return f"{self.value:.1%}"
        if self.kind == "days":
            return f"{self.value:.1f}"
        if self.kind == "amount":
            return f"{self.value:,.2f}"
        return str(self.value)

    @property
    def file_value(self):
        """The value as a spreadsheet holds it: a share as a fraction rounded to 4 places."""
        if self.kind == "share" and self.value is not None:
            return round(float(self.value), 4)
        if self.kind == "days" and self.value is not None:
            return round(float(self.value), 2)
        return self.value


def text(value: str) -> Cell:
    return Cell(str(value), kind="text")


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: tuple[Cell, ...] | None = None
    note: str = ""


@dataclass(frozen=True)
class Return:
    slug: str  # monthly, disclosure, fca, cfpb
    title: str
    period: Period
    regime: Regime
    zone: str
    definitions: tuple[tuple[str, str], ...]
    tables: tuple[Table, ...]
    source: str = ""  # the instrument the return answers
    figures: dict[str, Cell] = field(default_factory=dict)  # the headline figures, by name

    def table(self, key: str) -> Table:
        return next(table for table in self.tables if table.key == key)
