from __future__ import annotations

from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation

API_PREFIX = "/api/"


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Korean (or the browser's language) for operators; English for the API.

    API error messages are read by bots and by the engineers who debug them,
    next to English error codes; a mix of Korean library messages and English
    ones of ours would help nobody.

    Outside the API, Django's order decides, and it is the one we want: the
    language cookie that the admin header's switch sets (set_language) first,
    then the browser's Accept-Language, then LANGUAGE_CODE (Korean). An
    operator's explicit choice therefore wins over what the browser sends.
    """

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith(API_PREFIX):
            translation.activate("en")
            request.LANGUAGE_CODE = "en"
            return
        super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            return response
        return super().process_response(request, response)


class MessageMiddleware(DjangoMessageMiddleware):
    """Flash messages for the admin's pages only. The API never shows one, and
    setting up their cookie and session storage cost every bot request about
    5% of its time."""

    def process_request(self, request: HttpRequest) -> None:
        if not request.path_info.startswith(API_PREFIX):
            super().process_request(request)
