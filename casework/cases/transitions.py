"""Running a guarded transition: one door for the admin, the API, tasks and the shell.

Every case model declares its transitions with django-fsm (source, target,
``conditions``, ``permission``). :func:`run_transition` is the only way services move
a case: it checks the actor's permission (django-fsm's admin does not), names the
unmet condition, claims the row so a concurrent change is refused rather than
overwritten, and saves the case with its transition record in one transaction.
:func:`run_step` does the same for a change that keeps the state.

Each checks its permission once. A service with input of its own to judge takes the
permission first (:func:`permitted_transition`, :func:`permitted_step`), judges the input,
then runs what it was permitted, so who may not act is refused as such whatever they sent.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import django_fsm
from django.db import models, transaction
from django.db.models import F
from django.utils.translation import gettext, pgettext_lazy

from casework.core.actors import Actor
from casework.core.errors import ConcurrentChange, PermissionRefused, TransitionRefused
from casework.core.limits import refuse_overlong_reason, refuse_overlong_text, text_fields
from casework.models import Handback
from casework.notices.partner_webhooks import announce_transition
from casework.trail.audit import SYSTEM_ACTOR_LABEL, record_transition
from casework.trail.reasons import SystemReason, split

# Who acts on a case: a user, staff or a partner's API user; ``None`` is the system (the SLA
# clock, a rule, the case whose end moves this one). Permissions are asked with has_perm.

# The verbs services name their transitions and steps by (``run_transition``'s,
# ``run_step``'s and ``require_permission``'s ``name``, kept in the trail), as staff read
# them in a refusal or on the timeline; a name missing here shows as it is, "_" as " ".
ACTION_WORDS = {
    "accept": pgettext_lazy("case action", "accept"),
    "add evidence": pgettext_lazy("case action", "add evidence"),
    "add message": pgettext_lazy("case action", "add message"),
    "approve": pgettext_lazy("case action", "approve"),
    "approve extension": pgettext_lazy("case action", "approve extension"),
    "assign": pgettext_lazy("case action", "assign"),
    "cancel": pgettext_lazy("case action", "cancel"),
    "close": pgettext_lazy("case action", "close"),
    "collect authentication": pgettext_lazy("case action", "collect authentication"),
    "correct": pgettext_lazy("case action", "correct"),
    "credit": pgettext_lazy("case action", "credit"),
    "credit provisionally": pgettext_lazy("case action", "credit provisionally"),
    "customer replied": pgettext_lazy("case action", "customer replied"),
    "edit details": pgettext_lazy("case action", "edit details"),
    "escalate": pgettext_lazy("case action", "escalate"),
    "evidence received": pgettext_lazy("case action", "evidence received"),
    "execute": pgettext_lazy("case action", "execute"),
    "execute protective lock": pgettext_lazy("case action", "execute protective lock"),
    "expire": pgettext_lazy("case action", "expire"),
    "fail": pgettext_lazy("case action", "fail"),
    "make final": pgettext_lazy("case action", "make final"),
    "merge": pgettext_lazy("case action", "merge"),
    "merged in": pgettext_lazy("case action", "merged in"),
    "make provisional credit final": pgettext_lazy("case action", "make provisional credit final"),
    "first approval": pgettext_lazy("case action", "first approval"),
    "offer": pgettext_lazy("case action", "offer"),
    "open": pgettext_lazy("case action", "open"),
    "open provisional credit": pgettext_lazy("case action", "open provisional credit"),
    "register": pgettext_lazy("case action", "register"),
    "refuse extension": pgettext_lazy("case action", "refuse extension"),
    "reject": pgettext_lazy("case action", "reject"),
    "reopen": pgettext_lazy("case action", "reopen"),
    "reply to partner": pgettext_lazy("case action", "reply to partner"),
    "report settlement": pgettext_lazy("case action", "report settlement"),
    "request evidence": pgettext_lazy("case action", "request evidence"),
    "request extension": pgettext_lazy("case action", "request extension"),
    "resolve": pgettext_lazy("case action", "resolve"),
    "retry": pgettext_lazy("case action", "retry"),
    "route": pgettext_lazy("case action", "route"),
    "reverse": pgettext_lazy("case action", "reverse"),
    "reverse provisional credit": pgettext_lazy("case action", "reverse provisional credit"),
    "return findings": pgettext_lazy("case action", "return findings"),
    "send holding response": pgettext_lazy("case action", "send holding response"),
    "settle": pgettext_lazy("case action", "settle"),
    "start": pgettext_lazy("case action", "start"),
    "start review": pgettext_lazy("case action", "start review"),
    "submit for review": pgettext_lazy("case action", "submit for review"),
    "submit to payments": pgettext_lazy("case action", "submit to payments"),
    "take": pgettext_lazy("case action", "take"),
    "verify identity": pgettext_lazy("case action", "verify identity"),
    "wait for customer": pgettext_lazy("case action", "wait for customer"),
    "withdraw": pgettext_lazy("case action", "withdraw"),
    "withdraw extension": pgettext_lazy("case action", "withdraw extension"),
}


def action_words(name: str) -> str:
    """A transition's or step's name as words in the user's language: ``verify_identity``
    reads "verify identity"."""
    words = name.replace("_", " ")
    return str(ACTION_WORDS.get(words, words))


# simple-history keeps a change's reason in 100 characters; the trail keeps it whole.
HISTORY_REASON_LENGTH = 100


def history_reason(reason: str) -> str | None:
    """A transition's or step's reason as its history row keeps it (the History page's
    "reason"): whole if it fits, else cut with an ellipsis; ``None`` without one."""
    reason = (reason or "").strip()
    if len(reason) > HISTORY_REASON_LENGTH:
        return reason[: HISTORY_REASON_LENGTH - 1] + "…"
    return reason or None


def condition(message: str | Callable[[models.Model], str]) -> Callable[[Callable], Callable]:
    """Mark a django-fsm condition with the refusal staff see when it is not met: a message,
    or ``message(case)`` for one that names what this case lacks (four eyes counts amounts)."""

    def mark(check: Callable) -> Callable:
        check.refusal = message
        return check

    return mark


def condition_refusal(check: Callable, case: models.Model) -> str:
    """The words of an unmet condition, as :func:`condition` marked it."""
    refusal = getattr(check, "refusal", None)
    if refusal is None:
        return gettext("Condition %(name)s is not met.") % {"name": check.__name__}
    return str(refusal(case) if callable(refusal) else refusal)


def _meta_for(case: models.Model, name: str) -> django_fsm.FSMMeta:
    meta = getattr(getattr(case, name, None), "_django_fsm", None)
    if meta is None:
        raise TransitionRefused(
            gettext("'%(name)s' is not a transition of %(case_type)s.")
            % {"name": name, "case_type": case._meta.verbose_name}
        )
    return meta


def _transition_for(case: models.Model, name: str) -> django_fsm.Transition:
    meta = _meta_for(case, name)
    found = meta.get_transition(meta.field.get_state(case))
    if found is None:
        raise TransitionRefused(
            gettext("Cannot %(action)s this %(case_type)s: it is %(state)s.")
            % {
                "action": action_words(name),
                "case_type": case._meta.verbose_name,
                "state": case.get_state_display(),
            }
        )
    return found


def permission_refusal(name: str, case: models.Model) -> str:
    # "approve this", "verify identity on this"
    if " " in name.replace("_", " "):
        template = gettext("You do not have permission to %(action)s on this %(case_type)s.")
    else:
        template = gettext("You do not have permission to %(action)s this %(case_type)s.")
    return template % {"action": action_words(name), "case_type": case._meta.verbose_name}


def check_permission(case: models.Model, name: str, actor: Actor) -> None:
    """Raise :class:`PermissionRefused` if ``actor`` may not run ``name`` on ``case``,
    before the case's state is looked at: who may not run it is refused as such (a 403),
    never told the state is wrong for it.

    From the case's state, that transition's permission decides (a permission given as a
    function may explain itself with a ``refusal(case, user)`` attribute: four eyes, a
    risk officer's approval); from a state it does not leave, whether any of the
    transitions of that name would let the actor.
    """
    meta = _meta_for(case, name)
    if actor is None:
        return
    found = meta.get_transition(meta.field.get_state(case))
    if found is None:
        if not any(transition.has_perm(case, actor) for transition in meta.transitions.values()):
            raise PermissionRefused(permission_refusal(name, case))
        return
    if not found.has_perm(case, actor):
        explain = getattr(found.permission, "refusal", None)
        raise PermissionRefused((explain and explain(case, actor)) or permission_refusal(name, case))


def check_state(case: models.Model, name: str) -> None:
    """Raise the reason ``name`` cannot run on ``case`` now, whoever asks: its state, then
    its conditions."""
    found = _transition_for(case, name)
    for check in found.conditions:
        if not check(case):
            raise TransitionRefused(condition_refusal(check, case))


def check_transition(case: models.Model, name: str, actor: Actor) -> None:
    """Raise the reason ``actor`` cannot run ``name`` on ``case`` now; return if they can:
    the permission first (:func:`check_permission`), then the state, then the conditions."""
    check_permission(case, name, actor)
    check_state(case, name)


def available_transitions(case: models.Model, actor: Actor) -> list[str]:
    names = []
    for found in case.get_available_state_transitions():
        if actor is None or found.has_perm(case, actor):
            names.append(found.name)
    return names


def claim(case: models.Model) -> None:
    """Take the row for this transaction if nobody changed it since ``case`` was read.

    Bumps ``version`` with a conditional UPDATE: the row stays locked until commit, and
    a reader holding an older version gets :class:`ConcurrentChange`.
    """
    model = type(case)
    claimed = model.objects.filter(pk=case.pk, version=case.version).update(version=F("version") + 1)
    if not claimed:
        raise ConcurrentChange(
            gettext("%(case)s was changed by someone else after you opened it; reload and try again.")
            % {"case": case},
        )
    case.version += 1


def require_version(case: models.Model, version: int | None) -> None:
    """Act on ``case`` (just read) as the caller saw it, at ``version``: a version that is
    no longer the stored one is a concurrent change, refused before anything else is
    looked at, its state included (the caller decided on what it read, not on what is
    there now). ``None``: the caller acts on the case as it stands. The claim still
    refuses a change made between this check and the write."""
    if version is not None and version != case.version:
        raise ConcurrentChange(
            gettext("%(case)s was changed by someone else after you opened it; reload and try again.")
            % {"case": case},
        )


@contextlib.contextmanager
def claimed(case: models.Model) -> Iterator[models.Model]:
    """A change the partner sees that is none of the case's own fields (a message on it):
    the case is claimed as for a transition, so its version (its ETag) goes up with the
    change and a stale reader is refused; inside, the row is locked until commit. If the
    block fails, nothing is kept and the in-memory case is put back as stored."""
    try:
        with transaction.atomic():
            claim(case)
            yield case
    except BaseException:
        reload(case)
        raise


@dataclass(frozen=True)
class PermittedTransition:
    """A transition ``actor`` may run on ``case``: :meth:`run` checks the state and the
    conditions, then runs it. Made by :func:`permitted_transition`, which checks the
    permission; made directly only by a service whose own gate asked the same rule first
    (refunds' ``check_approval``)."""

    case: models.Model
    name: str
    actor: Actor

    def run(
        self,
        *,
        reason: str | SystemReason = "",
        data: dict[str, Any] | None = None,
        before_save: Callable[[], None] | None = None,
        arguments: dict[str, Any] | None = None,
        system_label: str = SYSTEM_ACTOR_LABEL,
    ) -> models.Model:
        """Check, claim, transition, save and record, all in one transaction.

        ``before_save`` runs after the state changed and before the save, for side records
        that belong to the same transaction. ``arguments`` go to the model's transition
        method. ``system_label`` names the system acting when there is no user (the SLA
        clock, or the case whose end moved this one). ``reason`` is a person's words or a
        :class:`~casework.trail.reasons.SystemReason` (kept as its code, shown translated).
        """
        case, name, actor = self.case, self.name, self.actor
        check_state(case, name)
        words = split(reason)[0]
        refuse_overlong_reason(words)
        source = case.state
        if actor is not None:
            case._history_user = actor  # simple-history's user outside a request
        text = text_fields(case)
        case._change_reason = history_reason(words)
        try:
            with transaction.atomic():
                claim(case)
                getattr(case, name)(**(arguments or {}))
                if before_save is not None:
                    before_save()
                refuse_overlong_text(case, text)
                case.save()
                record = record_transition(
                    case=case,
                    transition=name,
                    source=source,
                    target=case.state,
                    actor=actor,
                    reason=reason,
                    data=data,
                    system_label=system_label,
                )
                announce_transition(case, record)  # the partner's webhook, committed with the change
                Handback.objects.mark_seen(case, actor)  # the holder acting has seen what came back
        except BaseException as exc:
            # The database rolled back; put the in-memory object back as it is stored.
            reload(case)
            if isinstance(exc, django_fsm.ConcurrentTransition):
                raise ConcurrentChange(
                    gettext("%(case)s changed state while you worked on it; reload and try again.")
                    % {"case": case}
                ) from exc
            if isinstance(exc, django_fsm.TransitionNotAllowed):
                raise TransitionRefused(str(exc)) from exc
            raise
        return case


def permitted_transition(case: models.Model, name: str, *, actor: Actor) -> PermittedTransition:
    """The transition's own permission (``permission=``, :func:`check_permission`), checked
    once, before anything else: a service that has input to judge takes this first, judges
    the input, then runs it, so who may not act is refused as such whatever they sent."""
    check_permission(case, name, actor)
    return PermittedTransition(case, name, actor)


def run_transition(
    case: models.Model,
    name: str,
    *,
    actor: Actor,
    reason: str | SystemReason = "",
    data: dict[str, Any] | None = None,
    before_save: Callable[[], None] | None = None,
    arguments: dict[str, Any] | None = None,
    system_label: str = SYSTEM_ACTOR_LABEL,
) -> models.Model:
    """Check (permission, state, conditions), claim, transition, save and record, all in one
    transaction; see :meth:`PermittedTransition.run`.

    ``actor`` is the user acting (staff or a partner's API user); ``None`` is the system
    clock, used only by scheduled services and the rules a case applies to another.
    """
    return permitted_transition(case, name, actor=actor).run(
        reason=reason, data=data, before_save=before_save, arguments=arguments, system_label=system_label
    )


# django-fsm-2's FSMModelMixin.refresh_from_db lifts the state field's ``protected`` flag,
# one flag shared by every instance, while it reloads, then puts it back: a thread that
# reloads while another has just put it back raises AttributeError instead of the refusal
# (gunicorn threads, two staff racing). One reload at a time in a process.
_reloading = threading.Lock()


def reload(case: models.Model) -> None:
    """Put the in-memory case back as it is stored, after a rolled-back change."""
    with _reloading:
        case.refresh_from_db()


def require_permission(
    actor: Actor, permission: str, name: str, case: models.Model, *, refusal: str | None = None
) -> None:
    """Refuse an actor without ``permission`` before looking at anything else they sent: for
    what no runner checks (opening a case, a note); ``refusal`` words it otherwise."""
    if actor is None or not actor.has_perm(permission):
        raise PermissionRefused(refusal or permission_refusal(name, case))


@dataclass(frozen=True)
class PermittedStep:
    """An audited step ``actor`` may take on ``case``; made by :func:`permitted_step`, which
    checks the permission (or directly, as :class:`PermittedTransition`)."""

    case: models.Model
    name: str
    actor: Actor

    def run(
        self,
        *,
        apply: Callable[[], None],
        reason: str | SystemReason = "",
        data: dict[str, Any] | None = None,
    ) -> models.Model:
        """Claim the row, ``apply`` the change, save and record it, in one transaction."""
        case, actor = self.case, self.actor
        words = split(reason)[0]
        refuse_overlong_reason(words)
        case._history_user = actor
        text = text_fields(case)
        case._change_reason = history_reason(words)
        try:
            with transaction.atomic():
                claim(case)
                apply()
                refuse_overlong_text(case, text)
                case.save()
                record_transition(
                    case=case,
                    transition=self.name,
                    source=case.state,
                    target=case.state,
                    actor=actor,
                    reason=reason,
                    data=data,
                )
                Handback.objects.mark_seen(case, actor)
        except BaseException:
            reload(case)
            raise
        return case


def permitted_step(case: models.Model, name: str, *, actor: Actor, permission: str) -> PermittedStep:
    """The step's permission, checked once, before anything else (as
    :func:`permitted_transition`): judge the input, then run it."""
    require_permission(actor, permission, name, case)
    return PermittedStep(case, name, actor)


def run_step(
    case: models.Model,
    name: str,
    *,
    actor: Actor,
    permission: str,
    apply: Callable[[], None],
    reason: str | SystemReason = "",
    data: dict[str, Any] | None = None,
) -> models.Model:
    """An audited change that keeps the state (verification, holding response, reassignment).

    Same guarantees as a transition: permission checked, row claimed, change and record
    in one transaction.
    """
    return permitted_step(case, name, actor=actor, permission=permission).run(
        apply=apply, reason=reason, data=data
    )
