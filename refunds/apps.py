from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = _("Refund cases")

    def ready(self) -> None:
        from casework.cases import sweep
        from casework.core import evidence

        from . import services
        from .models import RefundEvidence

        sweep.register("refunds", services.run_clock)
        evidence.register(RefundEvidence, case="case")
