"""Per-feed Prometheus metrics of `cinealert ingest` (the label is the feed's name from
the feed list: a bounded set the operator chose)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

FETCH_BUCKETS_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)
# From an alert's <sent> to its message on the input topic: seconds to hours.
LATENCY_BUCKETS_SECONDS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600)


@dataclass(frozen=True)
class FeedMetrics:
    registry: CollectorRegistry
    last_success: Gauge
    consecutive_failures: Gauge
    fetch_duration: Histogram
    entries_seen: Counter
    alerts_produced: Counter
    alerts_refused: Counter
    bytes_fetched: Counter
    sent_to_produced: Histogram
    polls: Counter


def create_feed_metrics(registry: CollectorRegistry | None = None) -> FeedMetrics:
    """Every feed metric, registered in ``registry`` (a fresh one by default)."""
    registry = registry if registry is not None else CollectorRegistry()
    return FeedMetrics(
        registry=registry,
        last_success=Gauge(
            "cinealert_feed_last_success_timestamp_seconds",
            "Unix time of the feed's last successful poll.",
            ["feed"],
            registry=registry,
        ),
        consecutive_failures=Gauge(
            "cinealert_feed_consecutive_failures",
            "Failed polls of the feed since its last success.",
            ["feed"],
            registry=registry,
        ),
        fetch_duration=Histogram(
            "cinealert_feed_fetch_seconds",
            "Time to fetch one feed or linked CAP document.",
            ["feed"],
            buckets=FETCH_BUCKETS_SECONDS,
            registry=registry,
        ),
        entries_seen=Counter(
            "cinealert_feed_entries_seen_total",
            "Alerts and links found in the feed (new or not).",
            ["feed"],
            registry=registry,
        ),
        alerts_produced=Counter(
            "cinealert_feed_alerts_produced_total",
            "New CAP alerts produced to the input topic.",
            ["feed"],
            registry=registry,
        ),
        alerts_refused=Counter(
            "cinealert_feed_alerts_refused_total",
            "Alerts sent to the dead-letter topic instead, by reason.",
            ["feed", "reason"],
            registry=registry,
        ),
        bytes_fetched=Counter(
            "cinealert_feed_bytes_total",
            "Bytes of feed and CAP documents fetched.",
            ["feed"],
            registry=registry,
        ),
        sent_to_produced=Histogram(
            "cinealert_feed_sent_to_produced_seconds",
            "From an alert's <sent> time to its message on the input topic.",
            ["feed"],
            buckets=LATENCY_BUCKETS_SECONDS,
            registry=registry,
        ),
        polls=Counter(
            "cinealert_feed_polls_total",
            "Poll cycles of the feed, by result (changed, unchanged, failed).",
            ["feed", "result"],
            registry=registry,
        ),
    )
