from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from accounts import services
from accounts.models import Robeing, RobeingAPIKey, User

# The library's own APIKey model is unused: our keys belong to a robeing.
admin.site.unregister(APIKey)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = (
        "email",
        "display_name",
        "slack_user_id",
        "is_staff",
        "is_active",
        "date_joined",
    )
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "display_name", "=slack_user_id")
    readonly_fields = ("date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "slack_user_id")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "display_name", "password1", "password2")},
        ),
    )

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if "slack_user_id" in form.changed_data:
            # Through the service: turns logged next are linked by the new id at once.
            services.user_set_slack_user_id(user=obj, slack_user_id=obj.slack_user_id)


class RobeingAPIKeyInline(admin.TabularInline):
    model = RobeingAPIKey
    fields = ("prefix", "name", "created", "expiry_date", "revoked")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # Keys are created on the API key page, where the key is shown once.


@admin.register(Robeing)
class RobeingAdmin(admin.ModelAdmin):
    list_display = ("robeing_id", "name", "is_active", "created_at", "settings_link")
    list_filter = ("is_active",)
    search_fields = ("robeing_id", "name")
    readonly_fields = ("created_at", "updated_at", "settings_link")
    inlines = (RobeingAPIKeyInline,)

    @admin.display(description=_("settings"))
    def settings_link(self, robeing: Robeing):
        if not robeing.pk:
            return "-"
        url = reverse("admin:settings_app_robeing_settings", args=[robeing.pk])
        return format_html('<a href="{}">{}</a>', url, _("edit settings"))

    def save_model(self, request: HttpRequest, obj: Robeing, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            services.robeing_get_or_create(robeing_id=obj.robeing_id)  # initialises its stats
        elif "is_active" in form.changed_data:
            # Through the service: a deactivated robeing's cached keys stop at once.
            services.robeing_set_active(robeing_id=obj.robeing_id, is_active=obj.is_active)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # The id is referenced by every log row: it can be chosen, never changed.
        return (*self.readonly_fields, "robeing_id") if obj else self.readonly_fields


@admin.register(RobeingAPIKey)
class RobeingAPIKeyAdmin(APIKeyModelAdmin):
    list_display = (
        "prefix",
        "robeing",
        "name",
        "created",
        "expiry_date",
        "_has_expired",
        "revoked",
    )
    list_filter = ("revoked", "robeing")
    list_select_related = ("robeing",)
    search_fields = ("prefix", "name", "robeing__robeing_id")
    actions = ("revoke_keys",)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "robeing") if obj else fields

    def save_model(self, request: HttpRequest, obj: RobeingAPIKey, form=None, change=False) -> None:
        super().save_model(request, obj, form, change)
        if change and obj.revoked:
            services.api_key_revoke(prefix=obj.prefix)  # also drops it from the key cache

    @admin.action(description=_("Revoke selected API keys"))
    def revoke_keys(self, request: HttpRequest, queryset) -> None:
        for api_key in queryset.filter(revoked=False):
            services.api_key_revoke(prefix=api_key.prefix)
        messages.success(request, _("The selected keys are revoked."))
