"""The operators' log browser.

Built for a table of millions of rows: no full COUNT(*) per page (a planner
estimate or a bounded count), no DISTINCT over the log to build filter
choices, rows joined to their user in the same query, search through the
trigram indexes (conversations.selectors.conversation_search).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from accounts.models import Robeing
from conversations import selectors
from conversations.models import ConversationArchive, ConversationLog
from core.admin import ReadOnlyAdmin

# A filtered list counts at most this many rows (plus one, to know there are more).
COUNT_BOUND = 10_000

Turns = QuerySet[ConversationLog]


class EstimatedCountPaginator(Paginator):
    """Never counts the whole table: on PostgreSQL an unfiltered list uses the
    planner's estimate (pg_class.reltuples); anything else counts at most
    COUNT_BOUND + 1 rows, and the page then says "10,000+"."""

    @cached_property
    def estimate(self) -> int | None:
        if connection.vendor != "postgresql" or self.object_list.query.where:
            return None
        rows = _estimated_rows(self.object_list.model._meta.db_table)
        # -1 (never analysed) or a small table: a bounded count is cheap and exact.
        return rows if rows > COUNT_BOUND else None

    @cached_property
    def count(self) -> int:
        if self.estimate is not None:
            return self.estimate
        # No ORDER BY: any COUNT_BOUND + 1 matching rows will do, so the planner
        # may stop early instead of walking the list's order.
        return self.object_list.order_by()[: COUNT_BOUND + 1].count()

    @property
    def bound(self) -> int:
        return COUNT_BOUND

    @property
    def is_lower_bound(self) -> bool:
        return self.estimate is None and self.count > COUNT_BOUND


def _estimated_rows(table: str) -> int:
    with connection.cursor() as cursor:
        # ::regclass resolves the name through search_path, like the list's query.
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row else 0


class RobeingFilter(admin.SimpleListFilter):
    # Choices from the small robeing table, not a DISTINCT over the log.
    title = _("robeing")
    parameter_name = "robeing"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(r.robeing_id, str(r)) for r in Robeing.objects.all()]

    def queryset(self, request: HttpRequest, queryset: Turns) -> Turns:
        return queryset.filter(robeing_id=self.value()) if self.value() else queryset


class TextInputFilter(admin.SimpleListFilter):
    """An exact-match text box: the set of intents is open-ended and large."""

    template = "admin/conversations/input_filter.html"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> tuple[()]:
        return ()

    def has_output(self) -> bool:
        return True

    def choices(self, changelist: ChangeList) -> Iterator[dict[str, Any]]:
        yield {
            "value": self.value() or "",
            "parameter_name": self.parameter_name,
            "other_params": _other_params(changelist, [self.parameter_name]),
        }

    def queryset(self, request: HttpRequest, queryset: Turns) -> Turns:
        value = (self.value() or "").strip()
        return queryset.filter(**{self.parameter_name: value}) if value else queryset


class IntentFilter(TextInputFilter):
    title = _("intent")
    parameter_name = "intent"


class TimestampRangeFilter(admin.ListFilter):
    """From/to dates, read as whole days in the operators' time zone (Seoul)."""

    title = _("date range")
    template = "admin/conversations/date_range_filter.html"
    parameters = ("date_from", "date_to")

    def __init__(
        self,
        request: HttpRequest,
        params: dict[str, list[str]],
        model: type[ConversationLog],
        model_admin: admin.ModelAdmin,
    ) -> None:
        super().__init__(request, params, model, model_admin)
        self.values: dict[str, str] = {}
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                self.values[name] = (value[-1] if isinstance(value, list) else value).strip()

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return list(self.parameters)

    def choices(self, changelist: ChangeList) -> Iterator[dict[str, Any]]:
        yield {
            "date_from": self.values.get("date_from", ""),
            "date_to": self.values.get("date_to", ""),
            "other_params": _other_params(changelist, list(self.parameters)),
        }

    def queryset(self, request: HttpRequest, queryset: Turns) -> Turns:
        # The zone the list shows times in (TIME_ZONE, Asia/Seoul): a day means
        # what the operator reads on the page.
        zone = timezone.get_current_timezone()
        start, end = self._day("date_from"), self._day("date_to")
        if start:
            queryset = queryset.filter(timestamp__gte=dt.datetime.combine(start, dt.time(), zone))
        if end:
            next_day = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
            queryset = queryset.filter(timestamp__lt=next_day)
        return queryset

    def _day(self, name: str) -> dt.date | None:
        raw = self.values.get(name)
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise IncorrectLookupParameters(f"{name}: {raw!r} is not a YYYY-MM-DD date") from exc


def _other_params(changelist: ChangeList, exclude: list[str]) -> list[tuple[str, str]]:
    # Keep the search, the order and the other filters when this filter's form
    # is submitted (filter_params is every query parameter but the page).
    return [
        (key, value)
        for key, values in changelist.filter_params.items()
        if key not in exclude
        for value in values
    ]


@admin.register(ConversationLog)
class ConversationLogAdmin(admin.ModelAdmin):
    list_display = (
        "when",
        "robeing_column",
        "channel_id",
        "person",
        "excerpt",
        "intent",
        "confidence",
    )
    list_display_links = ("when", "excerpt")
    list_filter = (RobeingFilter, "channel_type", IntentFilter, TimestampRangeFilter)
    list_select_related = ("user",)
    list_per_page = 50
    ordering = ("-timestamp", "-id")
    # Only time has an index in list order (conv_time_idx); sorting by another
    # column would sort the whole table for every page.
    sortable_by = ("when",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False  # no COUNT(*) over the whole table per page
    show_facets = admin.ShowFacets.NEVER  # facets are one COUNT per filter choice
    # No "select all N turns": N is an estimate, and deleting across every page
    # would build a confirmation page listing the whole table.
    actions_selection_counter = False
    # Django shows the search box only when search_fields is set; the search
    # itself is get_search_results, through the selector.
    search_fields = ("message", "response", "=slack_user_id", "=thread_ts")
    search_help_text = _("Words in a message or response, or an exact Slack user id or thread ts.")
    fields = (
        "when",
        "robeing",
        "channel_id",
        "channel_type",
        "thread_ts",
        "user",
        "slack_user_id",
        "message",
        "response",
        "intent",
        "confidence",
        "event_id",
        "metadata_pretty",
        "ingested",
    )
    readonly_fields = fields

    @admin.display(description=_("time"), ordering="timestamp")
    def when(self, turn: ConversationLog) -> str:
        return _local_time(turn.timestamp)

    @admin.display(description=_("ingested"))
    def ingested(self, turn: ConversationLog) -> str:
        return _local_time(turn.created_at)

    @admin.display(description=_("robeing"))
    def robeing_column(self, turn: ConversationLog) -> str:
        return turn.robeing_id  # the column itself: no join to the robeing table

    @admin.display(description=_("person"))
    def person(self, turn: ConversationLog) -> str:
        return str(turn.user) if turn.user else turn.slack_user_id

    @admin.display(description=_("message"))
    def excerpt(self, turn: ConversationLog) -> str:
        return Truncator(turn.message or turn.response).chars(60)

    @admin.display(description=_("metadata"))
    def metadata_pretty(self, turn: ConversationLog) -> str:
        pretty = json.dumps(turn.metadata, ensure_ascii=False, indent=2, sort_keys=True)
        return format_html("<pre style='margin:0'>{}</pre>", pretty)

    def get_search_results(
        self, request: HttpRequest, queryset: Turns, search_term: str
    ) -> tuple[Turns, bool]:
        # Exact matches and trigram-indexed substrings on the log's own columns:
        # no join, so no duplicate rows and no DISTINCT.
        return selectors.conversation_search(queryset, search_term), False

    # Logs are evidence: read-only for operators, deletable by superusers only.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ConversationLog | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: ConversationLog | None = None
    ) -> bool:
        return request.user.is_active and request.user.is_superuser

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Django's Korean "Select %s to view" reads "보기위한 1%s 를(을) 선택".
        title = {"title": self.model._meta.verbose_name_plural}
        return super().changelist_view(request, {**title, **(extra_context or {})})

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        turn = self.get_object(request, object_id)
        if turn is not None:
            extra_context = {**(extra_context or {}), **_thread_context(turn)}
        return super().change_view(request, object_id, form_url, extra_context)


def _local_time(moment: dt.datetime) -> str:
    # Local time (Asia/Seoul) to the second, as in the thread: turns come
    # seconds apart, and Django's own format stops at the minute.
    return date_format(timezone.localtime(moment), "Y-m-d H:i:s")


def _thread_context(turn: ConversationLog) -> dict[str, Any]:
    thread = selectors.conversation_thread(turn=turn)
    # The same conversation in the list, for threads longer than the page shows
    # (a DM's unthreaded turns all share thread_ts "" and grow without end).
    same_conversation = {
        "robeing": turn.robeing_id,
        "channel_id": turn.channel_id,
        "thread_ts": turn.thread_ts,
    }
    return {
        "thread": thread,
        "thread_truncated": len(thread) >= selectors.THREAD_PAGE_MAX_TURNS,
        "current_turn_id": turn.id,
        "current_turn_shown": any(shown.id == turn.id for shown in thread),
        "thread_list_url": (
            reverse("admin:conversations_conversationlog_changelist")
            + "?"
            + urlencode(same_conversation)
        ),
    }


@admin.register(ConversationArchive)
class ConversationArchiveAdmin(ReadOnlyAdmin):
    """The archive manifest, read-only: the archive job writes it, and
    `manage.py restore_archive <id>` brings a month back."""

    list_display = (
        "robeing", "month", "state", "row_count", "size", "first_at", "last_at",
        "short_sha", "updated_at",
    )  # fmt: skip
    list_filter = ("state", RobeingFilter)
    search_fields = ("=robeing__robeing_id",)
    date_hierarchy = "period"
    readonly_fields = (
        "id", "robeing", "period", "state", "generation", "path", "replaced_path", "row_count",
        "first_id", "last_id", "first_at", "last_at", "sha256", "size_bytes", "created_at",
        "updated_at", "restored_at", "hold_until", "restore_command",
    )  # fmt: skip
    fields = readonly_fields

    @admin.display(description=_("month"), ordering="period")
    def month(self, obj: ConversationArchive) -> str:
        return f"{obj.period:%Y-%m}"

    @admin.display(description=_("size"), ordering="size_bytes")
    def size(self, obj: ConversationArchive) -> str:
        return filesizeformat(obj.size_bytes)

    @admin.display(description=_("SHA-256"))
    def short_sha(self, obj: ConversationArchive) -> str:
        return obj.sha256[:12]

    @admin.display(description=_("restore with"))
    def restore_command(self, obj: ConversationArchive) -> str:
        return f"python manage.py restore_archive {obj.id}"
