"""A set of complaints for the returns' tests: registered through the services, then dated
and classified directly (the fields another change fills at registration and resolution),
across months, business types, causes, channels, outcomes, timeliness buckets, currencies
and regimes. ``expected`` helpers count the same figures in plain Python, from the rows as
made, to hold the returns against."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from casework.models import Regime
from complaints.models import ClassificationCode, Complaint
from complaints.tests.factories import complaint_in_state

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")


@dataclass
class Made:
    """One complaint as the test made it: what the independent counts read."""

    pk: int
    state: str
    created_at: dt.datetime
    ended_at: dt.datetime | None
    business_type: str | None
    cause: str | None
    channel: str
    outcome: str
    redress: Decimal | None
    currency: str
    regime: str | None


def at(day: str, hour: int = 10, minute: int = 0, zone: ZoneInfo = SHANGHAI) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=zone)


def make(
    agent,
    state: str,
    created_at: dt.datetime,
    ended_at=None,
    *,
    business_type="B01",
    cause="C03",
    channel="phone",
    outcome="",
    redress=None,
    currency="CNY",
    regime="cn-pboc",
) -> Made:
    complaint = complaint_in_state(state, agent=agent)
    codes = {
        "business_type": ClassificationCode.objects.get(dimension="business_type", code=business_type)
        if business_type
        else None,
        "cause": ClassificationCode.objects.get(dimension="cause", code=cause) if cause else None,
    }
    values = {
        "created_at": created_at,
        "channel": channel,
        "outcome": outcome,
        "redress_amount": redress,
        "currency": currency,
        "regime": Regime.objects.filter(code=regime).order_by("-version").first() if regime else None,
        **codes,
    }
    if state in ("resolved", "closed"):
        values["resolved_at"] = ended_at
        values["closed_at"] = ended_at + dt.timedelta(days=2) if state == "closed" else None
    Complaint.objects.filter(pk=complaint.pk).update(**values)
    return Made(
        complaint.pk,
        state,
        created_at,
        ended_at if state in ("resolved", "closed") else None,
        business_type,
        cause,
        channel,
        outcome,
        redress,
        currency,
        regime,
    )


def pboc_set(agent) -> list[Made]:
    """Around March 2026 in Shanghai: every bucket's edges, open ones across the month's
    start and end, rejected and withdrawn ones, two currencies, one of another regime and
    one that records none."""
    made = []
    add = made.append
    # Received in February, still open on 1 March; one resolved in March after 30 days (15-60).
    add(make(agent, "in_progress", at("2026-02-10"), business_type="B02", cause="C04", channel="chat"))
    add(
        make(
            agent,
            "resolved",
            at("2026-02-20", 9),
            at("2026-03-22", 9),
            business_type="B02",
            cause="C04",
            channel="app",
            outcome="upheld",
            redress=Decimal("50.00"),
        )
    )
    # Received in January, closed in March after 61+ days (later).
    add(
        make(
            agent,
            "closed",
            at("2026-01-05"),
            at("2026-03-08"),
            business_type="B03",
            cause="C08",
            channel="email",
            outcome="not_upheld",
        )
    )
    # Resolved in February: neither open on 1 March nor closed in March.
    add(make(agent, "resolved", at("2026-02-02"), at("2026-02-27"), outcome="upheld"))
    # In March: the bucket edges, counted in Shanghai dates.
    add(
        make(
            agent,
            "resolved",
            at("2026-03-02", 9),
            at("2026-03-02", 17),
            outcome="upheld",
            redress=Decimal("88.00"),
        )
    )  # 0 days
    add(
        make(
            agent,
            "resolved",
            at("2026-03-03", 23, 30),
            at("2026-03-04", 0, 30),
            cause="C02",
            outcome="partly_upheld",
        )
    )  # 1 day (late at night: dates, not hours)
    add(
        make(
            agent,
            "closed",
            at("2026-03-05"),
            at("2026-03-07"),
            business_type="B04",
            cause="C09",
            channel="website",
            outcome="not_upheld",
        )
    )  # 2 days
    add(
        make(
            agent,
            "resolved",
            at("2026-03-06"),
            at("2026-03-09"),
            business_type="B04",
            cause="C09",
            channel="website",
            outcome="partly_upheld",
            redress=Decimal("12.50"),
            currency="USD",
        )
    )  # 3
    add(
        make(
            agent,
            "resolved",
            at("2026-03-09"),
            at("2026-03-13"),
            business_type="B05",
            cause="C01",
            channel="social_media",
        )
    )  # 4 days, no outcome
    add(
        make(
            agent,
            "closed",
            at("2026-03-10"),
            at("2026-03-25"),
            business_type="B05",
            cause="C02",
            channel="phone",
            outcome="upheld",
            redress=Decimal("20.00"),
            currency="USD",
        )
    )  # 15 days
    add(
        make(
            agent,
            "resolved",
            at("2026-03-11"),
            at("2026-03-27"),
            business_type="B03",
            cause="C08",
            channel="partner_api",
            outcome="not_upheld",
        )
    )  # 16 days
    # Received in March, still open on 1 April; some resolved in April.
    add(make(agent, "received", at("2026-03-20"), business_type="B99", cause="C99", channel="regulator"))
    add(make(agent, "escalated", at("2026-03-28"), business_type="B01", cause="C03"))
    add(make(agent, "awaiting_customer", at("2026-03-31", 23, 50), business_type=None, cause=None))
    add(
        make(
            agent,
            "resolved",
            at("2026-03-25"),
            at("2026-04-02"),
            business_type="B02",
            cause="C04",
            outcome="upheld",
        )
    )
    # The month's edges: received at 00:00 on 1 April is April's; at 23:59 on 31 March, March's.
    add(make(agent, "accepted", at("2026-04-01", 0, 0), channel="email"))
    add(make(agent, "resolved", at("2026-03-31", 23, 59), at("2026-04-01", 0, 0), outcome="not_upheld"))
    # Rejected and withdrawn: received, never open.
    add(make(agent, "rejected", at("2026-03-12"), business_type="B99", cause="C99"))
    add(make(agent, "withdrawn", at("2026-02-25"), business_type="B01", cause="C05"))
    # No regime recorded: counts under the deployment's (PBOC); another regime's does not.
    add(make(agent, "resolved", at("2026-03-15"), at("2026-05-20"), regime=None, outcome="upheld"))  # 66 d
    add(make(agent, "resolved", at("2026-03-16"), at("2026-03-17"), regime="uk-disp", outcome="upheld"))
    # Later in the year, for the disclosure.
    add(
        make(
            agent,
            "closed",
            at("2026-07-01"),
            at("2026-07-20"),
            business_type="B06",
            cause="C07",
            channel="app",
            outcome="upheld",
        )
    )
    add(make(agent, "in_progress", at("2026-12-30"), business_type="B07", cause="C06"))
    # The year before and after: outside 2026's disclosure, but one closed in 2026.
    add(make(agent, "resolved", at("2025-12-20"), at("2026-01-10"), business_type="B01", cause="C03"))
    add(make(agent, "received", at("2027-01-01", 0, 0)))
    return made
