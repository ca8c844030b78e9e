from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from accounts import services
from accounts.models import Robeing, RobeingAPIKey, User

# The library's own APIKey model is unused: our keys belong to a robeing.
admin.site.unregister(APIKey)

# Permission rows are named in English when they are created ("Can add
# user"); the operator reads the action in their language instead.
PERMISSION_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """ "App | model | action", all three in the operator's language."""
    model_class = permission.content_type.model_class()
    action = permission.codename.partition("_")[0]
    if model_class is None or action not in PERMISSION_ACTIONS:
        return str(permission)
    model = model_class._meta.verbose_name
    return f"{permission.content_type} | {PERMISSION_ACTIONS[action] % {'model': model}}"


class TranslatedPermissions:
    """For the user and group pages: each permission under its translated label."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name in ("permissions", "user_permissions"):
            qs = kwargs.get("queryset", db_field.remote_field.model.objects)
            kwargs["queryset"] = qs.select_related("content_type")
        field = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        if isinstance(field, forms.ModelMultipleChoiceField) and field.queryset.model is Permission:
            field.label_from_instance = permission_label
        return field


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(TranslatedPermissions, DjangoGroupAdmin):
    pass


@admin.register(User)
class UserAdmin(TranslatedPermissions, DjangoUserAdmin):
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


# The key library's columns have English names of its own (prefix, name,
# created, revoked, "Has expired"), never translated; ours are.
API_KEY_LABELS = {
    "prefix": _("prefix"),
    "name": _("name"),
    "created": _("created"),
    "expiry_date": _("expires"),
    "revoked": _("revoked"),
}
API_KEY_HELP = {
    "name": _("A free-form name for the key; need not be unique; at most 50 characters."),
    "revoked": _("A revoked key stops working at once; this cannot be undone."),
    "expiry_date": _("After this time the key stops working."),
}


class RevokedFilter(admin.BooleanFieldListFilter):
    """The filter on "revoked", under its translated name."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.title = _("revoked")


class TranslatedKeyColumns:
    """The key's columns, forms and read-only fields under our translated names."""

    @admin.display(description=_("prefix"), ordering="prefix")
    def key_prefix(self, key: RobeingAPIKey) -> str:
        return key.prefix

    @admin.display(description=_("created"), ordering="created")
    def key_created(self, key: RobeingAPIKey):
        return key.created

    @admin.display(description=_("name"), ordering="name")
    def key_name(self, key: RobeingAPIKey) -> str:
        return key.name

    @admin.display(description=_("expires"), ordering="expiry_date")
    def key_expiry(self, key: RobeingAPIKey):
        return key.expiry_date

    @admin.display(description=_("revoked"), boolean=True, ordering="revoked")
    def key_revoked(self, key: RobeingAPIKey) -> bool:
        return key.revoked

    @admin.display(description=_("expired"), boolean=True)
    def key_has_expired(self, key: RobeingAPIKey) -> bool:
        return key.has_expired

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in API_KEY_LABELS:
            field.label = API_KEY_LABELS[db_field.name]
            field.help_text = API_KEY_HELP.get(db_field.name, field.help_text)
        return field


class RobeingAPIKeyInline(TranslatedKeyColumns, admin.TabularInline):
    model = RobeingAPIKey
    fields = ("key_prefix", "key_name", "key_created", "key_expiry", "key_revoked")
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
class RobeingAPIKeyAdmin(TranslatedKeyColumns, APIKeyModelAdmin):
    list_display = (
        "key_prefix",
        "robeing",
        "key_name",
        "key_created",
        "key_expiry",
        "key_has_expired",
        "key_revoked",
    )
    list_display_links = ("key_prefix",)
    list_filter = (("revoked", RevokedFilter), "robeing")
    list_select_related = ("robeing",)
    search_fields = ("prefix", "name", "robeing__robeing_id")
    actions = ("revoke_keys",)

    def get_fields(self, request: HttpRequest, obj=None):
        fields = super().get_fields(request, obj)
        return ["key_prefix", *(f for f in fields if f not in ("prefix", "key_prefix"))]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # The library's own read-only "prefix" is shown as key_prefix here.
        fields = (
            "key_prefix",
            *(f for f in super().get_readonly_fields(request, obj) if f != "prefix"),
        )
        return (*fields, "robeing") if obj else fields

    def save_model(self, request: HttpRequest, obj: RobeingAPIKey, form=None, change=False) -> None:
        if not change:
            # As the library does, with its message in the operator's language.
            key = RobeingAPIKey.objects.assign_key(obj)
            obj.save()
            message = gettext(
                "The API key for %(name)s is: %(key)s . Store it somewhere safe: "
                "it cannot be shown again."
            )
            messages.warning(request, message % {"name": obj.name, "key": key})
            return
        obj.save()
        if obj.revoked:
            services.api_key_revoke(prefix=obj.prefix)  # also drops it from the key cache

    @admin.action(description=_("Revoke selected API keys"))
    def revoke_keys(self, request: HttpRequest, queryset) -> None:
        for api_key in queryset.filter(revoked=False):
            services.api_key_revoke(prefix=api_key.prefix)
        messages.success(request, _("The selected keys are revoked."))
