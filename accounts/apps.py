from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Account lock and unlock requests")

    def ready(self) -> None:
        from casework.cases import sweep
        from casework.core import evidence

        from . import services
        from .models import AuthenticationEvidence

        sweep.register("accounts", services.run_clock)
        evidence.register(AuthenticationEvidence, case="request")
