"""How often and how many at once feeds are fetched: per-feed backoff honouring
Retry-After, and a bound on concurrent fetches per host."""

from __future__ import annotations

import asyncio
import email.utils
import random
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC

from yarl import URL

# A Retry-After of a week is a misconfigured server, not a plan: never wait past this.
MAX_RETRY_AFTER_S = 3600.0
_DELTA_SECONDS = re.compile(r"[0-9]{1,10}")


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None
    when absent or unreadable. A date in the past gives 0."""
    if value is None:
        return None
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())


class Backoff:
    """Delay before the next try of one feed after failures: exponential with full jitter,
    capped, and never shorter than the server's Retry-After (itself capped at an hour)."""

    def __init__(
        self, base_s: float, cap_s: float, random: Callable[[], float] = random.random
    ) -> None:
        if not 0 < base_s <= cap_s:
            raise ValueError("need 0 < base_s <= cap_s")
        self.base_s = base_s
        self.cap_s = cap_s
        self._random = random
        self.consecutive_failures = 0

    def failure(self, retry_after_s: float | None = None) -> float:
        """Count a failure; the delay before the next try, in seconds."""
        self.consecutive_failures += 1
        exponent = min(self.consecutive_failures - 1, 64)  # base * 2**64 is past any cap
        delay = min(self.cap_s, self.base_s * 2.0**exponent) * self._random()
        if retry_after_s is not None and retry_after_s > 0:  # NaN fails this test too
            delay = max(delay, min(retry_after_s, MAX_RETRY_AFTER_S))
        return delay

    def success(self) -> None:
        self.consecutive_failures = 0


class HostLimiter:
    """At most ``per_host`` fetches at once to one origin, ``scheme://host:port``: a feed
    list naming ten files of one publisher must not open ten connections to it."""

    def __init__(self, per_host: int = 2) -> None:
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        self.per_host = per_host
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    @staticmethod
    def key(url: str) -> str:
        """``scheme://host:port`` with the default port filled in."""
        parsed = URL(url)
        return f"{parsed.scheme}://{parsed.raw_host}:{parsed.port}"

    def slot(self, url: str) -> AbstractAsyncContextManager[None]:
        """Hold one of the host's slots for the ``async with`` body."""
        key = self.key(url)
        if key not in self._semaphores:
            self._semaphores[key] = asyncio.Semaphore(self.per_host)
        return _held(self._semaphores[key])


@asynccontextmanager
async def _held(semaphore: asyncio.Semaphore) -> AsyncIterator[None]:
    async with semaphore:
        yield
