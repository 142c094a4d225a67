"""Hand-backs: when something comes back to a case that its holder must act on (findings
returned, a partner's message, an unlock executed, a refund settled or failed), the holder
is told: a row waiting for them (a count and a badge on My work, a line in the case's
header) and an e-mail through the outbox, both in the transaction of the event.

The case apps call :func:`hand_back` from the service that records the event; the holder
is whoever holds the case per the kind registry (``CaseKind.holder_field``). Nobody is
told when nobody holds the case (it waits in its team's queue, which the team reads on My
work) or when the holder did it themselves. The same event told twice (a retried task,
a report sent again) finds its row and its notice: nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, Model, OuterRef, QuerySet, Subquery
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from casework.core.actors import Actor
from casework.models import Handback, HandbackKind, kinds
from casework.notices import outbox

NOTICE_KIND = "handback"


def holder_of(case: Model):
    """Who holds ``case`` per its kind; ``None`` for nobody, or a kind held by nobody in
    particular (an account request)."""
    field = kinds.kind_of(type(case)).holder_field
    return getattr(case, field, None) if field else None


def _key(event: Model, kind: str, holder) -> str:
    # The event is the case it happened on at the version the event gave it: each
    # transition or message claims the row, so the version names the event once.
    return f"{event._meta.label_lower}-{event.pk}-v{event.version}-{kind}-{holder.pk}"


def hand_back(
    case: Model,
    *,
    kind: str,
    actor: Actor,
    holder=None,
    source: Model | None = None,
    detail: str = "",
    notify: bool = True,
) -> Handback | None:
    """Tell the holder of ``case`` that ``kind`` (a ``HandbackKind``) came back to it.

    ``holder`` defaults to the case's holder per the kind registry; ``source`` is the case
    the event happened on when it is another one (the refund case a complaint opened);
    ``detail`` (the findings, the message, the error) goes into the e-mail only, which is
    not sent when ``notify`` is off (another notice of the event already told the holder).
    Returns the row, or ``None`` when nobody is told.
    """
    if kind not in HandbackKind.values:
        raise ValueError(f"{kind!r} is not a HandbackKind")
    holder = holder if holder is not None else holder_of(case)
    if holder is None or (actor is not None and getattr(actor, "pk", None) == holder.pk):
        return None
    event = source or case
    key = _key(event, kind, holder)
    handback, created = Handback.objects.get_or_create(
        key=key,
        defaults={
            "content_type": ContentType.objects.get_for_model(case),
            "object_id": case.pk,
            "case_reference": getattr(case, "reference", "") or "",
            "holder": holder,
            "kind": kind,
            "source_reference": getattr(source, "reference", "") if source is not None else "",
        },
    )
    if created and notify and holder.email:
        _notify(handback, case=case, source=source, actor=actor, detail=detail)
    return handback


def hand_back_along(
    cases: Sequence[Model | None], *, kind: str, actor: Actor, detail: str = "", told: Iterable[str] = ()
) -> list[Handback]:
    """The same news on a case and on the cases it came from (an unlock request and the
    complaint that opened it): each holder is told, once, on the first of ``cases`` they
    hold; the first case is the event's source for the others. A holder whose address is
    in ``told`` (another notice of the event went there) gets the row, not a second e-mail."""
    already_told = set(told)
    event = cases[0]
    written: list[Handback] = []
    holders: set[int] = set()
    for case in cases:
        if case is None:
            continue
        holder = holder_of(case)
        if holder is None or holder.pk in holders:
            continue
        handback = hand_back(
            case,
            kind=kind,
            actor=actor,
            holder=holder,
            source=None if case is event else event,
            detail=detail,
            notify=holder.email not in already_told,
        )
        if handback is not None:
            holders.add(holder.pk)
            written.append(handback)
    return written


def _notify(handback: Handback, *, case: Model, source: Model | None, actor: Actor, detail: str) -> None:
    # Rendered in the deployment's language: the holder's mailbox reads one language,
    # whoever (a partner's API call, a technician in Chinese) caused it.
    with translation.override(settings.LANGUAGE_CODE):
        what = handback.get_kind_display()
        subject = gettext("[%(reference)s] %(what)s") % {"reference": handback.case_reference, "what": what}
        body = render_to_string(
            "casework/handback_notice.txt",
            {
                "handback": handback,
                "what": what,
                "case": case,
                "case_name": case._meta.verbose_name,
                "source": source,
                "source_name": source._meta.verbose_name if source is not None else "",
                "actor": _actor_name(actor),
                "detail": detail,
            },
        )
    outbox.enqueue(
        idempotency_key=f"handback-{handback.key}",
        kind=NOTICE_KIND,
        recipient=handback.holder.email,
        subject=subject,
        body=body,
        case=case,
    )


def _actor_name(actor: Actor) -> str:
    if actor is None:
        return ""
    partner = getattr(actor, "partner", None)
    if partner is not None:
        return str(partner)
    return actor.get_full_name() or actor.get_username()


# The reads: what waits for a holder.


def unseen(case: Model, holder) -> list[Handback]:
    """What waits for ``holder`` on ``case``, newest first (the case page's header)."""
    if holder is None or not getattr(holder, "pk", None):
        return []
    return list(Handback.objects.of_case(case).unseen().filter(holder=holder))


def mark_seen(case: Model, holder) -> int:
    """``holder`` opened ``case``: what waited for them there is seen."""
    return Handback.objects.mark_seen(case, holder)


def _unseen_here(model: type[Model], holder) -> QuerySet:
    # The content type by join, not by id: no lookup of its own, whatever the cache holds.
    return Handback.objects.filter(
        content_type__app_label=model._meta.app_label,
        content_type__model=model._meta.model_name,
        object_id=OuterRef("pk"),
        holder=holder,
        seen_at__isnull=True,
    )


def has_unseen(model: type[Model], holder) -> Exists:
    """For a query of ``model``'s cases: has ``holder`` an unseen hand-back on the case."""
    return Exists(_unseen_here(model, holder))


def latest_unseen_kind(model: type[Model], holder) -> Subquery:
    """For a query of ``model``'s cases: the kind of ``holder``'s newest unseen hand-back."""
    return Subquery(_unseen_here(model, holder).order_by("-created_at", "-id").values("kind")[:1])


def kind_labels(values: Iterable[str]) -> list[str]:
    return [str(HandbackKind(value).label) for value in values if value in HandbackKind.values]
