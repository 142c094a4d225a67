"""Reasons the system writes, kept as codes: a transition record stores the code and its
parameters (``reason_code``, ``reason_params``) beside a canonical English rendering
(``reason``), and every page, list, export and API renders the code again in its reader's
language. What a person typed is kept as typed, with no code.

A case app names its reasons once, in its own ``reasons`` module, imported from its
``AppConfig.ready`` so stored codes render in any process::

    REGISTERED = reasons.register(
        "complaints.registered", _("Registered from %(channel)s"), choices={"channel": Channel}
    )
    run_transition(..., reason=REGISTERED(channel=complaint.channel))

A parameter named in ``choices`` is stored as the choice's value and shown by its label;
any other is stored and shown as given (a reference, a number, a processor's words).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import translation
from django.utils.functional import Promise

# The language of the ``reason`` column: what the hash chain, old readers and greps see.
CANONICAL_LANGUAGE = "en"

_PARAMETER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class ReasonTemplate:
    """One code and its words (a lazy translation with ``%(name)s`` parameters)."""

    code: str
    template: Promise
    choices: Mapping[str, type[models.Choices]] = field(default_factory=dict)

    @property
    def parameters(self) -> frozenset[str]:
        return frozenset(_PARAMETER.findall(str(self.template)))

    def __call__(self, **params: Any) -> SystemReason:
        """This reason with its parameters, checked now, where a mistake is the caller's."""
        if set(params) != self.parameters:
            raise ValueError(
                f"Reason {self.code} takes {sorted(self.parameters)}, was given {sorted(params)}"
            )
        return SystemReason(self.code, {name: _storable(value) for name, value in params.items()})

    def render(self, params: Mapping[str, Any]) -> str:
        """The words in the active language; a choice by its label (its value if retired)."""
        shown = {}
        for name in self.parameters:
            value = params.get(name, "")
            if name in self.choices:
                value = dict(self.choices[name].choices).get(value, value)
            shown[name] = value
        return str(self.template) % shown


def _storable(value: Any) -> str | int:
    # JSON keeps it as it is, and the hash chain covers it: text or a whole number.
    return value if isinstance(value, int) and not isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class SystemReason:
    """A reason the system gives, as a code and parameters; ``str()`` renders it in the
    active language, :meth:`canonical` in the trail's own."""

    code: str
    params: dict[str, str | int]

    def render(self) -> str:
        return _registry[self.code].render(self.params)

    def canonical(self) -> str:
        with translation.override(CANONICAL_LANGUAGE):
            return self.render()

    def __str__(self) -> str:
        return self.render()


_registry: dict[str, ReasonTemplate] = {}


def register(
    code: str, template: Promise, *, choices: Mapping[str, type[models.Choices]] | None = None
) -> ReasonTemplate:
    """Name a reason the system writes. A code means one thing for ever: stored records
    render through it, so change its words (and their translation), never its meaning;
    a reason that means something else gets a new code."""
    reason = ReasonTemplate(code, template, dict(choices or {}))
    known = _registry.get(code)
    if known is not None and (str(known.template), known.choices) != (str(template), reason.choices):
        raise ImproperlyConfigured(f"Reason code {code} is registered twice with different words")
    unknown = set(reason.choices) - reason.parameters
    if unknown:
        raise ImproperlyConfigured(f"Reason {code}: choices for parameters it does not take: {unknown}")
    _registry[code] = reason
    return reason


def registered() -> list[ReasonTemplate]:
    """Every code, in the order they were registered."""
    return list(_registry.values())


def split(reason: str | SystemReason) -> tuple[str, str, dict]:
    """(the text stored in ``reason``, the code, its parameters) of what a service passed."""
    if isinstance(reason, SystemReason):
        return reason.canonical(), reason.code, dict(reason.params)
    return (reason or "").strip(), "", {}


def shown_reason(record) -> str:
    """A transition record's reason in the active language: a system reason rendered from
    its code, what a person typed as typed (as is a code no longer registered)."""
    template = _registry.get(record.reason_code) if record.reason_code else None
    if template is None:
        return record.reason
    return template.render(record.reason_params or {})
