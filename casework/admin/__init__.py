"""The staff door to what every case type shares, one module per concern; Django's admin
autodiscovery imports this package, which registers them all.

- ``base``: what every admin builds on (refused writes are 403s, append-only history).
- ``cases``: :class:`~casework.admin.cases.CaseAdmin`, the base of each case type's admin,
  with the forms (``forms``) and the counted-not-read paginator (``paginators``) it uses.
- ``config``: desks, calendars, SLA policies, clocks.
- ``routing``: a team's routing (skills, overflow) on its page; members' capacities.
- ``regimes``: the regulatory regimes, their limits and extension tiers.
- ``trail``: the transition record and its CSV export.
- ``notices``: the notification outbox; ``message_templates``: the texts customers are written with.
- ``partners``: partners, their API keys and webhook secrets.
- ``reveals``: revealing one masked value, and the log of reveals.
- ``retention``: the retention periods, the pseudonymisation log, the subject-access export.
- ``erasure``: customers' erasure requests, their four-eyes decisions and execution.
- ``downloads``: downloading an uploaded file, and the log of downloads.
- ``lockouts``: login lockouts (django-axes).
- ``refusals``: the 403 page (``handler403``), with the admin's header.
- ``workspace``: My work and *Take next* (routed in ``config.urls``).
- ``team``: the supervisors' team view (routed in ``config.urls``).
- ``customers``: the customer's page (Customer 360) and the search for one (routed in
  ``config.urls``), and the link to it on every case page.
- ``filters``: the saved views atop a case list's filters; ``bulk``: "Assign to…" on a list.

May import: every other casework package; never a case app.
"""

from casework.admin import (  # noqa: F401  (registers each module's admins)
    config,
    customers,
    downloads,
    erasure,
    lockouts,
    message_templates,
    notices,
    partners,
    regimes,
    retention,
    reveals,
    routing,
    trail,
)
