"""The shared layer under the case apps (``complaints``, ``accounts``, ``refunds``), one
package per concern, lowest first; a package imports only those above it in this list
(each package's docstring says which), and none imports a case app. The case apps
register with it from their ``AppConfig.ready`` instead (see ``casework.models.kinds`` and
``casework.cases.sweep``). ``docs/architecture.md`` draws the whole.

- ``core``: refusals, value rules and field types, the keyed chain under history.
- ``access``: roles, permissions, login lockout, the demo's credentials.
- ``models``: the shared models, one module per concern, and the registry of case kinds.
- ``trail``: the transition record as evidence, and its anchors.
- ``privacy``: masking personal data.
- ``sla``: calendars and clocks.
- ``notices``: the outbox, e-mail and webhooks.
- ``cases``: opening, transitions, references, desks, the sweep, the timeline.
- ``partners``: the partner API's conventions.
- ``supervision``: the dashboard and the trail's export.
- ``ops``: health, logs, the demo payments receiver.
- ``admin``: the staff door.

Beside them: ``demo`` (what every kind's demo shares) and Django's and Celery's fixed
places: ``apps``, ``tasks`` (the Celery door),
``management``, ``templatetags``, ``templates``, ``static``, ``migrations``, ``locale``.
"""
