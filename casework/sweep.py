"""The SLA sweep: each case type registers what it does when the clock ticks.

Beat calls :func:`run` every minute. Each registered sweeper reads due rows by index
and locks them with ``select_for_update(skip_locked=True)``, so two sweeps running at
once split the work instead of doing it twice.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

Sweeper = Callable[[dt.datetime], dict[str, int]]
_sweepers: dict[str, Sweeper] = {}


def register(name: str, sweeper: Sweeper) -> None:
    _sweepers[name] = sweeper


def run(now: dt.datetime) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for name, sweeper in sorted(_sweepers.items()):
        for key, count in sweeper(now).items():
            totals[f"{name}.{key}"] += count
    return dict(totals)
