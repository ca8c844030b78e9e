"""API rate limits: per API key (or staff account) and per client address.

Counted in Redis with GCRA (the generic cell rate algorithm) in one Lua
script, so every check is one atomic round trip: the key holds the time at
which the subject's allowance is next "theoretically" free, and a request is
let through when that time is no more than one period ahead. A limit of
`N/period` allows a burst of N, then one request every period/N. DRF's own
throttles keep a list of timestamps in the cache and read, modify and write
it in three steps, so concurrent requests in several workers overcount or
undercount; and a fixed window (INCR + EXPIRE) lets twice the limit through
around each window's edge. GCRA has neither problem and stores one number per
subject. Time comes from Redis (`TIME`), so web servers with skewed clocks
agree.

Without Redis (the embedded default) the same algorithm runs in the process
under a lock: exact for one process, per process otherwise. If Redis cannot
be reached the request is let through and a warning logged: a rate limit must
not turn a cache outage into an API outage.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings
from rest_framework.throttling import BaseThrottle

from core.errors import RateLimited

logger = logging.getLogger(__name__)

# KEYS: one key per subject; ARGV: per key, the interval between requests (ms,
# period/N) and the period (ms). All subjects are counted, or none: returns
# {0, 0} when every one allows the request, else {ms to wait, the index (1-based)
# of the subject that refuses it}.
_GCRA = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local new_tats = {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local period = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now_ms)
  if tat < now_ms then tat = now_ms end
  local new_tat = tat + interval
  local allowed_at = new_tat - period
  if allowed_at > now_ms then return {math.ceil(allowed_at - now_ms), i} end
  new_tats[i] = new_tat
end
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], new_tats[i], 'PX', math.ceil(new_tats[i] - now_ms))
end
return {0, 0}
"""

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)?\s*([a-z]*)\s*$")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @property
    def interval_ms(self) -> float:
        return self.seconds * 1000 / self.count


@lru_cache(maxsize=32)
def parse_rate(text: str) -> Rate | None:
    """`600/min`, `100/s`, `5000/hour` or `600/60` (seconds); empty or `off`: no limit."""
    if text.strip().lower() in ("", "off", "none"):
        return None
    match = _RATE.match(text.lower())
    if not match or (match.group(3) and match.group(3) not in _UNITS):
        raise ValueError(f"Not a rate: {text!r} (e.g. 600/min, 100/s, 600/60).")
    count, number, unit = int(match.group(1)), match.group(2), match.group(3)
    seconds = int(number or 1) * _UNITS.get(unit or "s", 1)
    if count < 1 or seconds < 1:
        raise ValueError(f"Not a rate: {text!r} (count and period must be positive).")
    return Rate(count, seconds)


class _InProcess:
    """GCRA in memory, for the embedded default without Redis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tat: dict[str, float] = {}

    def wait_ms(self, limits: list[tuple[str, Rate]]) -> tuple[float, int]:
        now = time.monotonic() * 1000
        with self._lock:
            new_tats = []
            for index, (key, rate) in enumerate(limits):
                new_tat = max(self._tat.get(key, now), now) + rate.interval_ms
                allowed_at = new_tat - rate.seconds * 1000
                if allowed_at > now:
                    return allowed_at - now, index
                new_tats.append(new_tat)
            for (key, _rate), new_tat in zip(limits, new_tats, strict=True):
                self._tat[key] = new_tat
            if len(self._tat) > 100_000:  # forget subjects long idle
                self._tat = {k: v for k, v in self._tat.items() if v > now}
            return 0.0, -1

    def clear(self) -> None:
        with self._lock:
            self._tat.clear()


class RateLimiter:
    def __init__(self) -> None:
        self._memory = _InProcess()
        self._script = None
        if settings.REDIS_URL:
            timeout = settings.REDIS_TIMEOUT_SECONDS
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout
            )
            self._script = client.register_script(_GCRA)

    def check(self, limits: list[tuple[str, Rate]]) -> tuple[float, int]:
        """Count one request against every (subject, rate), atomically, in one
        round trip: (0, -1) if all allow it, else (seconds to wait, the index
        of the limit that refuses it), and then nothing is counted."""
        if self._script is None:
            wait_ms, index = self._memory.wait_ms(limits)
            return wait_ms / 1000, index
        keys = [f"ratelimit:{key}" for key, _ in limits]
        args = [value for _, rate in limits for value in (rate.interval_ms, rate.seconds * 1000)]
        try:
            wait_ms, index = self._script(keys=keys, args=args)
        except redis.RedisError as exc:
            logger.warning("Rate limit not checked (Redis unavailable): %s", exc)
            return 0.0, -1
        return int(wait_ms) / 1000, int(index) - 1

    def clear(self) -> None:
        """For tests: forget the in-process counts (Redis ones go with the cache)."""
        self._memory.clear()


def client_address(request) -> str:
    """The client's address, by DRF's rule: REMOTE_ADDR, or the address the
    outermost of NUM_PROXIES trusted proxies saw (X-Forwarded-For). Used for
    the API's address limit and for django-axes' login lockouts alike."""
    return BaseThrottle().get_ident(request)


_limiter: RateLimiter | None = None


def limiter() -> RateLimiter:
    global _limiter
    if _limiter is None:
        _limiter = RateLimiter()
    return _limiter


def enforce(*limits: tuple[str, str, str]) -> None:
    """Count one request against each (subject, setting name, who) whose
    setting names a rate, in one Redis call; RateLimited (429 with
    Retry-After) naming the limit that is over."""
    active = []
    for subject, setting_name, who in limits:
        rate = parse_rate(getattr(settings, setting_name))
        if rate is not None:
            active.append((subject, rate, setting_name, who))
    if not active:
        return
    wait, index = limiter().check([(subject, rate) for subject, rate, _, _ in active])
    if wait > 0:
        _, rate, setting_name, who = active[index]
        retry_after = max(1, math.ceil(wait))
        raise RateLimited(
            f"Too many requests from this {who}: the limit is {rate.count} per "
            f"{rate.seconds:g} s ({setting_name}). Retry after {retry_after} s.",
            retry_after=retry_after,
        )
