from django.apps import AppConfig


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = "Refund cases"

    def ready(self) -> None:
        from casework import sweep

        from . import services

        sweep.register("refunds", services.run_clock)
