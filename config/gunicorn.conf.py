"""gunicorn's settings for production: ``gunicorn -c config/gunicorn.conf.py``.

Every value can be changed from the environment, so one image serves every size:
``PORT``, ``WEB_CONCURRENCY`` (worker processes; default two per core plus one),
``WEB_THREADS`` (threads per worker; 1 means sync workers), ``WEB_TIMEOUT`` (seconds a
request may take before its worker is replaced) and ``LOG_FORMAT=json`` (gunicorn's own
log lines as JSON, like the application's; see casework/ops/logs.py).
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 30
# The longest request line gunicorn passes to the app (its maximum: 8190 bytes; its default,
# 4094, answered a list URL with many filters with gunicorn's own HTML 400). Longer lines are
# refused by gunicorn before the app, as a load balancer refuses them in front of it.
limit_request_line = int(os.environ.get("WEB_LIMIT_REQUEST_LINE", "8190"))
keepalive = 5
# A worker is replaced after this many requests (with jitter, so not all at once): what a
# long-lived process would slowly hold on to is given back.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Behind a load balancer or proxy that terminates TLS on the same host or network.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'

if os.environ.get("LOG_FORMAT", "text") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "casework.ops.logs.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
