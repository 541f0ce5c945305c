"""Runs renders in worker threads, one renderer per thread, each under a deadline.

Rendering blocks for seconds to minutes; doing it off the event loop keeps Kafka
heartbeats, cache hits and HTTP probes responsive. Threads are daemon threads
created per render, not a ThreadPoolExecutor: Python joins executor threads at
exit, so a render abandoned at shutdown would otherwise hold the process hostage.
A render past its deadline is reported as failed at once, but its renderer stays
busy until the thread really returns (a thread cannot be killed), so a slow GPU is
never given two jobs at a time.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from pipeline.interface import Renderer, RenderError, RenderRequest, RenderResult

REASON_DEADLINE = "deadline-exceeded"
REASON_RENDERER_CRASH = "renderer-exception"


class RenderWorkers:
    """A pool of renderers; ``render`` waits for a free one and runs the request on it."""

    def __init__(self, renderers: Sequence[Renderer], deadline_s: float) -> None:
        if not renderers:
            raise ValueError("RenderWorkers needs at least one renderer, got none")
        if deadline_s <= 0:
            raise ValueError(f"deadline_s must be > 0, got {deadline_s!r}")
        self._renderers = list(renderers)
        self._deadline_s = deadline_s
        self._idle: asyncio.Queue[Renderer] = asyncio.Queue()
        for renderer in self._renderers:
            self._idle.put_nowait(renderer)
        self._busy_threads: set[threading.Thread] = set()

    @property
    def size(self) -> int:
        """Number of renderers (concurrent renders possible)."""
        return len(self._renderers)

    @property
    def profile(self) -> str:
        """The model profile of the renderers (they share one)."""
        return self._renderers[0].profile

    def idle_count(self) -> int:
        """Renderers free right now."""
        return self._idle.qsize()

    def busy_count(self) -> int:
        """Renderer threads still running (including ones past their deadline)."""
        return len(self._busy_threads)

    async def warm_up(self) -> None:
        """Warm every renderer, each in its own thread, concurrently."""
        # No deadline: a cold start of full models can take minutes.
        await asyncio.gather(*(asyncio.to_thread(r.warm_up) for r in self._renderers))

    async def render(self, request: RenderRequest) -> RenderResult:
        """Render on the next free renderer; raises `RenderError` on failure or deadline."""
        renderer = await self._idle.get()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[RenderResult] = loop.create_future()

        def hand_back(_: asyncio.Future[RenderResult]) -> None:
            self._idle.put_nowait(renderer)

        future.add_done_callback(hand_back)
        self._start_thread(loop, future, renderer, request)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self._deadline_s)
        except TimeoutError as error:
            raise RenderError(
                REASON_DEADLINE, f"{request.hazard} not rendered within {self._deadline_s}s"
            ) from error

    async def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no render thread runs, up to ``timeout_s``; True when all finished."""
        async with asyncio.timeout(timeout_s):
            while self._busy_threads:
                await asyncio.sleep(0.05)
            return True

    def _start_thread(
        self,
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[RenderResult],
        renderer: Renderer,
        request: RenderRequest,
    ) -> None:
        def settle_result(result: RenderResult) -> None:
            if not future.done():
                future.set_result(result)

        def settle_error(error: BaseException) -> None:
            if not future.done():
                future.set_exception(error)

        def work() -> None:
            try:
                result = renderer.render(request)
            except RenderError as error:
                loop.call_soon_threadsafe(settle_error, error)
            except Exception as error:
                # Any other exception from a renderer is a failed render with a reason,
                # never a dead worker: the next alert must still be served.
                wrapped = RenderError(REASON_RENDERER_CRASH, f"{type(error).__name__}: {error}")
                loop.call_soon_threadsafe(settle_error, wrapped)
            else:
                loop.call_soon_threadsafe(settle_result, result)
            finally:
                self._busy_threads.discard(thread)

        thread = threading.Thread(target=work, name=f"render-{request.hazard}", daemon=True)
        self._busy_threads.add(thread)
        thread.start()
