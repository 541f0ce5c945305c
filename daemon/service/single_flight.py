"""Single flight: concurrent requests for one key share one execution.

The first caller for a key (the leader) runs the work; callers arriving while it
runs await the same future and get the same result or the same exception. Once the
work ends, the key is free again, so a later call runs afresh (by then the hazard
cache answers instead).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class FlightOutcome(Generic[ResultT]):
    """The shared result, and whether this caller was the one that ran the work."""

    value: ResultT
    leader: bool


class SingleFlight(Generic[ResultT]):
    """Deduplicates concurrent work by key."""

    def __init__(self) -> None:
        self._flights: dict[str, asyncio.Future[ResultT]] = {}

    def in_flight(self, key: str) -> bool:
        """True while work for ``key`` is running."""
        return key in self._flights

    async def run(self, key: str, work: Callable[[], Awaitable[ResultT]]) -> FlightOutcome[ResultT]:
        """Run ``work`` for ``key`` unless it is already running; then share its outcome."""
        existing = self._flights.get(key)
        if existing is not None:
            # shield: a follower being cancelled must not cancel the leader's work.
            return FlightOutcome(await asyncio.shield(existing), leader=False)
        future: asyncio.Future[ResultT] = asyncio.get_running_loop().create_future()
        self._flights[key] = future
        try:
            value = await work()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as error:
            future.set_exception(error)
            # The leader re-raises; followers see it through the future. Mark it
            # retrieved so asyncio does not warn when there were no followers.
            future.exception()
            raise
        else:
            future.set_result(value)
            return FlightOutcome(value, leader=True)
        finally:
            del self._flights[key]
