import os

from django.core.asgi import get_asgi_application

from config.directories import prepare_web_process

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Before the middleware starts: whitenoise looks for STATIC_ROOT when it does.
prepare_web_process()
application = get_asgi_application()
