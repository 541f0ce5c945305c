"""Play recorded messages into a topic with their recorded timing (``cinealert replay``)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer

from daemon.streams.format import StreamMessage

# Callback after each produced message: (messages done, total).
Progress = Callable[[int, int], None]


def check_speed(speed: float) -> float:
    """Validate a replay speed; 0 and infinity both mean "as fast as possible"."""
    if math.isnan(speed) or speed < 0:
        raise ValueError(f"speed must be >= 0 (0 or inf = as fast as possible), got {speed}")
    return speed


async def play(
    messages: Sequence[StreamMessage],
    topic: str,
    producer_options: dict[str, Any],
    *,
    speed: float = 1.0,
    progress: Progress | None = None,
) -> int:
    """Produce ``messages`` to ``topic``, message i at ``t_i / speed`` after the start.

    Waits for every acknowledgement before returning the number produced; a failed
    send raises (nothing is dropped quietly).
    """
    check_speed(speed)
    as_fast_as_possible = speed == 0 or math.isinf(speed)
    loop = asyncio.get_running_loop()
    producer = AIOKafkaProducer(**producer_options)
    await producer.start()
    try:
        started = loop.time()
        pending: list[asyncio.Future[Any]] = []
        for done, message in enumerate(messages, start=1):
            if not as_fast_as_possible:
                delay = started + message.t / speed - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            pending.append(
                await producer.send(
                    topic, value=message.value, key=message.key, headers=list(message.headers)
                )
            )
            if progress is not None:
                progress(done, len(messages))
        await producer.flush()
        for acknowledgement in pending:
            await acknowledgement  # raises the send's error, if any
    finally:
        await producer.stop()
    return len(messages)
