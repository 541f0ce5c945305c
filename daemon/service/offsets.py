"""Per-partition commit tracking for out-of-order completions.

Messages of one partition arrive in offset order but finish in priority order. Kafka
commits a single position per partition ("everything before N is done"), so the
position may only advance past offset N once every message up to N is finished.
One message can carry several alerts (containers), so each message counts its open
parts and is finished when the count reaches zero.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from aiokafka.structs import TopicPartition


class OffsetTrackingError(ValueError):
    """A message was tracked twice, out of order, or finished when not open."""

    def __init__(self, partition: TopicPartition, offset: int, problem: str) -> None:
        super().__init__(f"{partition.topic}[{partition.partition}] offset {offset}: {problem}")
        self.partition = partition
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Ticket:
    """Handle on one tracked message; ``epoch`` tells apart a later re-assignment."""

    partition: TopicPartition
    offset: int
    epoch: int


@dataclass
class _PartitionState:
    # Offsets in arrival (= ascending) order that are not yet below the commit point.
    order: deque[int] = field(default_factory=deque)
    # Open parts per offset still in ``order``; 0 means finished.
    open_parts: dict[int, int] = field(default_factory=dict)
    last_seen: int = -1
    committed: int | None = None  # next offset to read, as last committed
    epoch: int = 0


class OffsetTracker:
    """Knows, per partition, the highest offset that is safe to commit."""

    def __init__(self) -> None:
        self._partitions: dict[TopicPartition, _PartitionState] = {}
        self._epochs = 0

    def begin(self, partition: TopicPartition, offset: int, parts: int = 1) -> Ticket:
        """Record that message ``offset`` arrived and needs ``parts`` finishes (0: done)."""
        if parts < 0:
            raise OffsetTrackingError(partition, offset, f"negative part count {parts}")
        state = self._partitions.get(partition)
        if state is None:
            self._epochs += 1
            state = self._partitions[partition] = _PartitionState(epoch=self._epochs)
        if offset <= state.last_seen:
            raise OffsetTrackingError(
                partition, offset, f"not after the last tracked offset {state.last_seen}"
            )
        state.last_seen = offset
        state.order.append(offset)
        state.open_parts[offset] = parts
        return Ticket(partition, offset, state.epoch)

    def add_parts(self, ticket: Ticket, parts: int) -> None:
        """Raise the open part count of a message still open (work found after parsing)."""
        state = self._require_open(ticket)
        if state is not None:
            state.open_parts[ticket.offset] += parts

    def finish(self, ticket: Ticket) -> bool:
        """Mark one part of the message as finished (its terminal record published).

        Returns False, changing nothing, when the partition was dropped (revoked) since
        the ticket was issued: the new owner re-reads that message anyway.
        """
        state = self._require_open(ticket)
        if state is None:
            return False
        if state.open_parts[ticket.offset] <= 0:
            raise OffsetTrackingError(
                ticket.partition, ticket.offset, "finished more times than it has parts"
            )
        state.open_parts[ticket.offset] -= 1
        return True

    def is_tracked(self, partition: TopicPartition) -> bool:
        """True while ``partition`` is known to the tracker (assigned and not dropped)."""
        return partition in self._partitions

    def _require_open(self, ticket: Ticket) -> _PartitionState | None:
        state = self._partitions.get(ticket.partition)
        if state is None or state.epoch != ticket.epoch:
            return None
        if ticket.offset not in state.open_parts:
            raise OffsetTrackingError(
                ticket.partition, ticket.offset, "is not an open tracked message"
            )
        return state

    def committable(self) -> dict[TopicPartition, int]:
        """Next offsets to commit, only for partitions whose safe point moved since last commit."""
        result: dict[TopicPartition, int] = {}
        for partition, state in self._partitions.items():
            while state.order and state.open_parts[state.order[0]] == 0:
                done = state.order.popleft()
                del state.open_parts[done]
            safe = state.order[0] if state.order else state.last_seen + 1
            if state.last_seen >= 0 and safe != state.committed:
                result[partition] = safe
        return result

    def mark_committed(self, offsets: dict[TopicPartition, int]) -> None:
        """Remember what the broker accepted, so ``committable`` only reports changes."""
        for partition, offset in offsets.items():
            state = self._partitions.get(partition)
            if state is not None:
                state.committed = offset

    def last_seen(self, partition: TopicPartition) -> int:
        """Highest offset tracked for ``partition``; -1 when none (or dropped)."""
        state = self._partitions.get(partition)
        return state.last_seen if state is not None else -1

    def committed_offsets(self) -> dict[TopicPartition, int]:
        """Last committed position per tracked partition (for the lag gauge)."""
        return {
            partition: state.committed
            for partition, state in self._partitions.items()
            if state.committed is not None
        }

    def pending(self, partition: TopicPartition) -> int:
        """How many messages of ``partition`` are tracked and not yet finished."""
        state = self._partitions.get(partition)
        if state is None:
            return 0
        return sum(1 for count in state.open_parts.values() if count > 0)

    def total_pending(self) -> int:
        """Unfinished messages over every partition."""
        return sum(self.pending(partition) for partition in self._partitions)

    def drop(self, partition: TopicPartition) -> None:
        """Forget a revoked partition: its unfinished messages go to the next owner."""
        self._partitions.pop(partition, None)

    def partitions(self) -> list[TopicPartition]:
        """Partitions currently tracked."""
        return list(self._partitions)
