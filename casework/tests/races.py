"""Two or more callers at the same moment, each on its own thread and database connection.

Only PostgreSQL has the row locks to show a race with: SQLite serialises writers, so the
tests using these are marked ``postgres``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import connections
from django.db.models import Model


def race(*callables: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Start the callables together, each on its own thread, once all are ready; returns
    what each returned or raised, in their order."""
    barrier = threading.Barrier(len(callables), timeout=30)
    outcomes: list[Any] = [None] * len(callables)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = call()
        except BaseException as error:
            outcomes[index] = error
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    return outcomes


def at_the_same_moment(case: Model, act: Callable, actors: list, *, passed_as: str = "case") -> list:
    """Each actor calls ``act(<passed_as>=copy, actor=actor)`` on its own copy of the case,
    all read before any of them acts, then all at once; returns what each returned or raised."""
    copies = [type(case)._default_manager.get(pk=case.pk) for _ in actors]
    return race(
        *[partial(act, **{passed_as: copy}, actor=actor) for copy, actor in zip(copies, actors, strict=True)]
    )


def won_and_lost(outcomes: list, winner: type) -> tuple[Any, BaseException]:
    """The one caller that won (returned a ``winner``) and the one that lost (raised)."""
    won = [o for o in outcomes if isinstance(o, winner)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    return won[0], lost[0]
