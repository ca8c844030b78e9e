from __future__ import annotations

from django.urls import path

from settings_app import apis

prefix = "robeings/<str:robeing_id>/settings/"
urlpatterns = [
    path(prefix, apis.SettingsApi.as_view(), name="settings"),
    path(f"{prefix}history/", apis.SettingsHistoryApi.as_view(), name="settings-history"),
    path(f"{prefix}<str:category>/", apis.SettingsCategoryApi.as_view(), name="settings-category"),
    path(f"{prefix}<str:category>/reset/", apis.SettingsResetApi.as_view(), name="settings-reset"),
    path(f"{prefix}<str:category>/<str:key>/", apis.SettingsKeyApi.as_view(), name="settings-key"),
]
