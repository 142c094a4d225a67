"""A Celery queue of a test's own for the delivery task, so no demo worker or other test
run steals its messages or feeds it stale ones; the root ``conftest.py`` gives the whole
session one, and ``worker.py`` one per worker."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator

from config.celery import app as celery_app

DELIVER_TASK = "casework.tasks.deliver_notification"


@contextlib.contextmanager
def own_queue(prefix: str) -> Iterator[str]:
    """Route the delivery task to a fresh queue while inside; delete the queue afterwards."""
    queue = f"{prefix}-{uuid.uuid4().hex[:10]}"
    previous_routes = celery_app.conf.task_routes
    # update(), not attribute assignment: only update() makes Celery rebuild its router.
    celery_app.conf.update(task_routes={DELIVER_TASK: {"queue": queue}})
    try:
        yield queue
    finally:
        celery_app.conf.update(task_routes=previous_routes)
        try:
            with celery_app.connection_for_write() as conn:
                # Declared on this channel first, so deleting also drops the binding (Redis).
                bound = celery_app.amqp.queues[queue].bind(conn.default_channel)
                bound.declare()
                bound.delete()
        except Exception:  # an unreachable broker has no queue to clean up
            logging.getLogger(__name__).warning("Could not delete test queue %s", queue)
