"""gunicorn's configuration for Robeing Console: `gunicorn -c robeing_site/gunicorn_conf.py`.

Every value comes from the environment, so one file serves `make run`, the
benches and production. gunicorn's own variables (GUNICORN_CMD_ARGS) still win.
"""

from __future__ import annotations

import os


def _settings_loaded() -> None:
    # The master imports no application code; the metrics directory is a setting.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "robeing_site.settings")
    from django.conf import settings

    settings.METRICS_DIR  # noqa: B018 -- reading it loads settings, which set the directory


# This server's processes count as the web service (core.metrics). Settings
# first: they read `.env`, so its values apply to the lines below too.
os.environ["METRICS_SERVICE"] = "web"
_settings_loaded()
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
wsgi_app = "robeing_site.wsgi:application"
# The app writes one structured line per request itself; gunicorn's access
# log would be a second, differently shaped copy of it.
accesslog = None
# A worker stuck longer than this is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# SIGTERM (a deploy): workers get this long to finish their requests, a long
# CSV download included. make run's Procfile asks for 5 s.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))


def _logging() -> dict:
    """The app's logging (core/logging.py) for gunicorn's own lines too, so a
    worker timeout or restart is a JSON line like the rest."""
    _settings_loaded()
    from django.conf import settings

    own = {"level": "INFO", "handlers": [], "propagate": True}
    return {
        **settings.LOGGING,
        "loggers": {
            **settings.LOGGING["loggers"],
            "gunicorn": own,
            "gunicorn.error": own,
            # The access line repeats the app's request line, with the client's
            # address and the full path: never written.
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }


logconfig_dict = _logging()


def on_starting(server) -> None:
    """Before any worker: the web's metrics files of an earlier run's
    processes go, so this run's counters start from zero (core.metrics)."""
    from core.metrics import metrics_service_use

    removed = metrics_service_use("web")
    server.log.info("metrics: removed %d files of processes that no longer run", removed)


def child_exit(server, worker) -> None:
    """A worker exited (restarted, killed, timed out): prometheus-client's
    bookkeeping for a dead process."""
    from core.metrics import metrics_process_dead

    metrics_process_dead(worker.pid)
