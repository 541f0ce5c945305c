"""The poll loop of `cinealert ingest`: each feed on its own schedule, new CAP alerts to
the input topic, refused ones to the dead-letter topic, state written as it goes.

One poll of a feed: a conditional GET; nothing more on 304; otherwise read the feed (an
index's links are fetched once each, a fat feed's alerts cut out), check each alert
against the feed's trust, skip what was produced already (same sender, identifier and
sent, or the same bytes) or has expired, produce the rest keyed by sender|identifier
with an idempotent producer, and — only when all of that is on the topic — store the
feed's validators. A failed poll is retried with backoff and never treated as a
cancellation: alerts end only through their own CAP ``msgType``/``references``.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import aiohttp
from aiokafka import AIOKafkaProducer

from cap.document import ParseLimits
from daemon.feeds.documents import FeedAlert, FeedContent, FeedFormatError, read_feed
from daemon.feeds.feed_list import FeedSpec
from daemon.feeds.fetch import (
    Backoff,
    FetchError,
    FetchPolicy,
    FetchResult,
    HostLimiter,
    Validators,
    fetch,
)
from daemon.feeds.metrics import FeedMetrics
from daemon.feeds.state import HEADER_FEED, HEADER_IDENTITY, HEADER_SHA256, IngestState
from daemon.feeds.trust import FeedTrust
from daemon.runtime.logging_setup import get_logger

log = get_logger(__name__)

# Dead-letter headers: the same names the daemon writes (DESIGN.md, "Topics").
HEADER_ERROR_CODE = "cinealert-error-code"
HEADER_ERROR_MESSAGE = "cinealert-error-message"
HEADER_SOURCE_URL = "cinealert-source-url"


@dataclass
class PollResult:
    """What one poll of one feed did."""

    ok: bool
    changed: bool = False
    produced: int = 0
    skipped: int = 0
    refused: int = 0
    error: str | None = None
    retry_after_s: float | None = None  # the server's Retry-After, for the backoff


class FeedIngester:
    """Polls the feeds; ``poll`` runs one cycle of one feed, ``run`` all of them forever."""

    def __init__(
        self,
        feeds: list[FeedSpec],
        *,
        state: IngestState,
        producer: AIOKafkaProducer,
        session: aiohttp.ClientSession,
        metrics: FeedMetrics,
        input_topic: str,
        dlq_topic: str,
        limits: ParseLimits,
        allowed_hosts: frozenset[str] = frozenset(),
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.feeds = feeds
        self.state = state
        self.producer = producer
        self.session = session
        self.metrics = metrics
        self.input_topic = input_topic
        self.dlq_topic = dlq_topic
        self.limits = limits
        self.allowed_hosts = allowed_hosts
        self.wall_clock = wall_clock
        self.limiter = HostLimiter()
        self.trust = {feed.name: FeedTrust(feed, limits) for feed in feeds}
        # A feed's own CA bundle, loaded once (a bad file fails the start, naming it).
        self.tls = {
            feed.name: ssl.create_default_context(cafile=str(feed.ca_bundle))
            for feed in feeds
            if feed.ca_bundle is not None
        }
        self.backoff = {feed.name: Backoff(feed.poll_min_s, feed.poll_max_s) for feed in feeds}
        self.polled_ok: set[str] = set()

    @property
    def all_polled(self) -> bool:
        """Every feed had one successful poll (readiness)."""
        return self.polled_ok >= {feed.name for feed in self.feeds}

    async def run(self, stop: asyncio.Event) -> None:
        """Poll every feed on its schedule until ``stop`` is set."""
        tasks = [asyncio.create_task(self._feed_loop(feed, stop)) for feed in self.feeds]
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def run_once(self) -> bool:
        """One poll of every feed (``--once``); True when every poll succeeded."""
        results = await asyncio.gather(*(self.poll(feed) for feed in self.feeds))
        return all(result.ok for result in results)

    async def _feed_loop(self, feed: FeedSpec, stop: asyncio.Event) -> None:
        while not stop.is_set():
            result = await self.poll(feed)
            backoff = self.backoff[feed.name]
            if result.ok:
                backoff.success()
                delay = feed.poll_min_s
            else:
                delay = backoff.failure(result.retry_after_s)
            try:
                async with asyncio.timeout(delay):
                    await stop.wait()
            except TimeoutError:
                pass

    async def poll(self, feed: FeedSpec) -> PollResult:
        """One poll cycle of ``feed``; never raises for the feed's own problems."""
        started = time.monotonic()
        try:
            result = await self._poll(feed)
        except FetchError as error:
            result = PollResult(ok=False, error=f"{error.reason}: {error}")
            result.retry_after_s = error.retry_after_s
        except FeedFormatError as error:
            result = PollResult(ok=False, error=str(error))
        outcome = "failed" if not result.ok else ("changed" if result.changed else "unchanged")
        self.metrics.polls.labels(feed=feed.name, result=outcome).inc()
        if result.ok:
            self.polled_ok.add(feed.name)
            self.metrics.last_success.labels(feed=feed.name).set(time.time())
            self.metrics.consecutive_failures.labels(feed=feed.name).set(0)
        else:
            self.metrics.consecutive_failures.labels(feed=feed.name).inc()
        log.info(
            "feed_polled",
            feed=feed.name,
            result=outcome,
            produced=result.produced,
            skipped=result.skipped,
            refused=result.refused,
            error=result.error,
            seconds=round(time.monotonic() - started, 3),
        )
        return result

    async def _poll(self, feed: FeedSpec) -> PollResult:
        fetched = await self._fetch(feed, feed.url, self.state.validators.get(feed.name))
        if fetched.status == "not-modified" or fetched.body is None:
            return PollResult(ok=True)
        content = read_feed(fetched.body, fetched.url, feed.format, self.limits)
        result = PollResult(ok=True, changed=True)
        self.metrics.entries_seen.labels(feed=feed.name).inc(
            len(content.alerts) + len(content.links)
        )
        await self._deliver_content(feed, content, fetched.url, result)
        now = self.wall_clock()
        for link in content.links:
            if link in self.state.fetched_urls:
                continue
            expires = content.link_expires.get(link)
            if expires is not None and expires < now:
                result.skipped += 1  # the index says it has expired: no fetch
                continue
            try:
                document = await self._fetch(feed, link, None)
                if document.body is None:
                    continue
                linked = read_feed(document.body, document.url, "auto", self.limits)
            except (FetchError, FeedFormatError) as error:
                # The feed's validators are not stored: the next poll tries this link again.
                log.warning("feed_link_failed", feed=feed.name, url=link, error=str(error))
                result.ok = False
                result.error = f"link {link}: {error}"
                continue
            await self._deliver_content(feed, linked, document.url, result)
            await self.state.remember_url(link)
        if result.ok:
            await self.state.remember_feed(feed.name, fetched.validators)
        return result

    async def _fetch(self, feed: FeedSpec, url: str, previous: Validators | None) -> FetchResult:
        policy = FetchPolicy(
            user_agent=feed.user_agent,
            headers=self._headers(feed),
            allowed_hosts=self.allowed_hosts,
            ssl_context=self.tls.get(feed.name),
        )
        started = time.monotonic()
        async with self.limiter.slot(url):
            fetched = await fetch(self.session, self._with_query_auth(feed, url), policy, previous)
        self.metrics.fetch_duration.labels(feed=feed.name).observe(time.monotonic() - started)
        if fetched.body is not None:
            self.metrics.bytes_fetched.labels(feed=feed.name).inc(len(fetched.body))
        # The final URL resolves links and names the source in dead letters: without the
        # key the feed's query authentication added.
        return replace(fetched, url=self._without_query_auth(feed, fetched.url))

    def _headers(self, feed: FeedSpec) -> dict[str, str]:
        headers = dict(feed.headers)
        auth = feed.auth
        if auth is not None and auth.kind == "header":
            headers[auth.name] = auth.secret()
        elif auth is not None and auth.kind == "basic":
            token = aiohttp.BasicAuth(auth.name, auth.secret()).encode()
            headers["Authorization"] = token
        return headers

    def _without_query_auth(self, feed: FeedSpec, url: str) -> str:
        auth = feed.auth
        if auth is None or auth.kind != "query":
            return url
        parts = urlsplit(url)
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != auth.name]
        return urlunsplit(parts._replace(query=urlencode(kept)))

    def _with_query_auth(self, feed: FeedSpec, url: str) -> str:
        auth = feed.auth
        if auth is None or auth.kind != "query":
            return url
        parts = urlsplit(url)
        query = "&".join(
            part for part in (parts.query, urlencode({auth.name: auth.secret()})) if part
        )
        return urlunsplit(parts._replace(query=query))

    async def _deliver_content(
        self, feed: FeedSpec, content: FeedContent, url: str, result: PollResult
    ) -> None:
        for data, code, message in content.refused:
            await self._dead_letter(feed, data, code, message, url)
            result.refused += 1
        for alert in content.alerts:
            await self._deliver(feed, alert, url, result)

    async def _deliver(
        self, feed: FeedSpec, alert: FeedAlert, url: str, result: PollResult
    ) -> None:
        digest = hashlib.sha256(alert.data).hexdigest()
        now = self.wall_clock()
        if self.state.already_produced(alert.identity, digest):
            result.skipped += 1
            return
        expires = alert.expires
        if expires is not None and expires < now and alert.alert.msg_type == "Alert":
            # An expired alert needs no picture; an expired Update/Cancel still matters
            # to consumers that hold the original, so only plain alerts are skipped.
            result.skipped += 1
            return
        refusal = self.trust[feed.name].refusal(alert, now)
        if refusal is not None:
            reason, message = refusal
            await self._dead_letter(feed, alert.data, reason, message, url)
            result.refused += 1
            return
        await self.producer.send_and_wait(
            self.input_topic,
            value=alert.data,
            key=alert.key.encode(),
            headers=[
                (HEADER_IDENTITY, alert.identity.encode()),
                (HEADER_SHA256, digest.encode()),
                (HEADER_FEED, feed.name.encode()),
            ],
        )
        await self.state.remember_alert(alert.identity, digest)
        result.produced += 1
        self.metrics.alerts_produced.labels(feed=feed.name).inc()
        latency = (now - alert.alert.sent).total_seconds()
        if latency >= 0:
            self.metrics.sent_to_produced.labels(feed=feed.name).observe(latency)

    async def _dead_letter(
        self, feed: FeedSpec, data: bytes, code: str, message: str, url: str
    ) -> None:
        log.warning("feed_alert_refused", feed=feed.name, code=code, error=message, url=url)
        self.metrics.alerts_refused.labels(feed=feed.name, reason=code).inc()
        await self.producer.send_and_wait(
            self.dlq_topic,
            value=data,
            key=None,
            headers=[
                (HEADER_ERROR_CODE, code.encode()),
                (HEADER_ERROR_MESSAGE, message.encode()),
                (HEADER_FEED, feed.name.encode()),
                (HEADER_SOURCE_URL, url.encode()),
            ],
        )
