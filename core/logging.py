"""Structured logs (structlog) for Django, Celery and every library.

One formatter for all of them, so a line from Django, Celery, django-axes or
our code has the same shape: JSON objects in production (LOG_FORMAT=json),
readable key=value lines on a terminal (LOG_FORMAT=console, the default with
DEBUG on). Every line carries what django-structlog bound for the request or
task it belongs to: `request_id`, and `task_id` in a worker.
"""

from __future__ import annotations

from typing import Any

import structlog

LOG_FORMATS = ("json", "console")

# Applied to structlog's own events and to plain `logging` records alike.
SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.PositionalArgumentsFormatter(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def structlog_configure() -> None:
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """Django's LOGGING: one handler on the root logger, every line once."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    renderer = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
                "foreign_pre_chain": SHARED_PROCESSORS,
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's defaults give "django" and "django.server" handlers of
            # their own; on top of the root's, every warning came out twice.
            "django": {"handlers": [], "propagate": True},
            "django.server": {"handlers": [], "propagate": True},
            # "Not Found: /x" and "Internal Server Error: /x" repeat the request
            # line (django-structlog's request_finished / request_failed, with
            # the traceback); everything else from Django still comes through.
            "django.request": {"level": "CRITICAL"},
            # Celery's "Task ... succeeded/raised" lines repeat django-structlog's
            # task_succeeded / task_failed, which carry the request id.
            "celery.app.trace": {"level": "CRITICAL"},
            # django-axes logs each failed login at INFO; a lockout (WARNING) is the news.
            "axes": {"level": "WARNING"},
        },
    }
