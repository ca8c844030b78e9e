"""The operators' log browser.

Built for a table of millions of rows: no full COUNT(*) per page (a planner
estimate or a bounded count), no DISTINCT over the log to build filter
choices, rows joined to their user in the same query, search through the
trigram indexes (conversations.selectors.conversation_search), and deep
pages found through the index instead of an OFFSET over the rows
(KeysetPaginator).

Query parameters of the list, stable for links from elsewhere (the dashboard):

    robeing=rb8001              one robeing
    date_from, date_to          YYYY-MM-DD, whole days in Seoul time, both included
    intent=schedule             exactly this intent
    channel_type__exact=im      one channel type
    confidence_below=0.5        confidence < 0.5 (turns without one excluded)
    confidence_min=0.5          confidence >= 0.5
    confidence_max=0.8          confidence <= 0.8
    confidence=none             turns logged without a confidence
    q=...                       search (words in message or response, exact ids)

Confidence values are numbers from 0 to 1; anything else, like a malformed
date, gets the admin's "invalid lookup" treatment (a redirect to ?e=1).
`export/` with the same parameters downloads the list as CSV
(conversations.csv_export).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR, SEARCH_VAR, ChangeList
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Robeing
from conversations import csv_export, selectors
from conversations.models import ConversationArchive, ConversationExport, ConversationLog
from core.admin import ReadOnlyAdmin
from core.db import serial_reads

# A filtered list counts at most this many rows (plus one, to know there are more).
COUNT_BOUND = 10_000
# A search counts less far. Its count cannot follow the list's index: it reads
# matches wherever they are (a trigram or gram bitmap, or the table in physical
# order), so its cost grows with the matches, and on ten million turns 10,001
# matches of a common word took 150-800 ms where 1,001 take 25-30. Nobody
# pages through a thousand matches; the page says to narrow the search, and
# the CSV export has every match.
SEARCH_COUNT_BOUND = 1_000
# Message and response in the list: a line or two each at the page's width.
EXCERPT_CHARS = 60

Turns = QuerySet[ConversationLog]


class EstimatedCountPaginator(Paginator):
    """Never counts the whole table: on PostgreSQL an unfiltered list uses the
    planner's estimate (pg_class.reltuples); anything else counts at most
    `bound` + 1 rows, and the page then says "10,000+"."""

    count_bound: int | None = None  # COUNT_BOUND unless the list sets its own

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
        return self.object_list.order_by()[: self.bound + 1].count()

    @property
    def bound(self) -> int:
        return self.count_bound or COUNT_BOUND

    @property
    def is_lower_bound(self) -> bool:
        return self.estimate is None and self.count > self.bound


def _estimated_rows(table: str) -> int:
    with connection.cursor() as cursor:
        # ::regclass resolves the name through search_path, like the list's query.
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row else 0


class KeysetPaginator(EstimatedCountPaginator):
    """Any page as cheap as the first. OFFSET n makes the database read and
    throw away n whole rows with their user join (page 20,000 of 10M turns
    took 2.4 s). Instead the page's first row is found by its sort key alone,
    `SELECT timestamp, id ... ORDER BY timestamp DESC, id DESC OFFSET n LIMIT 1`,
    which PostgreSQL answers from conv_time_idx (or conv_robeing_time_idx)
    without visiting the table, and the page is read from that row on by
    keyset, `WHERE (timestamp, id) <= (t, i) ... LIMIT 50`. Same page numbers,
    same rows as OFFSET (tests/test_admin_pages.py); an order a keyset cannot
    follow (a nullable column, no unique key) falls back to OFFSET."""

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        keys = _sort_keys(self.object_list)
        if bottom == 0 or keys is None:
            return super().page(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count  # what Paginator.page does with the last page
        rows = _rows_from(self.object_list, keys, bottom, top - bottom)
        return self._get_page(rows, number, self)


def _sort_keys(turns: Turns) -> list[tuple[str, bool]] | None:
    """The list's order as (column, descending) pairs, up to its first unique
    column; None when a keyset cannot follow it exactly (an expression, a
    nullable or related column, or no unique column to break ties)."""
    keys: list[tuple[str, bool]] = []
    for item in turns.query.order_by:
        if not isinstance(item, str):
            return None
        name = item.removeprefix("-")
        if any(name == seen for seen, _ in keys):
            continue  # a column already ordered by: a repeat never matters
        try:
            field = turns.model._meta.pk if name == "pk" else turns.model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if field.null or field.is_relation or not field.concrete:
            return None
        keys.append((field.attname, item.startswith("-")))
        if field.unique:
            return keys
    return None


def _rows_from(turns: Turns, keys: list[tuple[str, bool]], offset: int, limit: int) -> Turns:
    names = [name for name, _ in keys]
    # values_list drops the user join: only index columns are read.
    anchor = next(iter(turns.values_list(*names)[offset : offset + 1]), None)
    if anchor is None:  # past the end (the count was the planner's estimate)
        return turns.none()
    return turns.filter(_at_or_after(keys, anchor))[:limit]


def _at_or_after(keys: list[tuple[str, bool]], anchor: tuple[Any, ...]) -> Q:
    """Rows at `anchor` or after it in list order, i.e. the row comparison
    (k1, k2) <= (a1, a2) for a descending list, as the ORM can say it:
    k1 < a1 OR (k1 = a1 AND k2 < a2) OR (k1 = a1 AND k2 = a2). The first key's
    own bound (k1 <= a1) is repeated alone so that it bounds the index scan."""
    first, first_descending = keys[0]
    bound = Q(**{f"{first}__{'lte' if first_descending else 'gte'}": anchor[0]})
    after = Q(**{name: value for (name, _), value in zip(keys, anchor, strict=True)})
    for i, (name, descending) in enumerate(keys):
        equal = {prefix: value for (prefix, _), value in zip(keys[:i], anchor[:i], strict=True)}
        after |= Q(**equal, **{f"{name}__{'lt' if descending else 'gt'}": anchor[i]})
    return bound & after


class LogChangeList(ChangeList):
    """The list in an order an index serves, whatever the query string says."""

    def get_ordering_field(self, field_name: Any) -> Any:
        # ?o= may name any column, not only the sortable ones; sorting 10M
        # rows by intent for one page is what sortable_by is there to prevent.
        if field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)

    def get_ordering(self, request: HttpRequest, queryset: Turns) -> list[Any]:
        ordering = super().get_ordering(request, queryset)
        # A click on the time column gives ("timestamp", "-timestamp", "-id"):
        # Django appends the admin's own order. Ties on time go by id in the
        # same direction, so either way the list is one walk of conv_time_idx.
        if ordering and ordering[0] in ("timestamp", "-timestamp"):
            return [ordering[0], ordering[0].removesuffix("timestamp") + "id"]
        return ordering

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each row's links carry the list's filters back (?_changelist_filters=),
        # which Django adds link by link with a URL resolve each: 100 a page,
        # a tenth of its time. The same query string, made once here; with
        # preserved_filters empty Django adds nothing more.
        self._row_query, self.preserved_filters = self.preserved_filters, ""
        self._row_urls: dict[Any, str] = {}

    def url_for_result(self, result: ConversationLog) -> str:
        # Two links a row (time and message): one reverse.
        if result.pk not in self._row_urls:
            url = super().url_for_result(result)
            self._row_urls[result.pk] = f"{url}?{self._row_query}" if self._row_query else url
        return self._row_urls[result.pk]


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


class ParametersFilter(admin.ListFilter):
    """A filter read from query parameters of its own, taken out of the
    request's so that the list does not try them as field lookups."""

    parameters: tuple[str, ...] = ()

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


class TimestampRangeFilter(ParametersFilter):
    """From/to dates, read as whole days in the operators' time zone (Seoul)."""

    title = _("date range")
    template = "admin/conversations/date_range_filter.html"
    parameters = ("date_from", "date_to")

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


class ConfidenceFilter(ParametersFilter):
    """Ranges of the intent classifier's confidence, as links, and a free
    min/max form. `confidence_below` is strict and `confidence_max` is not, so
    the links tile 0..1 without overlap (0.5 to 0.8 is min 0.5, below 0.8) and
    a typed "max 1" still includes 1. Turns without a confidence match none
    of them, only `confidence=none`."""

    title = _("confidence")
    template = "admin/conversations/confidence_filter.html"
    parameters = ("confidence_below", "confidence_min", "confidence_max", "confidence")
    bounds = {
        "confidence_below": "confidence__lt",
        "confidence_min": "confidence__gte",
        "confidence_max": "confidence__lte",
    }
    ranges = (
        (_("below 0.3"), {"confidence_below": "0.3"}),
        (_("below 0.5"), {"confidence_below": "0.5"}),
        (_("0.5 to 0.8"), {"confidence_min": "0.5", "confidence_below": "0.8"}),
        (_("0.8 and above"), {"confidence_min": "0.8"}),
        (_("no confidence"), {"confidence": "none"}),
    )

    def choices(self, changelist: ChangeList) -> Iterator[dict[str, Any]]:
        current = {name: value for name, value in self.values.items() if value}
        for label, params in ((_("All"), {}), *self.ranges):
            yield {
                "selected": current == params,
                "query_string": changelist.get_query_string(params, remove=self.parameters),
                "display": label,
            }
        yield {
            "form": True,
            "min": self.values.get("confidence_min", ""),
            "max": self.values.get("confidence_max", ""),
            "other_params": _other_params(changelist, list(self.parameters)),
        }

    def queryset(self, request: HttpRequest, queryset: Turns) -> Turns:
        for name, lookup in self.bounds.items():
            value = self._number(name)
            if value is not None:
                queryset = queryset.filter(**{lookup: value})
        missing = self.values.get("confidence", "")
        if missing not in ("", "none"):
            raise IncorrectLookupParameters(f"confidence: {missing!r} is not 'none'")
        return queryset.filter(confidence__isnull=True) if missing else queryset

    def _number(self, name: str) -> float | None:
        raw = self.values.get(name)
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not 0 <= value <= 1:  # also false for NaN
            raise IncorrectLookupParameters(f"{name}: {raw!r} is not a number from 0 to 1")
        return value


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
        "response_excerpt",
        "intent",
        "confidence",
    )
    list_display_links = ("when", "excerpt")
    list_filter = (
        RobeingFilter,
        "channel_type",
        IntentFilter,
        ConfidenceFilter,
        TimestampRangeFilter,
    )
    list_select_related = ("user",)
    list_per_page = 50
    ordering = ("-timestamp", "-id")
    # Only time has an index in list order (conv_time_idx); sorting by another
    # column would sort the whole table for every page.
    sortable_by = ("when",)
    paginator = KeysetPaginator
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

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, turn: ConversationLog) -> str:
        # Django's renders a form widget through the template engine for every
        # row; the same input from one format_html costs a tenth of that.
        label = format_html(gettext("Select this object for an action - {}"), str(turn))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            turn.pk,
            label,
        )

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
        return Truncator(turn.message).chars(EXCERPT_CHARS)

    @admin.display(description=_("response"))
    def response_excerpt(self, turn: ConversationLog) -> str:
        return Truncator(turn.response).chars(EXCERPT_CHARS)

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

    def get_paginator(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Paginator:
        paginator = super().get_paginator(request, *args, **kwargs)
        if request.GET.get(SEARCH_VAR, "").strip():
            paginator.count_bound = SEARCH_COUNT_BOUND
        return paginator

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return LogChangeList

    def get_urls(self) -> list[URLPattern]:
        export = self.admin_site.admin_view(self.export_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        return [path("export/", export, name=name), *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Django's Korean "Select %s to view" reads "보기위한 1%s 를(을) 선택".
        context = {
            "title": self.model._meta.verbose_name_plural,
            "export_url": _export_url(request),
        }
        # Rendered inside the block: the page's rows are read while the
        # template renders, after the view has returned.
        with serial_reads():
            response = super().changelist_view(request, {**context, **(extra_context or {})})
            if isinstance(response, TemplateResponse):
                response.render()
        return response

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The filtered list as CSV, every page of it: the queryset comes from
        the list's own ChangeList, so filters, search and order are the list's."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            list_url = reverse("admin:conversations_conversationlog_changelist")
            return HttpResponseRedirect(f"{list_url}?{ERROR_FLAG}=1")
        export = csv_export.conversation_export_start(
            user_id=request.user.pk, filters=changelist.filter_params
        )
        response = StreamingHttpResponse(
            csv_export.conversation_export_csv(export=export, turns=changelist.queryset),
            content_type="text/csv; charset=utf-8",
        )
        stamp = f"{timezone.localtime(export.started_at):%Y%m%d-%H%M%S}"
        response["Content-Disposition"] = f'attachment; filename="conversation-log-{stamp}.csv"'
        return response

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


def _export_url(request: HttpRequest) -> str:
    # The list's filters, search and order; not its page (the export is all pages).
    params = request.GET.copy()
    for name in (PAGE_VAR, ERROR_FLAG):
        params.pop(name, None)
    url = reverse("admin:conversations_conversationlog_export")
    return f"{url}?{params.urlencode()}" if params else url


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


@admin.register(ConversationExport)
class ConversationExportAdmin(ReadOnlyAdmin):
    """Who exported which turns as CSV, and when: written by the export itself."""

    list_display = ("started", "exported_by", "filter_summary", "row_count", "finished")
    list_select_related = ("exported_by",)
    list_filter = (("finished_at", admin.EmptyFieldListFilter),)
    fields = ("started", "exported_by", "filter_summary", "row_count", "finished")
    readonly_fields = fields

    @admin.display(description=_("started"), ordering="started_at")
    def started(self, export: ConversationExport) -> str:
        return _local_time(export.started_at)

    @admin.display(description=_("finished"), ordering="finished_at")
    def finished(self, export: ConversationExport) -> str:
        # Not finished: the download was cut short (or is still going).
        return _local_time(export.finished_at) if export.finished_at else "-"

    @admin.display(description=_("filters"))
    def filter_summary(self, export: ConversationExport) -> str:
        if not export.filters:
            return str(_("all turns"))
        return ", ".join(f"{key}={value}" for key, value in sorted(export.filters.items()))
