"""Structured (JSON lines) logging, configured by create_app and the CLI, never at import."""

from __future__ import annotations

import logging
import sys
import time
from contextvars import ContextVar
from typing import Any

import orjson

ACCESS_LOGGER = "offer_catalog.access"

# The W3C trace context of the request being served: (trace id, parent span id), set by tracing.py.
TRACE_CONTEXT: ContextVar[tuple[str, str] | None] = ContextVar("offer_catalog_trace", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, trace ids and any `extra` fields."""

    _standard = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
        "message",
        "asctime",
        "color_message",  # uvicorn's ANSI-coloured copy of the message
    }

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        trace = TRACE_CONTEXT.get()
        if trace is not None:
            entry["trace_id"] = trace[0]
            if trace[1]:
                entry["parent_span_id"] = trace[1]
        for key, value in vars(record).items():
            if key not in self._standard:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str) -> None:
    """Send our loggers to stderr as JSON lines at the given level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("offer_catalog")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def uvicorn_log_config(level: str) -> dict[str, Any]:
    """A logging dictConfig routing uvicorn's own loggers through the JSON formatter."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "offer_catalog.logs.JsonFormatter"}},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
        },
    }
