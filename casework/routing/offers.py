"""Cases nobody took in time: the minute sweep offers a routed case that waited unassigned
in a team's queue for ``ROUTING_OFFER_AFTER_MINUTES`` to the team's overflow team (the
supervisors when it names none), once.

The sweep reads the due waits by their partial index (only waits still open are in it),
locks them and their cases with ``SKIP LOCKED`` (two sweeps split the work; a case
someone is changing is left for the next minute), and for each: a case taken (or ended)
meanwhile leaves the queue without an offer; any other is offered, its ``offer`` step in
the trail, round-robin to a member of the receiving team with room when that team routes,
else into its queue; and the receiving team's mailbox is told through the outbox, as an
escalation tells a team. The wait is marked offered in the same transaction, so it is
offered once.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from casework.models import QueuedCase, Team, TeamRouting, kinds
from casework.notices import outbox
from casework.routing.assignment import assign_within, give
from casework.trail import reasons

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200
# The desk a case goes to when its team names no overflow (casework's migrations make it).
SUPERVISORS_TEAM = "supervisors"

OFFER_NOTICE = outbox.register_kind("routing_offer", pgettext_lazy("notice kind", "case not taken in time"))
OFFERED = reasons.register(
    "casework.offered",
    gettext_lazy("Nobody took it from the queue of %(team)s within %(minutes)s minutes: offered to %(to)s"),
)
OFFERED_TO_MEMBER = reasons.register(
    "casework.offered_to_member",
    gettext_lazy(
        "Nobody took it from the queue of %(team)s within %(minutes)s minutes: offered to %(to)s, "
        "routed to %(user)s"
    ),
)


def overflow_of(team: Team) -> Team | None:
    """Where a case that waited in ``team``'s queue too long goes: the team its routing names,
    else the supervisors (None when it is the supervisors' own queue and it names none)."""
    routing = TeamRouting.objects.filter(team=team).select_related("overflow_team").first()
    if routing is not None and routing.overflow_team is not None:
        return routing.overflow_team
    return Team.objects.filter(code=SUPERVISORS_TEAM).exclude(pk=team.pk).first()


def _case_url(case) -> str:
    meta = case._meta
    try:
        path = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[case.pk])
    except NoReverseMatch:
        return ""
    return f"{settings.BACKOFFICE_BASE_URL.rstrip('/')}{path}"


def _tell(case, *, source: Team, target: Team, user, minutes: int) -> None:
    with outbox.notice_language():
        subject = gettext("[%(reference)s] not taken in time: offered to %(team)s") % {
            "reference": case.reference,
            "team": str(target),
        }
        lines = [
            gettext("%(reference)s waited %(minutes)s minutes in the queue of %(team)s and nobody took it.")
            % {"reference": case.reference, "minutes": minutes, "team": str(source)},
            gettext("It is %(holder)s's now.") % {"holder": user.get_full_name() or user.get_username()}
            if user is not None
            else gettext("It waits in your team's queue: take it with Take next on My work."),
        ]
        url = _case_url(case)
        if url:
            lines.append(url)
    outbox.enqueue(
        idempotency_key=f"{case._meta.label_lower}-{case.pk}-routing-offer",
        kind=OFFER_NOTICE,
        recipient=target.mailbox,
        subject=subject,
        body="\n\n".join(lines) + "\n",
        case=case,
    )


def offer(wait: QueuedCase, case, kind: kinds.CaseKind, now: dt.datetime) -> bool:
    """Offer ``case`` (locked, still waiting) to its queue's overflow; False when there is
    none. Marks the wait offered either way, so it is looked at once."""
    minutes = settings.ROUTING_OFFER_AFTER_MINUTES
    source = wait.team
    target = overflow_of(source)
    wait.offered_at, wait.offered_to = now, target
    if target is None:
        logger.warning("%s waited in %s's queue too long, and there is no team to offer it to", case, source)
        wait.save(update_fields=["offered_at", "offered_to"])
        return False
    said = {"team": source.name, "minutes": minutes, "to": target.name}
    routing = TeamRouting.objects.filter(team=target, is_active=True).first()
    user = None
    if routing is not None:
        user = assign_within(
            routing,
            kind,
            case,
            step="offer",
            reason=lambda user: OFFERED_TO_MEMBER(**said, user=user.get_username()),
        )
    if user is None:
        give(case, kind, user=None, team=target, step="offer", reason=OFFERED(**said))
    _tell(case, source=source, target=target, user=user, minutes=minutes)
    wait.save(update_fields=["offered_at", "offered_to"])
    return True


def run_offers(now: dt.datetime) -> dict[str, int]:
    """The sweep's step: offer the waits that are due, once each."""
    cutoff = now - dt.timedelta(minutes=settings.ROUTING_OFFER_AFTER_MINUTES)
    counts = {"offered": 0, "taken": 0}
    with transaction.atomic():
        waits = list(
            QueuedCase.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(offered_at__isnull=True, left_at__isnull=True, queued_at__lte=cutoff)
            .select_related("content_type", "team")
            .order_by("queued_at", "pk")[:SWEEP_BATCH]
        )
        for wait in waits:
            model = wait.content_type.model_class()
            kind = kinds.kind_of(model)
            locked = model._default_manager.select_for_update(skip_locked=True)
            case = locked.filter(pk=wait.object_id).first()
            if case is None:
                continue  # someone is changing it: the next minute looks again
            if case.state not in kind.open_states or getattr(case, f"{kind.holder_field}_id") is not None:
                wait.left_at = now
                wait.save(update_fields=["left_at"])
                counts["taken"] += 1
                continue
            try:
                with transaction.atomic():
                    if offer(wait, case, kind, now):
                        counts["offered"] += 1
            except Exception:
                logger.exception("Could not offer %s after its wait", case)
    return counts
