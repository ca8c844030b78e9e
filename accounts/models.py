"""Identities: people (users and operators), robeings, and robeings' API keys."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

ROBEING_ID_PATTERN = r"^[a-z][a-z0-9_-]{1,99}$"
robeing_id_validator = RegexValidator(
    ROBEING_ID_PATTERN,
    _(
        "A robeing id is 2-100 lowercase letters, digits, '-' or '_', "
        "starting with a letter (e.g. rb8001)."
    ),
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: someone who talks to robeings in Slack, or a staff operator."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("email"), unique=True)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    # Slack ids are unique per workspace only, so this is indexed, not unique;
    # ingestion resolves a Slack id to a user only when exactly one user has it.
    slack_user_id = models.CharField(
        _("Slack user id"), max_length=100, blank=True, null=True, db_index=True
    )
    is_staff = models.BooleanField(_("staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        db_table = "user"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.email


class Robeing(models.Model):
    """A bot. Its id (`rb8001`) is the key every other table uses."""

    robeing_id = models.CharField(
        _("robeing id"), primary_key=True, max_length=100, validators=[robeing_id_validator]
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "robeing"
        ordering = ("robeing_id",)
        verbose_name = _("robeing")
        verbose_name_plural = _("robeings")

    def __str__(self) -> str:
        return f"{self.robeing_id} ({self.name})" if self.name else self.robeing_id


class RobeingAPIKey(AbstractAPIKey):
    """A bot's credential. Stored hashed (SHA-512); the key itself is shown once."""

    robeing = models.ForeignKey(
        Robeing, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("robeing")
    )

    class Meta(AbstractAPIKey.Meta):
        db_table = "robeing_api_key"
        verbose_name = _("robeing API key")
        verbose_name_plural = _("robeing API keys")
