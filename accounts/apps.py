from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Account lock and unlock requests"

    def ready(self) -> None:
        from casework import sweep

        from . import services

        sweep.register("accounts", services.run_clock)
