"""Per-partner throttling: each partner has its own allowance (``Partner.rate_limit``, else
the ``API_PARTNER_RATE`` setting), counted in the default cache, which production points
at the shared Redis (``CACHE_URL``) so every web process counts the same requests.

The count is a fixed window that opens with the partner's first request and lasts the
rate's period (a minute for "60/minute"). It is one cache entry per partner, created with
``cache.add`` (Redis ``SET NX EX``) and counted with ``cache.incr`` (Redis ``INCR``), so
the count is atomic however many processes and threads ask at once: of any burst, exactly
the allowance is let through in a window. DRF's own ``SimpleRateThrottle`` reads a list of
times and writes it back, so simultaneous requests overwrite each other's and more get in.

The entry holds two numbers in one integer, so that ``INCR`` keeps both: the second the
window opened (times ``WINDOW_SHIFT``) plus the window's count. The opening second gives
``Retry-After`` (the seconds until the window ends and a request is let through again)
without a second read. A fixed window lets a partner spend one window's allowance at its
very end and the next one's at the start of the next: at most twice the allowance within a
short span, never more; each period on its own admits at most the allowance.
"""

from __future__ import annotations

import math

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

# Counts stay below this in any one window (a billion requests a period); the window's
# opening second, in seconds since the epoch, sits above it: 1.8e18 fits Redis's 64 bits.
WINDOW_SHIFT = 10**9
# An entry can vanish between its add and its incr (the window just ended): open the next one.
ATTEMPTS = 3


class PartnerRateThrottle(SimpleRateThrottle):
    scope = "partner"

    def allow_request(self, request, view) -> bool:
        partner = getattr(request.user, "partner", None) if request.user.is_authenticated else None
        if partner is None:
            return True  # refused by authentication or permissions anyway
        self.rate = partner.rate_limit or settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["partner"]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request, view)
        self.now = self.timer()
        count, opened_at = self._count_this_request()
        self.window_ends_at = opened_at + self.duration
        return count <= self.num_requests

    def _count_this_request(self) -> tuple[int, float]:
        """This request's number in the partner's current window, and when the window opened."""
        opened_at = math.ceil(self.now)  # rounded up: Retry-After errs on the side of waiting
        for _ in range(ATTEMPTS):
            self.cache.add(self.key, opened_at * WINDOW_SHIFT, self.duration)
            try:
                value = self.cache.incr(self.key)
            except ValueError:  # the window ended between the add and the incr
                continue
            if value < WINDOW_SHIFT:
                # Redis's INCR made the entry itself (it expired between the backend's EXISTS
                # and INCR), without an expiry: give it one, and count from now.
                self.cache.touch(self.key, self.duration)
                return value, self.now
            return value % WINDOW_SHIFT, value // WINDOW_SHIFT
        return 1, self.now  # the cache keeps dropping the entry: nothing to count against

    def wait(self) -> float:
        # The opening second was rounded up, so this never undercounts the wait; never more
        # than a period, and at least a second, so a 429 always says when to come back.
        return max(1.0, min(float(self.duration), self.window_ends_at - self.timer()))

    def get_rate(self):
        # The rate is the calling partner's, set in allow_request; nothing to read up front.
        return None

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.user.partner.pk}
