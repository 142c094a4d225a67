"""Times in Shanghai, where the refunds desk works, and a clock a test stops and moves
(the ``clock`` fixture in ``conftest.py`` hands one out): the services read the time
themselves."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


class StoppedClock:
    """``timezone.now()`` as the test sets it: the services read the time themselves."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def set(self, *args: int) -> dt.datetime:
        self.now = shanghai(*args)
        return self.now
