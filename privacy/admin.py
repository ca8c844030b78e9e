"""Operators create and follow privacy requests here. A request cannot be
edited: what it did is recorded by the job. Overdue requests are in red and
have their own filter."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput
from privacy import selectors, services
from privacy.models import ErasureRequest, ExportRequest, RequestStatus

# The places a request counts (privacy.services), in the operator's words.
COUNT_LABELS = {
    "hot_turns": _("turns in the log"),
    "archived_turns": _("archived turns"),
    "archives_rewritten": _("archives rewritten"),
    "exports_deleted": _("exports deleted"),
    "user_rows_anonymised": _("user rows anonymised"),
    "user_rows": _("user rows"),
}


def _local_time(value) -> str:
    # The one date format of the admin (robeing_site/formats), in Seoul time.
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _number(value: int) -> str:
    return formats.number_format(value, force_grouping=True)


class PrivacyRequestForm(forms.ModelForm):
    user_id = forms.UUIDField(label=_("user id"), required=False)
    slack_user_id = forms.CharField(label=_("Slack user id"), required=False, max_length=100)

    class Meta:
        fields: list[str] = []

    def clean(self) -> dict:
        data = super().clean()
        try:
            # Validation only: the service checks the same rules when it creates.
            services._subject(data.get("user_id"), data.get("slack_user_id"))
        except InvalidInput as exc:
            raise forms.ValidationError([e.message for e in exc.errors]) from None
        return data


class OverdueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("overdue")), ("open", _("open"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return selectors.requests_overdue(queryset)
        if self.value() == "open":
            return selectors.requests_open(queryset)
        return queryset


class PrivacyRequestAdmin(admin.ModelAdmin):
    form = PrivacyRequestForm
    list_display = ("short_id", "subject_kind", "status", "received_at", "deadline", "outcome")
    list_filter = (OverdueFilter, "status", "subject_kind")
    search_fields = ("=id", "=subject_slack_user_id")
    date_hierarchy = "received_at"
    readonly_fields = (
        "request_id", "subject_kind", "subject_user_id", "subject_slack_user_id", "status",
        "received_at", "deadline", "requested_by", "started_at", "finished_at", "attempts",
        "outcome", "last_error",
    )  # fmt: skip
    create_service = None

    @admin.display(description=_("request id"))
    def request_id(self, obj) -> str:
        return str(obj.id)

    @admin.display(description=_("request"), ordering="received_at")
    def short_id(self, obj) -> str:
        return str(obj.id)[:8]

    @admin.display(description=_("deadline"), ordering="due_at")
    def deadline(self, obj) -> str:
        due = _local_time(obj.due_at)
        if obj.is_overdue:
            return format_html('<strong style="color:#ba2121">{} ({})</strong>', due, _("overdue"))
        return due

    @admin.display(description=_("outcome"))
    def outcome(self, obj) -> str:
        # In the order of COUNT_LABELS (the order the job works in); a place
        # this admin does not know yet is still shown, under its key.
        order = list(COUNT_LABELS)
        places = sorted(obj.counts, key=lambda p: (order.index(p) if p in order else len(order), p))
        return (
            ", ".join(
                f"{COUNT_LABELS.get(place, place)}: {_number(obj.counts[place])}"
                for place in places
            )
            or "-"
        )

    def get_fields(self, request: HttpRequest, obj=None):
        return ("user_id", "slack_user_id") if obj is None else self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the record of what was done is the point

    def save_form(self, request: HttpRequest, form, change: bool):
        # Creating is the only write an operator makes, and the service makes
        # it; the admin goes on (history entry, message, redirect) with its row.
        return type(self).create_service(
            user_id=form.cleaned_data.get("user_id"),
            slack_user_id=form.cleaned_data.get("slack_user_id"),
            requested_by=request.user,
        )

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        pass  # saved by the service in save_form

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        pass  # a request has no related rows an operator edits


@admin.register(ErasureRequest)
class ErasureRequestAdmin(PrivacyRequestAdmin):
    create_service = staticmethod(services.erasure_request_create)


@admin.register(ExportRequest)
class ExportRequestAdmin(PrivacyRequestAdmin):
    create_service = staticmethod(services.export_request_create)
    list_display = (*PrivacyRequestAdmin.list_display, "download")
    readonly_fields = (*PrivacyRequestAdmin.readonly_fields, "expires_at", "file_size", "download")

    @admin.display(description=_("file"))
    def download(self, obj) -> str:
        if obj.status != RequestStatus.DONE or not obj.file_path:
            return "-"
        url = reverse("privacy-export-download", kwargs={"request_id": obj.id})
        until = gettext("until %(time)s") % {"time": _local_time(obj.expires_at)}
        return format_html('<a href="{}">{}</a> ({})', url, _("download"), until)
