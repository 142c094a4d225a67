from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = _("Refund cases")

    def ready(self) -> None:
        from casework import sweep

        from . import services

        sweep.register("refunds", services.run_clock)
