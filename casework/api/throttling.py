"""Per-partner throttling: each partner has its own allowance (``Partner.rate_limit``, else
the ``API_PARTNER_RATE`` setting), counted in the default cache, which production points
at the shared Redis (``CACHE_URL``) so every web process counts the same requests.

Past the allowance the answer is 429 with ``Retry-After``: the seconds until a request
would be let through again.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class PartnerRateThrottle(SimpleRateThrottle):
    scope = "partner"

    def allow_request(self, request, view) -> bool:
        partner = getattr(request.user, "partner", None) if request.user.is_authenticated else None
        if partner is None:
            return True  # refused by authentication or permissions anyway
        self.rate = partner.rate_limit or settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["partner"]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self):
        # The rate is the calling partner's, set in allow_request; nothing to read up front.
        return None

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.user.partner.pk}
