"""Recognises alerts already handled: same (sender, identifier, sent), CAP's message identity.

The memory is bounded (least recently seen keys are forgotten first) and per process:
after a restart, redelivered messages that were not committed are processed again,
which is the at-least-once contract (the record key lets readers de-duplicate).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

AlertKey = tuple[str, str, datetime]


class SeenAlerts:
    """A bounded set of alert keys, most recently seen last."""

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity!r}")
        self._capacity = capacity
        self._keys: OrderedDict[AlertKey, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._keys)

    def first_time(self, key: AlertKey) -> bool:
        """Remember ``key``; True if it was not seen before, False for a duplicate."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        if len(self._keys) > self._capacity:
            self._keys.popitem(last=False)
        return True

    def forget(self, key: AlertKey) -> None:
        """Drop ``key`` (its work was handed back on a rebalance and may come again)."""
        self._keys.pop(key, None)
