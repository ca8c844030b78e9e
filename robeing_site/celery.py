"""The Celery app. Start a worker and beat with:

celery -A robeing_site worker --loglevel=INFO
celery -A robeing_site beat --loglevel=INFO   # exactly one beat per deployment
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "robeing_site.settings")

app = Celery("robeing_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
