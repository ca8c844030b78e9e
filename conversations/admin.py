"""The operators' log browser.

Built for a table of millions of rows: no full COUNT(*) per page (a planner
estimate or a bounded count), no DISTINCT over the log to build filter
choices, rows joined to their user in the same query, search through the
trigram indexes (conversations.selectors.conversation_search).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from accounts.models import Robeing
from conversations import selectors
from conversations.models import ConversationLog

COUNT_BOUND = 10_000


class EstimatedCountPaginator(Paginator):
    """Counts at most COUNT_BOUND + 1 rows; on PostgreSQL an unfiltered list
    uses the planner's estimate (pg_class.reltuples) instead of a scan."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if connection.vendor == "postgresql" and not queryset.query.where:
            estimate = _estimated_rows(ConversationLog._meta.db_table)
            if estimate > COUNT_BOUND:
                return estimate
        return queryset[: COUNT_BOUND + 1].count()

    @property
    def is_estimate(self) -> bool:
        return self.count > COUNT_BOUND


def _estimated_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row else 0


class RobeingFilter(admin.SimpleListFilter):
    # Choices from the small robeing table, not a DISTINCT over the log.
    title = _("robeing")
    parameter_name = "robeing"

    def lookups(self, request, model_admin):
        return [(r.robeing_id, str(r)) for r in Robeing.objects.all()]

    def queryset(self, request, queryset):
        return queryset.filter(robeing_id=self.value()) if self.value() else queryset


class TextInputFilter(admin.SimpleListFilter):
    """An exact-match text box: the set of intents is open-ended and large."""

    template = "admin/conversations/input_filter.html"

    def lookups(self, request, model_admin):
        return ()

    def has_output(self) -> bool:
        return True

    def choices(self, changelist):
        yield {
            "value": self.value() or "",
            "parameter_name": self.parameter_name,
            "other_params": _other_params(changelist, [self.parameter_name]),
        }

    def queryset(self, request, queryset):
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

    def __init__(self, request, params, model, model_admin) -> None:
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

    def choices(self, changelist):
        yield {
            "date_from": self.values.get("date_from", ""),
            "date_to": self.values.get("date_to", ""),
            "other_params": _other_params(changelist, list(self.parameters)),
        }

    def queryset(self, request, queryset):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
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


def _other_params(changelist, exclude: list[str]) -> list[tuple[str, str]]:
    # Keep the other filters and the search when this filter's form is submitted.
    return [
        (key, value)
        for key, value in changelist.get_filters_params().items()
        for value in (value if isinstance(value, list) else [value])
        if key not in exclude
    ] + ([("q", changelist.query)] if changelist.query else [])


@admin.register(ConversationLog)
class ConversationLogAdmin(admin.ModelAdmin):
    list_display = (
        "timestamp",
        "robeing_column",
        "channel_id",
        "person",
        "excerpt",
        "intent",
        "confidence",
    )
    list_display_links = ("timestamp", "excerpt")
    list_filter = (RobeingFilter, "channel_type", IntentFilter, TimestampRangeFilter)
    list_select_related = ("user",)
    list_per_page = 50
    ordering = ("-timestamp", "-id")
    paginator = EstimatedCountPaginator
    show_full_result_count = False  # no COUNT(*) over the whole table per page
    search_fields = ("message", "response", "=slack_user_id", "=thread_ts")  # shows the box
    search_help_text = _("Words in a message or response, or an exact Slack user id or thread ts.")
    fields = (
        "timestamp",
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
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("robeing"), ordering="robeing")
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

    def get_search_results(self, request, queryset, search_term):
        return selectors.conversation_search(queryset, search_term), False

    # Logs are evidence: read-only for operators, deletable by superusers only.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def change_view(self, request, object_id, form_url="", extra_context=None):
        turn = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if turn is not None:
            thread = selectors.conversation_thread(turn=turn)
            extra_context.update(
                thread=thread,
                thread_truncated=len(thread) >= selectors.THREAD_PAGE_MAX_TURNS,
                current_turn_id=turn.id,
            )
        return super().change_view(request, object_id, form_url, extra_context)
