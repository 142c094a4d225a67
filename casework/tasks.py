"""The clock's door: thin Celery wrappers around casework services."""

from celery import shared_task
from django.utils import timezone

from . import idempotency, outbox, sweep


@shared_task(name="casework.tasks.deliver_notification")
def deliver_notification(notification_id: int) -> bool:
    return outbox.deliver(notification_id)


@shared_task(name="casework.tasks.run_outbox_sweep")
def run_outbox_sweep() -> int:
    due = outbox.due_for_retry(timezone.now())
    for notification_id in due:
        outbox.publish(notification_id)
    return len(due)


@shared_task(name="casework.tasks.run_sla_sweep")
def run_sla_sweep() -> dict[str, int]:
    return sweep.run(timezone.now())


@shared_task(name="casework.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    return idempotency.purge_expired(timezone.now())
