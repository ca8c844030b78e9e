"""Under /api/ every error is the API's JSON error shape, whatever raised it;
the admin keeps Django's HTML pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from robeing_site import urls as site_urls

pytestmark = pytest.mark.django_db


def _broken(request):
    raise RuntimeError("a bug")


# The project's URLs and handlers, plus one view with a bug under /api/.
urlpatterns = [path("api/v1/broken/", _broken), *site_urls.urlpatterns]
handler404 = site_urls.handler404
handler500 = site_urls.handler500


@pytest.mark.parametrize(
    "url", ["/api/v1/nowhere/", "/api/v2/robeings/rb8001/conversations/", "/api/"]
)
def test_an_unmatched_api_url_is_a_json_404(client, url):
    response = client.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "code": "not_found",
        "message": f"No endpoint at {url}.",
        "errors": [],
    }


def test_an_unmatched_admin_url_keeps_the_html_page(client):
    response = client.get("/nowhere/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_bug_under_the_api_answers_500_in_the_error_shape(settings, caplog):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)

    response = client.get("/api/v1/broken/")

    assert response.status_code == 500
    assert response.json() == {
        "code": "server_error",
        "message": "Internal server error.",
        "errors": [],
    }
    assert "a bug" in caplog.text  # logged, not swallowed
