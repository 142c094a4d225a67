"""The Celery app: configured from Django settings under the CELERY_ namespace."""

import os

from celery import Celery

from config.directories import make_broker_folders

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, **kwargs) -> None:
    # Once per process, when Celery first reads its settings: before any message is sent
    # or read, by the web process, a command, the worker or beat alike.
    make_broker_folders(sender.conf.broker_url, sender.conf.broker_transport_options or {})
