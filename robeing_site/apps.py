from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    # Django's way to replace the default admin site: every app's
    # admin.register() lands on the console's site.
    default_site = "robeing_site.admin_site.ConsoleAdminSite"
