"""Every Prometheus metric the daemon exports, in one place.

Names follow Prometheus conventions (``_total`` counters, ``_seconds`` units, base
units only). No label carries a per-alert value: label sets stay small and bounded.
Dashboards and alerting rules under deploy/ refer to these names; tests check that.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Renders take seconds (tiny/CPU, cache) to minutes (full models under load).
RENDER_BUCKETS_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600)
# Cache hits and relay work are milliseconds.
FAST_BUCKETS_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
END_TO_END_BUCKETS_SECONDS = (0.01, 0.05, 0.1, 0.5, *RENDER_BUCKETS_SECONDS[4:])


@dataclass(frozen=True)
class Metrics:
    """The daemon's metrics, bound to one registry (tests make a fresh one each)."""

    registry: CollectorRegistry
    alerts_consumed: Counter
    alerts_rejected: Counter
    dlq_published: Counter
    queue_depth: Gauge
    renders_in_flight: Gauge
    cache_hits: Counter
    cache_misses: Counter
    records_published: Counter
    stage_duration: Histogram
    alert_to_record: Histogram
    consumer_lag: Gauge
    last_successful_render: Gauge
    broker_connected: Gauge
    renderer_ready: Gauge
    duplicates: Counter
    input_skipped: Counter
    input_offset_resets: Counter
    repeats_suppressed: Counter
    card_fallbacks: Counter


def create_metrics(registry: CollectorRegistry | None = None) -> Metrics:
    """Create the metric set on ``registry`` (a new one when None)."""
    reg = registry if registry is not None else CollectorRegistry()
    return Metrics(
        registry=reg,
        alerts_consumed=Counter(
            "cinealert_messages_consumed_total",
            "Messages read from the input topic.",
            registry=reg,
        ),
        alerts_rejected=Counter(
            "cinealert_messages_rejected_total",
            "Inputs or container items refused by the CAP parser, by error code.",
            ["code"],
            registry=reg,
        ),
        dlq_published=Counter(
            "cinealert_dlq_messages_total",
            "Messages sent to the dead-letter topic.",
            registry=reg,
        ),
        queue_depth=Gauge(
            "cinealert_queue_depth",
            "Render requests waiting in the priority queue, by priority band.",
            ["band"],
            registry=reg,
        ),
        renders_in_flight=Gauge(
            "cinealert_renders_in_flight",
            "Renders running now.",
            registry=reg,
        ),
        cache_hits=Counter(
            "cinealert_cache_hits_total",
            "Alerts answered from the per-hazard cache.",
            registry=reg,
        ),
        cache_misses=Counter(
            "cinealert_cache_misses_total",
            "Alerts whose hazard had no usable cache entry.",
            registry=reg,
        ),
        records_published=Counter(
            "cinealert_records_total",
            "Terminal records published to the output topic, by status.",
            ["status"],
            registry=reg,
        ),
        stage_duration=Histogram(
            "cinealert_stage_duration_seconds",
            "Time spent per pipeline or daemon stage.",
            ["stage"],
            buckets=RENDER_BUCKETS_SECONDS,
            registry=reg,
        ),
        alert_to_record=Histogram(
            "cinealert_alert_to_record_seconds",
            "From consuming an alert to publishing its terminal record.",
            ["status"],
            buckets=END_TO_END_BUCKETS_SECONDS,
            registry=reg,
        ),
        consumer_lag=Gauge(
            "cinealert_consumer_lag_messages",
            "High watermark minus committed offset, per input partition.",
            ["topic", "partition"],
            registry=reg,
        ),
        last_successful_render=Gauge(
            "cinealert_last_successful_render_timestamp_seconds",
            "Unix time of the last render that produced media.",
            registry=reg,
        ),
        broker_connected=Gauge(
            "cinealert_broker_connected",
            "1 while the consumer and producer are connected to the broker.",
            registry=reg,
        ),
        renderer_ready=Gauge(
            "cinealert_renderer_ready",
            "1 once the renderer is warm.",
            registry=reg,
        ),
        duplicates=Counter(
            "cinealert_duplicate_alerts_total",
            "Alerts recognised as already handled (same sender, identifier, sent); no record.",
            registry=reg,
        ),
        input_skipped=Counter(
            "cinealert_input_records_skipped_total",
            "Input offsets skipped without a record or a dead letter, because their bytes could"
            " not be had (undecodable or corrupt batch, record larger than the fetch size).",
            ["topic", "partition", "reason"],
            registry=reg,
        ),
        card_fallbacks=Counter(
            "cinealert_card_fallbacks_total",
            "Renders that failed or passed their deadline and were answered with an alert card"
            " instead (card_policy fallback/first); their records say rendered, kind card.",
            ["reason"],
            registry=reg,
        ),
        repeats_suppressed=Counter(
            "cinealert_repeats_suppressed_total",
            "Re-read alerts (after a crash or a rebalance) whose terminal record was already"
            " on the output topic: finished without a second record.",
            registry=reg,
        ),
        input_offset_resets=Counter(
            "cinealert_input_offset_resets_total",
            "Input partitions whose position fell outside the log (retention, a recreated"
            " topic) and was reset by the offset reset policy.",
            ["topic", "partition", "policy"],
            registry=reg,
        ),
    )
