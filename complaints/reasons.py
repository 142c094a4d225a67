"""The reasons complaints' services write into the trail, as codes
(``casework.trail.reasons``): stored once, read in each reader's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from casework.trail import reasons

from .models import Channel, VerificationMethod

REGISTERED = reasons.register(
    "complaints.registered", _("Registered from %(channel)s"), choices={"channel": Channel}
)
VERIFIED = reasons.register(
    "complaints.verified", _("Verified by %(method)s"), choices={"method": VerificationMethod}
)
CUSTOMER_CONFIRMED = reasons.register("complaints.customer_confirmed", _("Customer confirmed the resolution"))
WITHDRAWN = reasons.register("complaints.withdrawn", _("Withdrawn by the customer"))
AUTO_CLOSED = reasons.register(
    "complaints.auto_closed", _("Closed automatically %(days)s days after resolution")
)
