"""Liveness and readiness state for the HTTP probes.

Liveness: a heartbeat task stamps the time every ``interval_s``; if the stamp is older
than ``stale_after_s`` the event loop is starved or blocked, and ``/healthz`` says so.
Readiness: the daemon sets named checks (``broker_connected``, ``renderer_warm``, and
any it adds); ``/readyz`` is ready only when every one is true. It also reports input
offsets skipped because their bytes could not be had: skipping keeps the partition
moving, so it does not make the daemon unready, but an operator must see it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from daemon.runtime.metrics import Metrics

BROKER_CONNECTED = "broker_connected"
RENDERER_WARM = "renderer_warm"


@dataclass(frozen=True)
class Liveness:
    """Whether the loop is responsive, and how old the last heartbeat is."""

    alive: bool
    heartbeat_age_s: float


@dataclass(frozen=True)
class SkippedInput:
    """An input offset given up on: where, why, and when (Unix time)."""

    topic: str
    partition: int
    offset: int
    reason: str
    error: str
    at: float


@dataclass(frozen=True)
class Readiness:
    """Whether the daemon is ready, the value of every check, and input skips so far."""

    ready: bool
    checks: dict[str, bool]
    skipped_inputs: int = 0
    last_skipped: SkippedInput | None = None


class Health:
    """Heartbeat and readiness checks; optionally mirrored into the metrics gauges."""

    def __init__(
        self,
        *,
        interval_s: float = 1.0,
        stale_after_s: float = 10.0,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.monotonic,
        checks: tuple[str, ...] = (BROKER_CONNECTED, RENDERER_WARM),
    ) -> None:
        if interval_s <= 0 or stale_after_s <= interval_s:
            raise ValueError(
                f"need 0 < interval_s < stale_after_s, got {interval_s}, {stale_after_s}"
            )
        self.interval_s = interval_s
        self.stale_after_s = stale_after_s
        self._metrics = metrics
        self._clock = clock
        self._last_beat = clock()
        # Readiness waits for each of these (the ingester has its own: no renderer).
        self._checks: dict[str, bool] = dict.fromkeys(checks, False)
        self._heartbeat: asyncio.Task[None] | None = None
        self._skipped_inputs = 0
        self._last_skipped: SkippedInput | None = None
        self._publish_gauges()

    # readiness -------------------------------------------------------------

    def set_check(self, name: str, ok: bool) -> None:
        """Set a readiness check (creating it if new)."""
        self._checks[name] = ok
        self._publish_gauges()

    def set_broker_connected(self, ok: bool) -> None:
        """Record whether the Kafka clients can talk to the broker."""
        self.set_check(BROKER_CONNECTED, ok)

    def set_renderer_warm(self, ok: bool) -> None:
        """Record whether the renderer has its models loaded."""
        self.set_check(RENDERER_WARM, ok)

    def note_skipped_input(self, skipped: SkippedInput) -> None:
        """Count an input offset that was skipped; the last one is shown on ``/readyz``."""
        self._skipped_inputs += 1
        self._last_skipped = skipped

    def readiness(self) -> Readiness:
        """Ready only when every check is true."""
        checks = dict(self._checks)
        return Readiness(
            ready=all(checks.values()),
            checks=checks,
            skipped_inputs=self._skipped_inputs,
            last_skipped=self._last_skipped,
        )

    # liveness --------------------------------------------------------------

    def beat(self) -> None:
        """Stamp the heartbeat now."""
        self._last_beat = self._clock()

    def liveness(self) -> Liveness:
        """Alive while the last heartbeat is younger than ``stale_after_s``."""
        age = self._clock() - self._last_beat
        return Liveness(alive=age < self.stale_after_s, heartbeat_age_s=age)

    def start_heartbeat(self) -> None:
        """Start the heartbeat task on the running loop (idempotent)."""
        if self._heartbeat is None or self._heartbeat.done():
            self.beat()
            self._heartbeat = asyncio.get_running_loop().create_task(
                self._beat_forever(), name="cinealert-heartbeat"
            )

    async def stop_heartbeat(self) -> None:
        """Cancel the heartbeat task and wait for it to end."""
        task, self._heartbeat = self._heartbeat, None
        if task is not None:
            task.cancel()
            # wait() does not re-raise the task's CancelledError, only waits for it.
            await asyncio.wait([task])

    async def _beat_forever(self) -> None:
        while True:
            self.beat()
            await asyncio.sleep(self.interval_s)

    def _publish_gauges(self) -> None:
        if self._metrics is None:
            return
        self._metrics.broker_connected.set(1 if self._checks[BROKER_CONNECTED] else 0)
        self._metrics.renderer_ready.set(1 if self._checks[RENDERER_WARM] else 0)
