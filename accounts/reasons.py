"""The reasons account requests' services write into the trail, as codes
(``casework.trail.reasons``): stored once, read in each reader's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from casework.trail import reasons
from complaints.models import VerificationMethod

from .models import AuthenticationMethod, Outcome, RequestKind

# What the customer is told when an unlock meets a judicial freeze (the request's rejection
# reason), and the trail's reason for the rule's refusal.
JUDICIAL_FREEZE_REFUSAL = gettext_noop(
    "A judicial freeze cannot be lifted here: the account stays frozen until the court's "
    "release order is applied in the wallet core. Tell the customer which court or authority to contact."
)

REQUESTED = reasons.register("accounts.requested", _("%(kind)s requested"), choices={"kind": RequestKind})
JUDICIAL_FREEZE = reasons.register("accounts.judicial_freeze", _(JUDICIAL_FREEZE_REFUSAL))
AUTHENTICATION = reasons.register(
    "accounts.authentication",
    _("%(method)s: %(outcome)s"),
    choices={"method": AuthenticationMethod, "outcome": Outcome},
)

VERIFIED_ON_COMPLAINT = reasons.register(
    "accounts.verified_on_complaint", _("Verified on complaint %(reference)s")
)
IDENTITY_VERIFIED = reasons.register(
    "accounts.identity_verified",
    _("Identity verified (%(method)s)"),
    choices={"method": VerificationMethod},
)
PROTECTIVE_LOCK = reasons.register("accounts.protective_lock", _("Protective lock at the customer's request"))
EXECUTED = reasons.register("accounts.executed", _("%(kind)s executed"), choices={"kind": RequestKind})
CANCELLED = reasons.register("accounts.cancelled", _("Cancelled at the customer's request"))
EXPIRED = reasons.register("accounts.expired", _("No passed authentication within %(days)s days"))
UNLOCKED = reasons.register("accounts.unlocked", _("Account %(account)s unlocked through %(reference)s."))
