from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the receivers that shape each request's log line.
        # manage.py and other processes: the command service's dead files go
        # (gunicorn and Celery do it for theirs when they start).
        from django.conf import settings

        from core import request_log  # noqa: F401

        if settings.METRICS_SERVICE == "command":
            from core.metrics import metrics_service_use

            metrics_service_use("command")
