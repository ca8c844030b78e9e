"""conversation_log: every turn a robeing handles, on the seed's schema."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MESSAGE_MAX_CHARS = 40_000  # Slack's own limit for a message's text.
# conv_low_confidence_idx holds the turns under this confidence: the dashboard's
# default threshold. A query with a threshold up to this one can use it.
LOW_CONFIDENCE_INDEXED_BELOW = 0.5


class ChannelType(models.TextChoices):
    # The values Slack puts in an event's `channel_type`.
    CHANNEL = "channel", _("public channel")
    GROUP = "group", _("private channel")
    IM = "im", _("direct message")
    MPIM = "mpim", _("group direct message")
    APP_HOME = "app_home", _("app home")


class ConversationLog(models.Model):
    id = models.BigAutoField(primary_key=True)
    # A real foreign key for integrity, stored in the seed's varchar column.
    robeing = models.ForeignKey(
        "accounts.Robeing",
        on_delete=models.PROTECT,
        db_column="robeing_id",
        related_name="+",
        verbose_name=_("robeing"),
        db_index=False,  # conv_robeing_time_idx leads with robeing_id already
    )
    channel_id = models.CharField(_("channel"), max_length=100, blank=True, default="")
    message = models.TextField(_("message"))
    response = models.TextField(_("response"), blank=True, default="")
    intent = models.CharField(_("intent"), max_length=100, blank=True, default="")
    confidence = models.FloatField(_("confidence"), null=True, blank=True)
    timestamp = models.DateTimeField(_("time"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="user_id",
        related_name="+",
        verbose_name=_("user"),
        db_index=False,  # conv_user_time_idx leads with user_id already
    )
    slack_user_id = models.CharField(_("Slack user"), max_length=100, blank=True, default="")
    thread_ts = models.CharField(_("thread"), max_length=128, blank=True, default="")
    channel_type = models.CharField(
        _("channel type"), max_length=32, blank=True, default="", choices=ChannelType.choices
    )
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    # The bot's idempotency key (Slack event id or "channel:ts"): Slack retries an
    # event up to three times and each retry must land on the same row.
    event_id = models.CharField(_("event id"), max_length=255, null=True, blank=True)
    created_at = models.DateTimeField(_("ingested"), default=timezone.now, editable=False)
    # Whether the stats aggregation has counted a turn is not a column here but
    # a row in UncountedTurn (below): marking a turn counted must not rewrite it.

    class Meta:
        db_table = "conversation_log"
        verbose_name = _("conversation turn")
        verbose_name_plural = _("conversation log")
        constraints = [
            # Idempotent ingestion: INSERT ... ON CONFLICT DO NOTHING on this.
            models.UniqueConstraint(
                fields=("robeing", "event_id"),
                condition=Q(event_id__isnull=False),
                name="conv_robeing_event_uniq",
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=0, confidence__lte=1),
                name="conv_confidence_0_1",
            ),
        ]
        indexes = [
            # Seed 6.1: a person's history across robeings (and GDPR erasure by user).
            models.Index(fields=("user", "-timestamp"), name="conv_user_time_idx"),
            # Seed 6.1: a robeing's history, newest first (history API, admin filter).
            models.Index(fields=("robeing", "-timestamp", "-id"), name="conv_robeing_time_idx"),
            # The context endpoint and the admin thread page: the last N turns of one
            # conversation (robeing, channel, thread), newest first.
            models.Index(
                fields=("robeing", "channel_id", "thread_ts", "-timestamp", "-id"),
                name="conv_thread_time_idx",
            ),
            # The admin list across all robeings, newest first; archiving by age.
            models.Index(fields=("-timestamp", "-id"), name="conv_time_idx"),
            # Exact-match admin search and history filter on a Slack user; GDPR by Slack id.
            models.Index(fields=("slack_user_id", "-timestamp"), name="conv_slack_user_idx"),
            # Exact-match admin search on a thread across robeings.
            models.Index(fields=("thread_ts",), name="conv_thread_ts_idx"),
            # The admin's intent filter across robeings, newest first: an intent
            # that matches nothing is one index probe, not a walk of conv_time_idx.
            models.Index(fields=("intent", "-timestamp", "-id"), name="conv_intent_time_idx"),
            # The history API's (and the admin's) intent filter within one robeing.
            models.Index(
                fields=("robeing", "intent", "-timestamp", "-id"),
                name="conv_robeing_intent_time_idx",
            ),
            # The newest low-confidence turns (dashboard, review inbox, the log's
            # confidence filter): `confidence < t ORDER BY timestamp DESC, id DESC
            # LIMIT n` for t <= 0.5 reads only this small index. Partial, so it
            # costs an insert only for the few turns that land in it.
            models.Index(
                fields=("-timestamp", "-id"),
                condition=Q(confidence__lt=LOW_CONFIDENCE_INDEXED_BELOW),
                name="conv_low_confidence_idx",
            ),
        ]
        # Trigram GIN indexes for the admin's substring search live in a
        # PostgreSQL-only migration (0002), since SQLite has no pg_trgm; so does
        # the gram index for 1-2 character terms (0009, conv_search_grams).

    def __str__(self) -> str:
        # Seoul time, like every other time the admin shows.
        return f"#{self.id} {self.robeing_id} {timezone.localtime(self.timestamp):%Y-%m-%d %H:%M}"


class UncountedTurn(models.Model):
    """A turn the stats aggregation has not counted yet, one row per turn.

    A trigger puts a row here for every row inserted into conversation_log,
    whatever inserts it (ingestion, seed_demo's COPY, a factory, psql), in the
    same statement (migration 0011); the aggregation's claim deletes the rows
    it counts, in the transaction that records what they add up to. So a turn
    is counted exactly when it has no row here.

    It used to be a column of conversation_log set by the claim, but an UPDATE
    there writes the turn again into every index of the table (three GIN
    indexes of its text among them): a 1,000-turn claim cost 330 ms. Deleting
    1,000 rows from this narrow table costs a few. A claim per turn, not an id
    watermark: ids are handed out before commit, so a watermark skips turns
    that commit late.

    No foreign key: the claim reads the turns by id and skips a row whose turn
    is gone, and conversation_turns_delete removes a deleted turn's row.
    """

    turn_id = models.BigIntegerField(_("turn"), primary_key=True)

    class Meta:
        db_table = "conversation_uncounted"
        verbose_name = _("turn not counted yet")
        verbose_name_plural = _("turns not counted yet")

    def __str__(self) -> str:
        return f"#{self.turn_id}"


# Every column of a turn, in table order: what an archive line and a privacy
# export hold, so that a restored turn is the turn that left.
CONVERSATION_LOG_FIELDS = [f.attname for f in ConversationLog._meta.concrete_fields]


class ArchiveState(models.TextChoices):
    # The file is written and verified; its turns are being removed from the
    # hot table (a run that died here is finished by the next one).
    DELETING = "deleting", _("moving out of the hot table")
    COMPLETE = "complete", _("archived")
    # restore_archive is copying the turns back (finished by running it again).
    RESTORING = "restoring", _("restoring")
    # The turns are back in the hot table and the file is gone; archiving
    # leaves them there until hold_until.
    RESTORED = "restored", _("restored")


class ConversationArchive(models.Model):
    """The manifest: one compressed JSON Lines file per robeing per month
    (Seoul time), in the `archives` storage. A file is never changed in place:
    each rewrite (more turns, an erasure) writes the next generation under a
    new name, verifies it, then switches this row to it."""

    robeing = models.ForeignKey(
        "accounts.Robeing",
        on_delete=models.PROTECT,
        db_column="robeing_id",
        related_name="+",
        verbose_name=_("robeing"),
    )
    period = models.DateField(_("month"), help_text=_("First day of the month, Seoul time."))
    state = models.CharField(_("state"), max_length=16, choices=ArchiveState.choices)
    generation = models.PositiveIntegerField(_("generation"), default=0)
    path = models.CharField(_("file"), max_length=500, blank=True)
    # The previous generation's file, deleted once this row points at the new one.
    replaced_path = models.CharField(_("replaced file"), max_length=500, blank=True)
    row_count = models.PositiveBigIntegerField(_("turns"), default=0)
    first_id = models.BigIntegerField(_("first id"), null=True, blank=True)
    last_id = models.BigIntegerField(_("last id"), null=True, blank=True)
    first_at = models.DateTimeField(_("first turn"), null=True, blank=True)
    last_at = models.DateTimeField(_("last turn"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    restored_at = models.DateTimeField(_("restored"), null=True, blank=True)
    hold_until = models.DateTimeField(_("kept in the hot table until"), null=True, blank=True)

    class Meta:
        db_table = "conversation_archive"
        verbose_name = _("conversation archive")
        verbose_name_plural = _("conversation archives")
        ordering = ("-period", "robeing_id")
        constraints = [
            models.UniqueConstraint(
                fields=("robeing", "period"), name="archive_robeing_period_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.robeing_id} {self.period:%Y-%m}"


class ArchivedEvent(models.Model):
    """The event ids of archived turns: the hot table's unique (robeing_id,
    event_id) cannot see a turn that has left it, so a bot re-sending an old
    event (a spooled retry, a backfill) would store it a second time. Written
    in the statement that moves each batch of turns out of the hot table;
    removed when the turn is erased or restored."""

    robeing_id = models.CharField(max_length=100)
    event_id = models.CharField(max_length=255)
    turn_id = models.BigIntegerField()
    archive = models.ForeignKey(ConversationArchive, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "conversation_archived_event"
        constraints = [
            models.UniqueConstraint(fields=("robeing_id", "event_id"), name="archived_event_uniq")
        ]
        indexes = [models.Index(fields=("turn_id",), name="archived_event_turn_idx")]

    def __str__(self) -> str:
        return f"{self.robeing_id} {self.event_id}"


class ArchiveSubject(models.Model):
    """Whose turns an archive holds, so erasure and export open only the files
    that concern a person instead of reading every archive."""

    archive = models.ForeignKey(
        ConversationArchive, on_delete=models.CASCADE, related_name="subjects"
    )
    user_id = models.UUIDField(null=True, blank=True)
    slack_user_id = models.CharField(max_length=100, blank=True, default="")
    turns = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "conversation_archive_subject"
        indexes = [
            models.Index(fields=("user_id",), name="archive_subject_user_idx"),
            models.Index(fields=("slack_user_id",), name="archive_subject_slack_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.archive}: {self.turns} turns"


class ConversationExport(models.Model):
    """One CSV download from the log browser: who took which turns out of the
    console, and when. Written when the download starts and completed when its
    last row is sent, so a download cut short stays on record as unfinished,
    with the rows that did go out."""

    id = models.BigAutoField(primary_key=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exported by"),
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    # The list's query string as it was (filters, search, order), as a dict.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    row_count = models.PositiveBigIntegerField(_("rows"), default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        db_table = "conversation_export"
        verbose_name = _("log export")
        verbose_name_plural = _("log exports")
        # No index on time: a row per operator download, a small table.
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        return f"#{self.id} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"
