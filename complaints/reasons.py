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
# A merge (complaints.services.merging): the survivor's record, and each row it moved.
MERGED_IN = reasons.register("complaints.merged_in", _("%(reference)s merged in: %(reason)s"))
MOVED_BY_MERGE = reasons.register(
    "complaints.moved_by_merge", _("Merged from %(merged)s into %(into)s: %(reason)s")
)
