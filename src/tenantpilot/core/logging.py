"""Structured (JSON lines) logging with the request id on every record."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from .context import get_request_id

_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    """Attach the current request id (or ``None``) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = get_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            payload["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(payload, default=str)


class HumanFormatter(logging.Formatter):
    """One short line per record for a person at a terminal (the demo): ``HH:MM:SS LEVEL message``.

    Extra fields follow as ``key=value``; like :class:`JsonFormatter`, an exception is named by
    its type only (its text may carry a secret), never printed as a traceback.
    """

    def format(self, record: logging.LogRecord) -> str:
        clock = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")  # noqa: DTZ006 - the local terminal's clock
        extras = [
            f"{key}={value}"
            for key, value in vars(record).items()
            if key not in _STANDARD_ATTRS and not key.startswith("_") and value is not None
        ]
        if record.exc_info and record.exc_info[0] is not None:
            extras.append(f"exc_type={record.exc_info[0].__name__}")
        level = "" if record.levelno == logging.INFO else f"{record.levelname} "
        return f"{clock} {level}{record.getMessage()}" + (f"  ({', '.join(extras)})" if extras else "")


def human_logging_config(
    base: dict[str, Any], *, loud_loggers: tuple[str, ...] = (), quiet_loggers: tuple[str, ...] = ()
) -> dict[str, Any]:
    """``base`` (the settings' ``LOGGING``) with the console in :class:`HumanFormatter` lines and the
    root at WARNING, ``loud_loggers`` at INFO and ``quiet_loggers`` at ERROR: warnings and errors show,
    routine INFO lines (one per Graph request or retry) do not. JSON lines stay the production default."""
    handlers = {name: {**handler} for name, handler in base.get("handlers", {}).items()}
    handlers.setdefault("console", {"class": "logging.StreamHandler", "filters": ["request_id"]})
    handlers["console"]["formatter"] = "human"
    return {
        **base,
        "disable_existing_loggers": False,
        "formatters": {**base.get("formatters", {}), "human": {"()": "tenantpilot.core.logging.HumanFormatter"}},
        "handlers": handlers,
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            **base.get("loggers", {}),
            **{name: {"level": "INFO", "handlers": [], "propagate": True} for name in loud_loggers},
            **{name: {"level": "ERROR", "handlers": [], "propagate": True} for name in quiet_loggers},
        },
    }
