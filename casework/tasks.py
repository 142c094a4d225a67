"""The clock's door: thin Celery wrappers around casework services."""

import logging

from celery import shared_task
from django.utils import timezone

from casework.cases import sweep
from casework.erasure import services as erasure
from casework.intake import mailbox
from casework.notices import outbox
from casework.partners import idempotency
from casework.privacy import retention
from casework.trail import anchors

logger = logging.getLogger(__name__)


@shared_task(name=outbox.DELIVER_TASK)
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


@shared_task(name="casework.tasks.anchor_audit_chain")
def anchor_audit_chain() -> str:
    """Append an anchor of the trail to AUDIT_ANCHOR_FILE; return (and log) its digest."""
    line, digest = anchors.write_anchor()
    logger.info("Audit anchor %s: %s rows up to %s", digest, sum(line["totals"].values()), line["until"])
    return digest


@shared_task(name="casework.tasks.fetch_customer_mail")
def fetch_customer_mail() -> dict[str, int]:
    """File the complaints mailbox's unseen messages (CUSTOMER_MAIL_IMAP_URL)."""
    fetched = mailbox.fetch()
    return {"filed": fetched.filed, "failed": fetched.failed, "quarantined": fetched.quarantined}


@shared_task(name="casework.tasks.run_retention_sweep")
def run_retention_sweep() -> dict[str, int]:
    """Pseudonymise the cases whose retention period has ended (casework.privacy.retention)."""
    return retention.run(timezone.now())


@shared_task(name="casework.tasks.run_erasure_clock")
def run_erasure_clock() -> dict[str, int]:
    """Execute approved erasure requests whose cases have ended; warn before answers are due."""
    return erasure.run(timezone.now())
