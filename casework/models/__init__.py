"""The models every case type shares, one module per concern; Django finds them here.

- ``cases``: desks (``Team``) and the counters references are numbered on.
- ``partners``: partner systems, their API keys and scopes, idempotency keys.
- ``sla``: business calendars, SLA policies, each case's clock.
- ``regimes``: regulatory regimes, their limits and what extends them.
- ``extensions``: a case's request to extend its deadline, approved where the tier says.
- ``trail``: the transition record.
- ``notices``: the notification outbox and its delivery attempts.
- ``privacy``: the logs of reveals of personal data and of file downloads.
- ``customers``: who a case's customer is, by the identifiers the agent verified.
- ``correspondence``: every message to and from the customer of a case.
- ``message_templates``: the notices' and reply templates' texts, with their placeholders.
- ``handbacks``: what came back to a case for its holder, unseen until they look.
- ``routing``: teams' skills, members' capacities, routed cases waiting in a queue.
- ``retention``: how long each record type keeps personal data, and what was pseudonymised.
- ``erasure``: a customer's request to erase their personal data, handled as a case.
- ``kinds``: the registry of case kinds, which each case app joins from its
  ``AppConfig.ready`` (not re-exported: it holds no model).

May import: ``casework.core`` only (field types, limits, the keyed chain under history).
"""

from casework.models.cases import ReferenceSequence, Team
from casework.models.correspondence import (
    ContactOptOut,
    CustomerChannel,
    CustomerContact,
    CustomerLanguage,
    CustomerMessage,
)
from casework.models.customers import Customer, CustomerIdentifier, IdentifierKind
from casework.models.erasure import ErasureRequest, ErasureState
from casework.models.extensions import ExtensionRequest, ExtensionState
from casework.models.handbacks import Handback, HandbackKind
from casework.models.message_templates import MessageTemplate
from casework.models.notices import DeliveryAttempt, Notification
from casework.models.partners import ApiScope, IdempotencyKey, Partner, PartnerApiKey
from casework.models.privacy import REVEAL_REASON_MAX_LENGTH, FileDownload, RevealLog
from casework.models.regimes import (
    Milestone,
    Regime,
    RegimeCondition,
    RegimeExtension,
    RegimeLimit,
    in_reader_language,
)
from casework.models.retention import PseudonymisationLog, RecordType, RetentionPolicy
from casework.models.routing import MemberCapacity, QueuedCase, TeamRouting
from casework.models.sla import (
    BusinessCalendar,
    CalendarOverride,
    CaseType,
    SlaClock,
    SlaPolicy,
    SlaStatus,
    TimeUnit,
)
from casework.models.trail import TransitionRecord

__all__ = [
    "REVEAL_REASON_MAX_LENGTH",
    "ApiScope",
    "BusinessCalendar",
    "CalendarOverride",
    "CaseType",
    "ContactOptOut",
    "Customer",
    "CustomerChannel",
    "CustomerContact",
    "CustomerIdentifier",
    "CustomerLanguage",
    "CustomerMessage",
    "DeliveryAttempt",
    "ErasureRequest",
    "ErasureState",
    "ExtensionRequest",
    "ExtensionState",
    "FileDownload",
    "Handback",
    "HandbackKind",
    "IdempotencyKey",
    "IdentifierKind",
    "MemberCapacity",
    "MessageTemplate",
    "Milestone",
    "Notification",
    "Partner",
    "PartnerApiKey",
    "PseudonymisationLog",
    "QueuedCase",
    "RecordType",
    "ReferenceSequence",
    "Regime",
    "RegimeCondition",
    "RegimeExtension",
    "RegimeLimit",
    "RetentionPolicy",
    "RevealLog",
    "SlaClock",
    "SlaPolicy",
    "SlaStatus",
    "Team",
    "TeamRouting",
    "TimeUnit",
    "TransitionRecord",
    "in_reader_language",
]
