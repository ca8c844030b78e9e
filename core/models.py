from __future__ import annotations

import uuid

from django.db import models


class DatabaseIdentity(models.Model):
    """One row: a token made when this database was made.

    Shared caches are namespaced by it (core.cache_namespace), so a new
    database beside an old cache starts from an empty namespace instead of
    reading another database's values."""

    token = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "database_identity"

    def __str__(self) -> str:
        return str(self.token)
