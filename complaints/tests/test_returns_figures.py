"""Every figure of each return equals the same figure counted independently, in plain
Python over the complaints the test made (``complaints.tests.returns_data``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import holidays
import pytest

from casework.sla.regimes import regime_by_code
from complaints.returns import cfpb, disclosure, fca, monthly
from complaints.returns.periods import parse_period
from complaints.tests.returns_data import LONDON, SHANGHAI, at, make, pboc_set

ENDED = ("resolved", "closed")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def made(agent):
    return pboc_set(agent)


def under_pboc(rows):
    return [row for row in rows if row.regime in ("cn-pboc", None)]


def local(moment, zone=SHANGHAI) -> dt.date:
    return moment.astimezone(zone).date()


def received(rows, first, after):
    return [row for row in rows if first <= local(row.created_at) < after]


def closed(rows, first, after):
    return [row for row in rows if row.state in ENDED and first <= local(row.ended_at) < after]


def open_at(rows, day):
    midnight = dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)
    return [
        row
        for row in rows
        if row.created_at < midnight
        and row.state not in ("rejected", "withdrawn")
        and not (row.state in ENDED and row.ended_at < midnight)
    ]


def bucket(days: int) -> str:
    if days <= 1:
        return "within_1"
    if days <= 3:
        return "1_3"
    if days <= 15:
        return "3_15"
    if days <= 60:
        return "15_60"
    return "later"


def days(row) -> int:
    return (local(row.ended_at) - local(row.created_at)).days


def value(report, table: str, label_cells: int, *labels):
    for row in report.table(table).rows:
        if tuple(cell.value for cell in row[:label_cells]) == labels:
            return [cell.value for cell in row[label_cells:]]
    return None


def test_the_monthly_return_equals_an_independent_count(made):
    rows = under_pboc(made)
    first, after = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
    report = monthly.monthly_return(parse_period("2026-03", kinds=monthly.KINDS))
    assert report.regime.code == "cn-pboc" and report.zone == "Asia/Shanghai"
    got_received, got_closed = received(rows, first, after), closed(rows, first, after)
    start, end = open_at(rows, first), open_at(rows, after)
    summary = {row[0].value: row[1].value for row in report.table("summary").rows}
    decided = [row for row in got_closed if row.outcome]
    upheld = [row for row in decided if row.outcome in ("upheld", "partly_upheld")]
    assert list(summary.values()) == [
        len(start),
        len(got_received),
        len(got_closed),
        len(end),
        len(decided),
        len(upheld),
        len(upheld) / len(decided),
    ]
    # The set covers what it is meant to: every bucket, both edges of the month.
    assert {bucket(days(row)) for row in got_closed} == {"within_1", "1_3", "3_15", "15_60", "later"}
    assert len(start) >= 2 and len(end) >= 4

    buckets = Counter(bucket(days(row)) for row in got_closed)
    assert [row[1].value for row in report.table("timeliness").rows] == [
        buckets[key] for key in ("within_1", "1_3", "3_15", "15_60", "later")
    ]
    assert report.table("timeliness").total[1].value == len(got_closed)

    cells = defaultdict(lambda: [0, 0, 0, 0])
    for index, group in enumerate((start, got_received, got_closed, end)):
        for row in group:
            cells[(row.business_type, row.cause, row.channel)][index] += 1
    shown = {
        (row[0].value.split(" ")[0], row[1].value.split(" ")[0], row[2].value.split(" ")[0]): [
            cell.value for cell in row[3:]
        ]
        for row in report.table("by_dimension").rows
    }
    codes = {
        "phone": "H01",
        "chat": "H02",
        "email": "H03",
        "app": "H04",
        "website": "H05",
        "social_media": "H06",
        "regulator": "H07",
        "partner_api": "H08",
    }
    expected = {
        (business_type or "not", cause or "not", codes[channel]): counts
        for (business_type, cause, channel), counts in cells.items()
    }
    assert shown == expected
    per_type = defaultdict(lambda: [0, 0, 0, 0])
    for (business_type, _cause, _channel), counts in cells.items():
        per_type[business_type or "not"] = [
            a + b for a, b in zip(per_type[business_type or "not"], counts, strict=True)
        ]
    assert {
        row[0].value.split(" ")[0]: [cell.value for cell in row[1:]]
        for row in report.table("by_business_type").rows
    } == dict(per_type)

    redress = defaultdict(lambda: [0, Decimal(0)])
    for row in got_closed:
        if row.redress:
            redress[row.currency][0] += 1
            redress[row.currency][1] += row.redress
    assert {row[0].value: [row[1].value, row[2].value] for row in report.table("redress").rows} == dict(
        redress
    )
    assert set(redress) == {"CNY", "USD"}


def test_the_annual_disclosure_equals_an_independent_count(made):
    rows = under_pboc(made)
    first, after = dt.date(2026, 1, 1), dt.date(2027, 1, 1)
    report = disclosure.annual_disclosure(parse_period("2026", kinds=disclosure.KINDS))
    got = received(rows, first, after)
    handled = [row for row in got if row.state in ENDED and row.ended_at < at("2027-01-01", 0)]
    got_closed = closed(rows, first, after)
    average = sum(days(row) for row in got_closed) / len(got_closed)
    within_15 = [row for row in got_closed if days(row) <= 15]
    summary = [row[1].value for row in report.table("summary").rows]
    assert summary == [
        len(got),
        len(handled),
        len(handled) / len(got),
        len(got_closed),
        pytest.approx(average),
        len(within_15) / len(got_closed),
    ]
    by_type = Counter(row.business_type or "not" for row in got)
    handled_by_type = Counter(row.business_type or "not" for row in handled)
    assert {
        row[0].value.split(" ")[0]: (row[1].value, row[3].value)
        for row in report.table("by_business_type").rows
    } == {key: (count, handled_by_type[key]) for key, count in by_type.items()}
    by_cause = Counter(row.cause or "not" for row in got)
    assert {row[0].value.split(" ")[0]: row[1].value for row in report.table("by_cause").rows} == dict(
        by_cause
    )
    buckets = Counter(bucket(days(row)) for row in got_closed)
    assert [row[1].value for row in report.table("speed").rows] == [
        buckets[key] for key in ("within_1", "1_3", "3_15", "15_60", "later")
    ]


def uk_business_days_after(day: dt.date, count: int) -> dt.date:
    """Counted here from the holidays package and the weekdays, not from the calendar module."""
    bank = holidays.country_holidays("GB", years=range(day.year, day.year + 2))
    while count:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in bank:
            count -= 1
    return day


def test_the_fca_return_counts_business_days_on_the_uk_calendar(agent):
    uk = "uk-disp"
    made = [
        # Thursday 2 April 2026, before Good Friday: the third business day after is
        # Wednesday 8 April (the GB calendar without a subdivision keeps Easter Monday, an
        # England-only bank holiday, a working day); its close of business is 17:00 in London.
        make(
            agent,
            "resolved",
            at("2026-04-02", 10, zone=LONDON),
            at("2026-04-08", 16, 59, zone=LONDON),
            regime=uk,
            outcome="upheld",
            currency="GBP",
            redress=Decimal("25.00"),
        ),
        make(
            agent,
            "resolved",
            at("2026-04-02", 10, zone=LONDON),
            at("2026-04-08", 17, 1, zone=LONDON),
            regime=uk,
            outcome="not_upheld",
            currency="GBP",
        ),
        # A Friday's receipt: Monday, Tuesday, Wednesday.
        make(
            agent,
            "closed",
            at("2026-03-06", 16, zone=LONDON),
            at("2026-03-11", 12, zone=LONDON),
            regime=uk,
            business_type="B03",
            cause="C08",
            outcome="partly_upheld",
        ),
        make(
            agent,
            "resolved",
            at("2026-02-10", zone=LONDON),
            at("2026-04-06", 9, zone=LONDON),
            regime=uk,
            business_type="B03",
            cause="C08",
            outcome="upheld",
        ),  # 55 days
        make(agent, "resolved", at("2026-01-02", zone=LONDON), at("2026-03-30", zone=LONDON), regime=uk),
        make(agent, "in_progress", at("2026-06-29", zone=LONDON), regime=uk),
        make(agent, "received", at("2026-07-01", 0, 30, zone=LONDON), regime=uk),
        make(agent, "resolved", at("2026-03-02"), at("2026-03-03"), regime="cn-pboc"),  # not the FCA's
    ]
    regime = regime_by_code(uk)
    report = fca.fca_return(parse_period("2026-H1", kinds=fca.KINDS), regime)
    rows = [row for row in made if row.regime == uk]
    start = dt.datetime(2026, 1, 1, tzinfo=LONDON)
    end = dt.datetime(2026, 7, 1, tzinfo=LONDON)
    opened = [row for row in rows if start <= row.created_at < end]
    got_closed = [row for row in rows if row.state in ENDED and start <= row.ended_at < end]

    def band(row) -> str:
        deadline_day = uk_business_days_after(local(row.created_at, LONDON), 3)
        if row.ended_at <= dt.datetime.combine(deadline_day, dt.time(17), tzinfo=LONDON):
            return "within_3bd"
        return "within_8w" if row.ended_at <= row.created_at + dt.timedelta(weeks=8) else "later"

    bands = Counter(band(row) for row in got_closed)
    assert set(bands) == {"within_3bd", "within_8w", "later"}
    upheld = [row for row in got_closed if row.outcome in ("upheld", "partly_upheld")]
    decided = [row for row in got_closed if row.outcome]
    outstanding = [row for row in rows if row.created_at < end and row.state not in ENDED]
    assert [row[1].value for row in report.table("summary").rows] == [
        len(opened),
        len(got_closed),
        bands["within_3bd"],
        bands["within_8w"],
        bands["later"],
        len(upheld),
        len(outstanding),
        len(decided),
        len(upheld) / len(decided),
    ]
    assert report.zone == "Europe/London"
    per_type = defaultdict(lambda: [0] * 7)
    for row in opened:
        per_type[row.business_type][0] += 1
    for row in got_closed:
        counts = per_type[row.business_type]
        counts[1] += 1
        counts[{"within_3bd": 2, "within_8w": 3, "later": 4}[band(row)]] += 1
        counts[5] += row.outcome in ("upheld", "partly_upheld")
    for row in outstanding:
        per_type[row.business_type][6] += 1
    assert {
        row[0].value.split(" ")[0]: [cell.value for cell in row[1:]]
        for row in report.table("by_business_type").rows
    } == dict(per_type)
    assert [(row[0].value, row[1].value, row[2].value) for row in report.table("redress").rows] == [
        ("GBP", 1, Decimal("25.00"))
    ]


def test_the_cfpb_export_has_a_row_per_complaint_received_in_the_fields_order(agent):
    us = "us-cfpb"
    made = [
        make(
            agent,
            "resolved",
            at("2026-05-04", 10, zone=NEW_YORK),
            at("2026-05-06"),
            regime=us,
            outcome="upheld",
            redress=Decimal("30.00"),
            currency="USD",
            channel="website",
        ),
        make(agent, "in_progress", at("2026-05-20", 10, zone=NEW_YORK), regime=us, channel="regulator"),
        make(agent, "rejected", at("2026-05-21", 10, zone=NEW_YORK), regime=us, channel="email"),
        make(agent, "received", at("2026-06-01", 0, 30, zone=NEW_YORK), regime=us),
    ]
    regime = regime_by_code(us)
    export = cfpb.cfpb_export(parse_period("2026-05", kinds=cfpb.KINDS), regime)
    rows = list(export.rows())
    assert export.zone == "America/New_York"
    in_may = [row for row in made if row.created_at < at("2026-06-01", 0, zone=NEW_YORK)]
    assert export.count.value == len(rows) == len(in_may) == 3
    assert len(cfpb.FIELDS) == 18 and all(len(row) == 18 for row in rows)
    fields = [dict(zip(cfpb.FIELDS, row, strict=True)) for row in rows]
    assert [field["Submitted via"] for field in fields] == ["Web", "Referral", "Email"]
    assert [field["Company response to consumer"] for field in fields] == [
        "Closed with monetary relief",
        "In progress",
        "Closed",
    ]
    assert all(field["Consumer complaint narrative"] == "" for field in fields)
    assert all(field["Consumer consent provided?"] == "Consent not provided" for field in fields)
    assert fields[0]["Product"] == "Payment" and fields[0]["Issue"] == "System failure"
    assert fields[0]["Date received"] == "2026-05-04"
