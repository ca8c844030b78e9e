from __future__ import annotations

from django.urls import path

from bench.bare_view import bare_insert
from robeing_site.urls import urlpatterns as real_urlpatterns

urlpatterns = [*real_urlpatterns, path("bench/bare-insert/", bare_insert)]
