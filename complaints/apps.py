from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from casework.cases import sweep
        from casework.core import evidence

        from . import services
        from .models import ComplaintAttachment

        sweep.register("complaints", services.run_clock)
        evidence.register(ComplaintAttachment, case="complaint")
