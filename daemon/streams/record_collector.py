"""Reads terminal records from the output topic into a `ResultBoard` (demo and e2e tests).

It reads the topic from its start with no consumer group, so it sees records
published before it joined and never moves the daemon's committed offsets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType

from aiokafka import AIOKafkaConsumer

from daemon.kafka.client_config import client_kwargs
from daemon.runtime.settings import Settings
from daemon.streams.demo_results import RecordFormatError, ResultBoard, decode_record, progress_line

FETCH_TIMEOUT_MS = 500

# Receives one human-readable line per event (a record arrived, a message was odd).
Report = Callable[[str], None]


class RecordCollector:
    """An output-topic reader feeding one board; use as ``async with``."""

    def __init__(self, settings: Settings, board: ResultBoard, report: Report) -> None:
        self.board = board
        self._report = report
        self._consumer = AIOKafkaConsumer(
            settings.output_topic,
            **client_kwargs(settings),
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )

    async def __aenter__(self) -> RecordCollector:
        await self._consumer.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._consumer.stop()

    async def poll(self) -> None:
        """Take whatever records arrived within one short fetch."""
        total = len(self.board.expected.alerts)
        batches = await self._consumer.getmany(timeout_ms=FETCH_TIMEOUT_MS)
        for batch in batches.values():
            for message in batch:
                try:
                    record = decode_record(message.value)
                except RecordFormatError as error:
                    self._report(f"  ignoring an output message that is not a record: {error}")
                    continue
                if self.board.add(record):
                    self._report(progress_line(len(self.board.records), total, record))

    async def until_complete(self, timeout_s: float) -> bool:
        """Poll until every expected alert has a record; False after ``timeout_s``."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not self.board.complete:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await self.poll()
        return True
