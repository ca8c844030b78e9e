"""Operators edit a robeing's settings on one page: a form per category,
generated from the schema and checked by the same service as the API, with the
history of changes below."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import Robeing
from core.admin import ReadOnlyAdmin
from core.errors import InvalidInput, PreconditionFailed
from settings_app import selectors, services
from settings_app.forms import CategoryForm
from settings_app.models import RobeingSettings, SettingsChange
from settings_app.schemas import CATEGORIES

HISTORY_ROWS = 100


@admin.register(RobeingSettings)
class RobeingSettingsAdmin(admin.ModelAdmin):
    list_display = ("robeing_column", "version", "updated_at", "edit_link")
    ordering = ("robeing_id",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("robeing"), ordering="robeing_id")
    def robeing_column(self, row: RobeingSettings) -> str:
        return row.robeing_id

    @admin.display(description=_("settings"))
    def edit_link(self, row: RobeingSettings):
        url = reverse("admin:settings_app_robeing_settings", args=[row.robeing_id])
        return format_html('<a href="{}">{}</a>', url, _("edit"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.settings_view)
        custom = [path("robeing/<str:robeing_id>/", view, name="settings_app_robeing_settings")]
        return custom + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        row = get_object_or_404(RobeingSettings, pk=object_id)
        return HttpResponseRedirect(
            reverse("admin:settings_app_robeing_settings", args=[row.robeing_id])
        )

    def settings_view(self, request: HttpRequest, robeing_id: str) -> HttpResponse:
        robeing = get_object_or_404(Robeing, robeing_id=robeing_id)
        can_edit = request.user.has_perm("settings_app.change_robeingsettings")
        snapshot = selectors.settings_get(robeing_id=robeing_id)
        forms = {c: CategoryForm(s, snapshot.values[c], prefix=c) for c, s in CATEGORIES.items()}
        if request.method == "POST" and can_edit:
            category = request.POST.get("category", "")
            if category in forms:
                saved = self._save(request, robeing_id, category, snapshot.version)
                if saved is None:
                    return HttpResponseRedirect(request.path)
                forms[category] = saved
        context = {
            **self.admin_site.each_context(request),
            "title": _("Settings of %(robeing)s") % {"robeing": robeing},
            "robeing": robeing,
            "categories": [
                (category, _category_title(category), form) for category, form in forms.items()
            ],
            "can_edit": can_edit,
            "version": snapshot.version,
            "history": _history_rows(robeing_id, forms),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/settings_app/robeing_settings.html", context)

    def _save(self, request: HttpRequest, robeing_id: str, category: str, version: int):
        """None when saved; otherwise the bound form with its errors."""
        values = selectors.settings_get(robeing_id=robeing_id).values[category]
        form = CategoryForm(CATEGORIES[category], values, request.POST, prefix=category)
        if not form.is_valid():
            return form
        try:
            services.settings_patch(
                robeing_id=robeing_id,
                category=category,
                patch=form.patch(),
                actor=services.Actor(user_id=request.user.id),
                expected_version=int(request.POST.get("version", version)),
            )
        except InvalidInput as error:
            form.show(error)
            return form
        except PreconditionFailed:
            messages.error(
                request, _("Someone changed these settings meanwhile; check and save again.")
            )
            return None
        messages.success(request, _("Saved."))
        return None


def _category_title(category: str) -> str:
    # A category's name is the verbose name of its column.
    return RobeingSettings._meta.get_field(category).verbose_name


def _history_rows(robeing_id: str, forms: dict[str, CategoryForm]) -> list[dict]:
    """The latest changes, each key under the label its field has on the page."""
    rows = []
    for change in selectors.settings_history(robeing_id=robeing_id)[:HISTORY_ROWS]:
        form = forms.get(change.category)
        field = form.fields.get(change.key) if form else None
        label = " › ".join(filter(None, (field.section, str(field.label)))) if field else ""
        rows.append(
            {
                "change": change,
                "category": _category_title(change.category) if form else change.category,
                "label": label,
                # None stands for "back to the default" in the history.
                "old": _value(form, change.key, change.old_value),
                "new": _value(form, change.key, change.new_value),
            }
        )
    return rows


def _value(form: CategoryForm | None, key: str, value) -> str:
    if value is None:
        return str(_("(default)"))
    if form is not None and key in form.fields:
        return form.display(key, value)
    return str(value)


@admin.register(SettingsChange)
class SettingsChangeAdmin(ReadOnlyAdmin):
    list_display = (
        "changed_at",
        "robeing_column",
        "category",
        "key",
        "old_value",
        "new_value",
        "changed_by_user",
        "changed_by_key",
    )
    list_filter = ("category", "robeing")
    list_select_related = ("changed_by_user",)
    ordering = ("-changed_at", "-id")

    @admin.display(description=_("robeing"), ordering="robeing_id")
    def robeing_column(self, row: SettingsChange) -> str:
        return row.robeing_id

    def get_fields(self, request: HttpRequest, obj=None):
        # The model leaves its robeing unnamed ("Robeing"); this column is named.
        fields = super().get_fields(request, obj)
        return ["robeing_column" if f == "robeing" else f for f in fields]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return (*super().get_readonly_fields(request, obj), "robeing_column")
