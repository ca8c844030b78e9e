"""The read-only operator group: browse logs, the dashboard, growth, settings
and reviews in the console; change nothing (no add, change or delete
permission, no reviewing, no exports, no privacy requests).

Assign a user to it in the admin (사용자 › 그룹). The API honours the same
permissions (accounts.permissions), so such a user reads through the API what
the console shows them and writes nothing there either.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "읽기 전용 운영자 · Read-only operators"

PERMISSIONS = {
    "accounts": ["view_robeing"],
    "conversations": ["view_conversationlog", "view_conversationarchive"],
    "stats": [
        "view_robeingstats",
        "view_xpevent",
        "view_taskreport",
        "view_tasktype",
        "view_feature",
        "view_achievement",
        "view_achievementaward",
    ],
    "settings_app": ["view_robeingsettings", "view_settingschange"],
    "reviews": ["view_inboxturn", "view_turnreview"],
}


def make_group(apps, schema_editor):
    # Django makes permissions after the last migration (post_migrate); on a
    # fresh database they do not exist yet at this point, so make them now.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)  # stubs in migrations
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codenames in PERMISSIONS.items():
        found = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        missing = set(codenames) - {p.codename for p in found}
        if missing:
            raise RuntimeError(f"Permissions not found for {app_label}: {sorted(missing)}")
        group.permissions.add(*found)


def drop_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("conversations", "0011_uncounted_turns"),
        ("stats", "0002_defaults_and_schedule"),
        ("settings_app", "0001_initial"),
        ("reviews", "0001_initial"),
    ]

    operations = [migrations.RunPython(make_group, drop_group)]
