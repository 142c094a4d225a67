from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Casework: calendars, SLA, audit, outbox")

    def ready(self) -> None:
        from casework.cases import sweep
        from casework.notices import partner_webhooks, webhooks
        from casework.routing import offers
        from casework.workspace import queues  # noqa: F401 (its reason codes)

        sweep.register("routing", offers.run_offers)

        # Read at each send, so an overridden or rotated setting is the one that signs.
        webhooks.register_secret("payments", lambda: settings.PAYMENTS_SIGNING_SECRET)
        # "partner:<code>": that partner's secrets, current and (while rotating) previous.
        webhooks.register_secret_family(partner_webhooks.SIGNING_PREFIX, partner_webhooks.secrets_for_code)
