"""Structured logs for production: one JSON object a line, which a log shipper reads
without parsing prose. ``LOG_FORMAT=json`` turns it on (see ``config.settings.LOGGING``);
the default stays plain text for a developer's terminal."""

from __future__ import annotations

import datetime as dt
import json
import logging

# What every LogRecord carries anyway; anything else passed in ``extra=`` is logged as a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        entry |= {key: value for key, value in vars(record).items() if key not in _STANDARD}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
