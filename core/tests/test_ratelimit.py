"""Rate limits: per API key and per client address, 429 with Retry-After in
the API's error shape, counted atomically (Redis when configured)."""

from __future__ import annotations

import threading

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from core.ratelimit import Rate, RateLimiter, limiter, parse_rate

STATS = "/api/v1/robeings/rb8001/stats/"


@override_settings(API_RATE_LIMIT_PER_KEY="3/min")
def test_a_key_over_its_limit_gets_429_with_retry_after_in_the_error_shape(bot_client):
    statuses = [bot_client.get(STATS).status_code for _ in range(3)]
    refused = bot_client.get(STATS)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 20  # one request's share of a minute
    body = refused.json()
    assert body["code"] == "rate_limited" and "API_RATE_LIMIT_PER_KEY" in body["message"]


@override_settings(API_RATE_LIMIT_PER_KEY="3/min")
def test_another_robeings_key_has_its_own_allowance(bot_client, other_bot_client):
    for _ in range(3):
        bot_client.get(STATS)
    assert bot_client.get(STATS).status_code == 429

    assert other_bot_client.get("/api/v1/robeings/rb10508/stats/").status_code == 200


@override_settings(API_RATE_LIMIT_PER_ADDRESS="5/min")
def test_the_address_limit_turns_a_flood_of_bad_credentials_into_429s(robeing):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key garbage.notakey")

    statuses = [client.get(STATS).status_code for _ in range(6)]

    assert statuses == [401] * 5 + [429]


@override_settings(API_RATE_LIMIT_PER_ADDRESS="2/min", API_RATE_LIMIT_PER_KEY="off")
def test_a_forwarded_for_header_is_ignored_without_a_trusted_proxy(bot_client):
    for n in range(2):
        bot_client.get(STATS, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    assert bot_client.get(STATS, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


@override_settings(API_RATE_LIMIT_PER_KEY="off", API_RATE_LIMIT_PER_ADDRESS="off")
def test_off_means_no_limit(bot_client):
    assert {bot_client.get(STATS).status_code for _ in range(20)} == {200}


def test_racing_threads_get_exactly_the_limit_through(settings):
    # Redis in the PostgreSQL pass (one Lua script per check), the process's
    # own lock in the SQLite pass: either way no request is counted twice or lost.
    rate, allowed, lock = Rate(count=20, seconds=60), [], threading.Lock()
    start = threading.Barrier(50)

    def one_request() -> None:
        start.wait(timeout=10)
        if limiter().check([("key:race", rate)]) == (0, -1):
            with lock:
                allowed.append(1)

    threads = [threading.Thread(target=one_request) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(allowed) == 20


def test_an_unreachable_redis_lets_requests_through_and_says_so(settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    assert RateLimiter().check([("key:x", Rate(1, 60))]) == (0, -1)
    assert "Redis unavailable" in caplog.text


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("600/min", Rate(600, 60)),
        ("100/s", Rate(100, 1)),
        ("5000/hour", Rate(5000, 3600)),
        ("600/60", Rate(600, 60)),
        ("off", None),
        ("", None),
    ],
)
def test_rates_read_as_operators_write_them(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["fast", "0/min", "10/fortnight", "-1/s"])
def test_a_rate_that_means_nothing_is_refused(text):
    with pytest.raises(ValueError, match="Not a rate"):
        parse_rate(text)


@override_settings(API_RATE_LIMIT_PER_KEY="2/min", API_RATE_LIMIT_PER_ADDRESS="3/min")
def test_a_request_one_limit_refuses_is_not_counted_against_the_other(bot_client):
    # Both limits in one atomic call: the key's refusal must not spend the
    # address's allowance (2 of its 3 are used by the requests that went).
    from core.ratelimit import Rate, limiter

    assert [bot_client.get(STATS).status_code for _ in range(3)] == [200, 200, 429]

    assert limiter().check([("addr:127.0.0.1", Rate(3, 60))]) == (0, -1)  # the 3rd is free
    assert limiter().check([("addr:127.0.0.1", Rate(3, 60))])[0] > 0  # and now spent
