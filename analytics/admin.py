"""The Robeing Console home: the dashboard an operator opens every morning.

Everything on it comes from analytics.selectors.overview (the rollups), as
the analytics API serves it; this module only shapes it for the page and
builds the links into the log and the growth pages."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import selectors as account_selectors
from analytics import charts, selectors
from analytics.apis import overview_query
from core.errors import ApplicationError, InvalidInput
from stats import charts as stats_charts

WEEKDAYS = [
    # Monday first, as the heat map's rows.
    _("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"),
]  # fmt: skip
QUICK_PERIODS = (7, 30, 90)
QUERY_FIELDS = ("robeing", "since", "until", "low_confidence_below")


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """What the dashboard template needs for the period the query string asks
    for; a bad query shows its errors above the default period instead."""
    params = {key: request.GET[key] for key in QUERY_FIELDS if request.GET.get(key, "")}
    errors: list[str] = []
    try:
        period = overview_query(params)
    except ApplicationError as exc:  # InvalidInput (400) or NotFound (404)
        errors = _messages(exc)
        period = overview_query({})
    data = selectors.overview(period=period)
    return {
        "period": period,
        "overview": data,
        "errors": errors,
        "robeing_choices": [r.robeing_id for r in account_selectors.robeings_all()],
        "quick_periods": _quick_periods(period),
        "daily_chart": stats_charts.day_bars(
            [(day["date"], day["turns"]) for day in data["daily"]]
        ),
        "heatmap": list(zip(WEEKDAYS, charts.heat_cells(data["heatmap"]), strict=True)),
        "hours": range(24),
        "intents": [
            {**row, "url": _log_url(period, intent=row["intent"]) if row["intent"] else ""}
            for row in data["top_intents"]
        ],
        "questions": [
            {**row, "url": _log_url(period, q=row["text"])} for row in data["frequent_questions"]
        ],
        "low_confidence_url": _log_url(period, confidence_below=str(period.low_confidence_below)),
        "low_confidence_turns": [
            {"id": turn_id, "url": _turn_url(turn_id)}
            for turn_id in data["low_confidence"]["latest"]
        ],
        "activity": [_activity_row(period, row) for row in data["robeings"]],
        "change_percent": None if data["change"] is None else round(data["change"] * 100, 1),
        "api_url": reverse("analytics-overview") + "?" + urlencode(_query(period)),
    }


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, InvalidInput) and exc.errors:
        return [f"{error.field}: {error.message}" for error in exc.errors]
    return [str(exc)]


def _query(period: selectors.Period, **changes: Any) -> dict[str, str]:
    query = {
        "robeing": period.robeing_id or "",
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "low_confidence_below": str(period.low_confidence_below),
        **changes,
    }
    return {key: value for key, value in query.items() if value}


def _quick_periods(period: selectors.Period) -> list[dict[str, Any]]:
    until = period.until
    return [
        {
            "days": days,
            "url": "?"
            + urlencode(_query(period, since=(until - dt.timedelta(days=days - 1)).isoformat())),
            "current": period.days == days,
        }
        for days in QUICK_PERIODS
    ]


def _log_url(period: selectors.Period, **filters: str) -> str:
    """The log list filtered to the period (Seoul days), the robeing and `filters`."""
    query = {
        **({"robeing": period.robeing_id} if period.robeing_id else {}),
        "date_from": period.since.isoformat(),
        "date_to": period.until.isoformat(),
        **filters,
    }
    return reverse("admin:conversations_conversationlog_changelist") + "?" + urlencode(query)


def _turn_url(turn_id: int) -> str:
    return reverse("admin:conversations_conversationlog_change", args=[turn_id])


def _activity_row(period: selectors.Period, row: dict[str, Any]) -> dict[str, Any]:
    robeing_period = selectors.Period(
        period.since, period.until, row["robeing_id"], period.low_confidence_below
    )
    return {
        **row,
        "growth_url": reverse("admin:stats_robeingstats_change", args=[row["stats_id"]]),
        "log_url": _log_url(robeing_period),
        "dashboard_url": "?" + urlencode(_query(robeing_period)),
    }
