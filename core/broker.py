"""A connection to the Celery broker that gives up fast.

Kombu's defaults retry a refused connection for seconds (and a publish that
cannot connect waited about 6 s here): right for a worker, wrong for a web
request, a probe or a scrape. One attempt, with timeouts on the socket.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import current_app
from django.conf import settings
from kombu import Connection


@contextmanager
def broker_connection(
    *, seconds: float, url: str | None = None, transport_options: dict[str, Any] | None = None
) -> Iterator[Connection]:
    """Connected (one attempt within `seconds`), or the transport's error
    (kombu's OperationalError for Redis and AMQP). Default: the settings' broker."""
    url = url or settings.CELERY_BROKER_URL
    if transport_options is None:
        transport_options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    options: dict[str, Any] = {**transport_options}
    if url.startswith(("redis://", "rediss://")):
        # Kombu's Redis transport takes its timeouts from here, not from
        # connect_timeout (which py-amqp uses for the socket and handshake).
        options.update(socket_connect_timeout=seconds, socket_timeout=seconds)
    connection = current_app.connection_for_write(
        url, connect_timeout=seconds, transport_options=options
    )
    with connection:
        connection.ensure_connection(max_retries=0)
        yield connection
