"""What the staff-login tests share: a record of every password check
(PBKDF2) the request path makes."""

from __future__ import annotations

import pytest

from accounts.models import User


@pytest.fixture
def password_checks(monkeypatch) -> list[str]:
    """The email of every account whose password hash is checked."""
    made: list[str] = []
    real = User.check_password

    def counted(self, raw_password):
        made.append(self.email)
        return real(self, raw_password)

    monkeypatch.setattr(User, "check_password", counted)
    return made
