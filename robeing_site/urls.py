from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from analytics import urls as analytics_urls
from conversations import urls as conversation_urls
from core import health
from privacy import urls as privacy_urls
from robeing_site.monitoring import metrics_view
from settings_app import urls as settings_urls
from stats import urls as stats_urls

# The apps' patterns side by side, not each behind an include(""): every bot
# request resolves through one level less.
api_v1 = [
    *conversation_urls.urlpatterns,
    *stats_urls.urlpatterns,
    *settings_urls.urlpatterns,
    *privacy_urls.urlpatterns,
    *analytics_urls.urlpatterns,
    path("schema/", SpectacularAPIView.as_view(permission_classes=[]), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[]),
        name="docs",
    ),
]

urlpatterns = [
    # The console is the admin; its home is the dashboard.
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # Prometheus (robeing_site/monitoring.py): a bearer token or a staff session.
    path("metrics", metrics_view, name="metrics"),
    # The admin header's language switch posts to set_language here.
    path("i18n/", include("django.conf.urls.i18n")),
    # For load balancers and orchestrators (core/health.py): at the root, outside
    # the API (no key, no rate limit), exempt from the HTTPS redirect (settings).
    path("healthz", health.liveness, name="healthz"),
    path("readyz", health.ReadinessView.as_view(), name="readyz"),
]

# Unmatched URLs and unhandled errors under /api/ answer in the API's error
# shape; the admin keeps Django's pages.
handler404 = "core.api.not_found"
handler500 = "core.api.server_error"
