from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "complaints"

    def ready(self) -> None:
        from casework import sweep

        from . import services

        sweep.register("complaints", services.run_clock)
