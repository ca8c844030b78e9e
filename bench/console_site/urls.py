from __future__ import annotations

from django.urls import path

from bench.console_site import stock
from robeing_site.urls import urlpatterns as product_urlpatterns

urlpatterns = [path("stock-admin/", stock.site.urls), *product_urlpatterns]
