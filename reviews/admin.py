"""The review inbox: turns to judge (low confidence, flagged, or of a chosen
intent), each opening a review page, and the training-data download.

Like the log browser it is built for ten million turns: newest first on an
index, no COUNT(*) over the table (conversations.admin's paginator), no
DISTINCT over the log; flags and verdicts of a page in two small queries.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pydantic
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Robeing
from conversations.admin import (
    EstimatedCountPaginator,
    IntentFilter,
    RobeingFilter,
    TimestampRangeFilter,
)
from core.admin import ReadOnlyAdmin
from core.errors import InvalidInput
from reviews import selectors, services
from reviews.forms import INTENT_LIST_ID, ReviewForm
from reviews.models import InboxTurn, TurnReview, Verdict
from reviews.schemas import TrainingExportIn

logger = logging.getLogger(__name__)

Turns = Any  # QuerySet[InboxTurn]
INBOX_COUNT_BOUND = 1_000
# The admin download, when the inbox names no period: the last 30 Seoul days.
EXPORT_DEFAULT_DAYS = 30
VIEW_PERMISSION = "reviews.view_inboxturn"
REVIEW_PERMISSION = "reviews.review_turn"
EXPORT_PERMISSION = "reviews.export_training_data"


def can_review(request: HttpRequest) -> bool:
    return request.user.has_perm(REVIEW_PERMISSION)


def can_export(request: HttpRequest) -> bool:
    return request.user.has_perm(EXPORT_PERMISSION)


# --- Filters --------------------------------------------------------------------------


class ReasonFilter(admin.ListFilter):
    """Why a turn is in the inbox: its confidence is below a threshold (the
    default, 0.5), an operator flagged it, or any turn (then narrowed by the
    intent filter)."""

    title = _("to review")
    template = "admin/reviews/reason_filter.html"
    parameters = ("reason", "below")
    LOW, FLAGGED, INTENT = "low", "flagged", "intent"

    def __init__(self, request, params, model, model_admin) -> None:
        super().__init__(request, params, model, model_admin)
        self.values: dict[str, str] = {}
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                self.values[name] = (value[-1] if isinstance(value, list) else value).strip()
        self.reason = self.values.get("reason") or self.LOW
        if self.reason not in (self.LOW, self.FLAGGED, self.INTENT):
            raise IncorrectLookupParameters(f"reason: {self.reason!r}")
        self.below = self._threshold(self.values.get("below"))

    @staticmethod
    def _threshold(raw: str | None) -> float:
        if not raw:
            return selectors.DEFAULT_THRESHOLD
        try:
            below = float(raw)
        except ValueError:
            raise IncorrectLookupParameters(f"below: {raw!r} is not a number") from None
        if not 0 < below <= 1:
            raise IncorrectLookupParameters(f"below: {raw!r} is not in (0, 1]")
        return below

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return list(self.parameters)

    def choices(self, changelist: ChangeList) -> Iterator[dict[str, Any]]:
        labels = {
            self.LOW: pgettext_lazy("reviews", "low confidence"),
            self.FLAGGED: pgettext_lazy("reviews", "flagged"),
            self.INTENT: _("any turn (choose an intent)"),
        }
        # For the threshold's own form: every other parameter, kept as it is.
        self.other_params = [
            (key, value)
            for key, values in changelist.filter_params.items()
            if key != "below"
            for value in values
        ]
        for reason, label in labels.items():
            yield {
                "selected": self.reason == reason,
                "query_string": changelist.get_query_string({"reason": reason}),
                "display": label,
                "reason": reason,
            }

    def queryset(self, request: HttpRequest, queryset: Turns) -> Turns:
        if self.reason == self.FLAGGED:
            return selectors.inbox_flagged(queryset)
        if self.reason == self.LOW:
            return selectors.inbox_low_confidence(queryset, below=self.below)
        return queryset


class StatusFilter(admin.SimpleListFilter):
    title = _("review status")
    parameter_name = "status"
    DEFAULT = "unreviewed"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [
            ("unreviewed", pgettext_lazy("reviews", "not reviewed")),
            ("reviewed", pgettext_lazy("reviews", "reviewed")),
            ("all", pgettext_lazy("reviews", "all")),
        ]

    def choices(self, changelist: ChangeList) -> Iterator[dict[str, Any]]:
        # No Django "All" entry on top: "all" is a choice of its own, and the
        # default is "not reviewed", not "no filter".
        current = self.value() or self.DEFAULT
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request: HttpRequest, queryset: Turns) -> Turns:
        status = self.value() or self.DEFAULT
        if status == "unreviewed":
            return selectors.inbox_unreviewed(queryset)
        if status == "reviewed":
            return selectors.inbox_reviewed(queryset)
        if status == "all":
            return queryset
        raise IncorrectLookupParameters(f"status: {status!r}")


class InboxChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        marks = selectors.turn_marks(turn_ids=[turn.id for turn in self.result_list])
        for turn in self.result_list:
            turn.marks = marks[turn.id]


# --- The inbox ------------------------------------------------------------------------


class InboxPaginator(EstimatedCountPaginator):
    """Counts at most INBOX_COUNT_BOUND + 1 turns ("1,000+"): an inbox filter
    always narrows the log (confidence, flags, intent), so there is no planner
    estimate to use, and a filter that matches little (a robeing with few
    low-confidence turns) would read the whole partial index to count 10,000."""

    estimate = None

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: INBOX_COUNT_BOUND + 1].count()

    @property
    def bound(self) -> int:
        return INBOX_COUNT_BOUND

    @property
    def is_lower_bound(self) -> bool:
        return self.count > INBOX_COUNT_BOUND


@admin.register(InboxTurn)
class InboxTurnAdmin(admin.ModelAdmin):
    list_display = (
        "when", "robeing_column", "excerpt", "response_excerpt", "intent", "confidence",
        "flags", "review_status",
    )  # fmt: skip
    list_display_links = ("when", "excerpt")
    list_filter = (
        ReasonFilter, StatusFilter, RobeingFilter, IntentFilter, TimestampRangeFilter,
    )  # fmt: skip
    list_per_page = 50
    # Every index the inbox reads ends in (timestamp DESC, id DESC).
    ordering = ("-timestamp", "-id")
    sortable_by = ()
    paginator = InboxPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = None
    change_list_template = "admin/reviews/inboxturn/change_list.html"

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return InboxChangeList

    def get_queryset(self, request: HttpRequest) -> Turns:
        # The robeing and the time are columns of the log: no join needed.
        return InboxTurn.objects.all()

    # --- columns

    @admin.display(description=_("time"))
    def when(self, turn: InboxTurn) -> str:
        return _local_time(turn.timestamp)

    @admin.display(description=_("robeing"))
    def robeing_column(self, turn: InboxTurn) -> str:
        return turn.robeing_id

    @admin.display(description=_("message"))
    def excerpt(self, turn: InboxTurn) -> str:
        return Truncator(turn.message).chars(60) or "-"

    @admin.display(description=_("response"))
    def response_excerpt(self, turn: InboxTurn) -> str:
        return Truncator(turn.response).chars(60)

    @admin.display(description=pgettext_lazy("reviews", "flags"))
    def flags(self, turn: InboxTurn) -> str:
        return str(turn.marks.flags) if turn.marks.flags else ""

    @admin.display(description=pgettext_lazy("reviews", "review"))
    def review_status(self, turn: InboxTurn) -> str:
        return _verdicts(turn.marks.verdicts)

    # --- permissions: operators read and judge turns, never change them

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(VIEW_PERMISSION) or can_review(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # --- pages

    def get_urls(self) -> list:
        export = self.admin_site.admin_view(self.export_view)
        return [path("export/", export, name="reviews_inboxturn_export"), *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            "title": capfirst(self.model._meta.verbose_name_plural),
            "can_export": can_export(request),
            "export_defaults": _export_defaults(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The review page (the turn's "change" URL: the inbox links to it)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        turn = self.get_object(request, object_id)
        if turn is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        form = None
        if request.method == "POST":
            if not can_review(request):
                raise PermissionDenied
            done, form = self._post(request, turn)
            if done:
                return HttpResponseRedirect(_next_url(request) or request.path)
        return TemplateResponse(
            request,
            "admin/reviews/inboxturn/review.html",
            self._review_context(request, turn, form),
        )

    def _post(self, request: HttpRequest, turn: InboxTurn) -> tuple[bool, ReviewForm | None]:
        action = request.POST.get("action", "")
        if action == "flag":
            services.flag_set(
                turn_id=turn.id, flagged_by=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, gettext("Flagged for review."))
            return True, None
        if action == "unflag":
            services.flag_clear(turn_id=turn.id, flagged_by=request.user)
            messages.success(request, gettext("Flag removed."))
            return True, None
        form = ReviewForm(request.POST)
        if not form.is_valid():
            return False, form
        try:
            services.review_record(turn_id=turn.id, reviewer=request.user, **form.cleaned_data)
        except InvalidInput as error:
            for problem in error.errors:
                field = problem.field if problem.field in form.fields else None
                form.add_error(field, problem.message)
            return False, form
        messages.success(request, gettext("Review saved."))
        return True, None

    def _review_context(
        self, request: HttpRequest, turn: InboxTurn, form: ReviewForm | None
    ) -> dict[str, Any]:
        reviews = list(selectors.reviews_of_turn(turn_id=turn.id))
        mine = next((r for r in reviews if r.reviewer_id == request.user.pk), None)
        flags = list(selectors.flags_of_turn(turn_id=turn.id))
        if form is None:
            initial = {"verdict": mine.verdict, "correct_intent": mine.correct_intent,
                       "note": mine.note} if mine else {"correct_intent": turn.intent}  # fmt: skip
            form = ReviewForm(initial=initial)
        return {
            **self.admin_site.each_context(request),
            "title": gettext("Review turn #%(id)s") % {"id": turn.id},
            "opts": self.model._meta,
            "turn": turn,
            "when": _local_time(turn.timestamp),
            "log_url": reverse("admin:conversations_conversationlog_change", args=[turn.id]),
            "form": form,
            "intent_list_id": INTENT_LIST_ID,
            "known_intents": selectors.known_intents(),
            "my_review": mine,
            "other_reviews": [r for r in reviews if r is not mine],
            "history": selectors.review_history_of_turn(turn_id=turn.id)[:50],
            "flags": flags,
            "flagged_by_me": any(f.flagged_by_id == request.user.pk for f in flags),
            "can_review": can_review(request),
        }

    # --- the training-data download

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """JSON Lines of the inbox's robeing and period (default: the last 30
        Seoul days), streamed; the same lines as `manage.py export_training_data`."""
        if not can_export(request):
            raise PermissionDenied
        try:
            wanted = _export_input(request)
        except BadExportRequest as problem:
            messages.error(request, str(problem))
            return HttpResponseRedirect(reverse("admin:reviews_inboxturn_changelist"))
        logger.info(
            "training data download by user %s: %s", request.user.pk, wanted.model_dump_json()
        )
        examples = selectors.training_examples(
            since=wanted.since,
            until=wanted.until,
            robeing_ids=wanted.robeing_ids,
            reviewed_only=wanted.reviewed_only,
        )
        response = StreamingHttpResponse(
            selectors.training_jsonl_chunks(examples), content_type="application/x-ndjson"
        )
        name = f"training-{wanted.since:%Y%m%d}-{wanted.until:%Y%m%d}.jsonl"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def _export_defaults(request: HttpRequest) -> dict[str, Any]:
    """What the download form starts with: the inbox's robeing and period."""
    today = timezone.localdate()
    return {
        "date_from": request.GET.get("date_from")
        or (today - dt.timedelta(days=EXPORT_DEFAULT_DAYS - 1)).isoformat(),
        "date_to": request.GET.get("date_to") or today.isoformat(),
        "robeing": request.GET.get("robeing", ""),
        "robeings": list(Robeing.objects.values_list("robeing_id", flat=True)),
    }


class BadExportRequest(Exception):
    """A download the inbox cannot serve; the message is for the operator."""


def _export_input(request: HttpRequest) -> TrainingExportIn:
    defaults = _export_defaults(request)
    robeing_ids = [r for r in request.GET.getlist("robeing") if r]
    days = {}
    for name in ("date_from", "date_to"):
        try:
            days[name] = dt.date.fromisoformat(defaults[name])
        except ValueError:
            raise BadExportRequest(
                gettext("Not a date (YYYY-MM-DD): %(value)s") % {"value": defaults[name]}
            ) from None
    unknown = set(robeing_ids) - set(defaults["robeings"])
    if unknown:
        raise BadExportRequest(
            gettext("Unknown robeing: %(ids)s") % {"ids": ", ".join(sorted(unknown))}
        )
    try:
        return TrainingExportIn(
            since=days["date_from"],
            until=days["date_to"],
            robeing_ids=robeing_ids,
            reviewed_only=request.GET.get("reviewed_only") in ("1", "on", "true"),
        )
    except pydantic.ValidationError:
        # Dates and robeings are checked above: what is left is the order.
        raise BadExportRequest(gettext("The period ends before it starts.")) from None


def _next_url(request: HttpRequest) -> str | None:
    # Flagging from the log's turn page goes back there.
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _local_time(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i:s")


def _verdicts(verdicts: list[str]) -> str:
    if not verdicts:
        return pgettext("reviews", "not reviewed")
    labels = [str(Verdict(v).label) for v in verdicts]
    return ", ".join(labels)


@admin.register(TurnReview)
class TurnReviewAdmin(ReadOnlyAdmin):
    """Every operator's current review, newest first (the history is on each
    turn's review page)."""

    list_display = (
        "updated", "turn_link", "robeing_id", "reviewer", "verdict", "correct_intent", "note",
    )  # fmt: skip
    list_filter = ("verdict", RobeingFilter)
    list_select_related = ("reviewer",)
    ordering = ("-updated_at", "-id")
    show_full_result_count = False

    @admin.display(description=_("updated"), ordering="updated_at")
    def updated(self, review: TurnReview) -> str:
        return _local_time(review.updated_at)

    @admin.display(description=pgettext_lazy("reviews", "turn"))
    def turn_link(self, review: TurnReview) -> str:
        url = reverse("admin:reviews_inboxturn_change", args=[review.turn_id])
        return format_html('<a href="{}">#{}</a>', url, review.turn_id)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or can_review(request)
