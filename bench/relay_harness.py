"""The daemon-agnostic half of `cinealert bench relay`: Kafka topics and load, the bare relay.

It owns everything that talks to the broker on the benchmark's own behalf and knows nothing
of the daemon (``bench.relay`` wires the daemon in): creating topics and loading alerts, the
bare aiokafka relay that is the baseline, the offered load of the latency phase, the
``Collector`` that reads an output topic, and ``measure``, which times any relay with them
(throughput, CPU per message, latencies) plus the arithmetic on what it saw.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

# Same long-poll bound as the daemon's consumer (daemon/kafka/consumer.py), so neither side
# of the comparison waits on the broker's default 500 ms fetch wait.
FETCH_MAX_WAIT_MS = 20


class RelayBenchError(RuntimeError):
    """The benchmark could not run as designed (a render happened, outputs missing...)."""


def cap_alert(identifier: str, sent: datetime) -> bytes:
    """A small CAP 1.2 flood warning (the cache-hit path's typical input)."""
    stamp = sent.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    expires = (sent + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
        f"<identifier>{identifier}</identifier><sender>bench@cinealert.example</sender>"
        f"<sent>{stamp}</sent><status>Actual</status><msgType>Alert</msgType>"
        "<scope>Public</scope><info><language>en-US</language><category>Met</category>"
        "<event>Flood Warning</event><urgency>Expected</urgency><severity>Severe</severity>"
        f"<certainty>Likely</certainty><expires>{expires}</expires>"
        "<headline>Flood Warning for Bench County</headline>"
        "<area><areaDesc>Bench County</areaDesc></area></info></alert>"
    ).encode()


async def create_topics(bootstrap: str, names: list[str], compacted: set[str]) -> None:
    """Create the run's topics (one partition each: one consumer per relay)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(
                    n, 1, 1, topic_configs={"cleanup.policy": "compact"} if n in compacted else {}
                )
                for n in names
            ]
        )
    finally:
        await admin.close()


async def produce(bootstrap: str, topic: str, items: list[tuple[bytes, bytes]]) -> None:
    """Produce (key, value) pairs and wait for every ack."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=v, key=k) for k, v in items]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def bare_relay(bootstrap: str, source: str, target: str, stop: asyncio.Event) -> None:
    """Consume ``source`` in a group, produce each message to ``target``, commit per batch."""
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=f"bench-bare-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    await consumer.start()
    await producer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            futures = [
                await producer.send(target, value=m.value, key=m.key)
                for messages in batches.values()
                for m in messages
            ]
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


class Collector:
    """Reads an output topic from the start and notes when each key arrived."""

    def __init__(self, bootstrap: str, topic: str, cpu_mark: int) -> None:
        self.arrivals: dict[bytes, float] = {}
        self.timestamps_ms: list[int] = []
        # (outputs seen, process CPU seconds) at the first output and at ``cpu_mark``.
        self._cpu_mark = cpu_mark
        self.cpu_samples: list[tuple[int, float]] = []
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=None,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        )

    async def run(self) -> None:
        """Collect forever (cancel to stop)."""
        await self._consumer.start()
        try:
            while True:
                batches = await self._consumer.getmany(timeout_ms=20)
                now = time.time()
                for messages in batches.values():
                    for message in messages:
                        if message.key is not None:
                            self.arrivals[message.key] = now
                        self.timestamps_ms.append(message.timestamp)
                self._sample_cpu()
        finally:
            await self._consumer.stop()

    def _sample_cpu(self) -> None:
        seen = len(self.timestamps_ms)
        if (not self.cpu_samples and seen > 0) or (
            len(self.cpu_samples) == 1 and seen >= self._cpu_mark
        ):
            self.cpu_samples.append((seen, time.process_time()))

    def cpu_us_per_message(self) -> float:
        """Process CPU µs per output between the first output and the ``cpu_mark``-th."""
        if len(self.cpu_samples) < 2 or self.cpu_samples[1][0] <= self.cpu_samples[0][0]:
            raise RelayBenchError(f"too few outputs to time the CPU: {self.cpu_samples}")
        (first_seen, first_cpu), (last_seen, last_cpu) = self.cpu_samples
        return (last_cpu - first_cpu) / (last_seen - first_seen) * 1e6

    async def wait_for(self, count: int, timeout_s: float) -> None:
        """Until ``count`` outputs arrived; raises RelayBenchError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while len(self.timestamps_ms) < count:
            if time.monotonic() > deadline:
                raise RelayBenchError(f"only {len(self.timestamps_ms)}/{count} outputs arrived")
            await asyncio.sleep(0.05)


async def offered_load(
    bootstrap: str, topic: str, rate: float, seconds: float, prefix: str
) -> dict[bytes, float]:
    """Produce alerts at ``rate`` per second for ``seconds``; returns key -> send time."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    sent: dict[bytes, float] = {}
    try:
        total = int(rate * seconds)
        start = time.monotonic()
        now = datetime.now(UTC)
        for index in range(total):
            due = start + index / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            key = f"{prefix}-{index}".encode()
            sent[key] = time.time()
            await producer.send(topic, value=cap_alert(key.decode(), now), key=key)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


def throughput(timestamps_ms: list[int], count: int) -> float:
    """Messages per second between the first and the last output of ``count``."""
    stamps = sorted(timestamps_ms[:count])
    span_s = (stamps[-1] - stamps[0]) / 1000
    if span_s <= 0:
        raise RelayBenchError(f"outputs span {span_s}s: too few messages to time")
    return (count - 1) / span_s


def latencies_ms(sent: dict[bytes, float], arrivals: dict[bytes, float]) -> list[float]:
    """Send-to-arrival times of every key sent; raises if one never arrived."""
    missing = [key for key in sent if key not in arrivals]
    if missing:
        raise RelayBenchError(f"{len(missing)} alerts had no output, e.g. {missing[0]!r}")
    return sorted((arrivals[key] - sent[key]) * 1000 for key in sent)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    index = min(len(values) - 1, max(0, round(share * len(values)) - 1))
    return values[index]


async def measure(
    bootstrap: str,
    source: str,
    target: str,
    relay: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
    *,
    args: argparse.Namespace,
    prefix: str,
) -> tuple[float, float, list[float]]:
    """Start ``relay``, time it draining the preloaded alerts, then under offered load.

    Returns the throughput, the CPU µs per message while draining, and the latencies.
    """
    collector = Collector(bootstrap, target, args.messages)
    stop = asyncio.Event()
    collecting = asyncio.create_task(collector.run())
    relaying = asyncio.create_task(relay(stop))
    try:
        await collector.wait_for(args.messages, 300)
        rate = throughput(collector.timestamps_ms, args.messages)
        cpu_us = collector.cpu_us_per_message()
        sent = await offered_load(bootstrap, source, args.rate, args.seconds, prefix)
        await collector.wait_for(args.messages + len(sent), 120)
    finally:
        stop.set()
        await asyncio.wait_for(relaying, 60)
        collecting.cancel()
        await asyncio.gather(collecting, return_exceptions=True)
    return rate, cpu_us, latencies_ms(sent, collector.arrivals)
