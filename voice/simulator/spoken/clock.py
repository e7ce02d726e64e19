"""An event loop on a virtual clock, for running live calls faster than real time.

Its ``time()`` moves only when :meth:`VirtualClockLoop.advance` is called, so every timer,
``asyncio.sleep`` and ``wait_for`` in the code under test follows the simulated stream's
time. Work handed to threads (``run_in_executor``, ``asyncio.to_thread``: Whisper, Piper,
the store, dialog decisions) takes no virtual time: ``advance`` first waits, in real time,
until all of it is done and the loop has nothing left to run. The result is that a call is
heard exactly as it would be with infinitely fast models, in a fraction of its real length,
and the same audio always gives the same turns. (Latency is measured by the benchmarks in
real time; this clock is for what the service hears and decides.)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
_IDLE_ROUNDS = 8  # loop iterations without thread work before the loop counts as idle


class VirtualClockLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        super().__init__()
        self._now = 0.0
        self._in_threads: set[asyncio.Future[Any]] = set()

    def time(self) -> float:
        return self._now

    def run_in_executor(  # type: ignore[override]
        self, executor: concurrent.futures.Executor | None, func: Callable[..., T], *args: Any
    ) -> asyncio.Future[T]:
        future = super().run_in_executor(executor, func, *args)
        self._in_threads.add(future)
        future.add_done_callback(self._in_threads.discard)
        return future

    async def settle(self) -> None:
        """Return once no thread work is pending and callbacks have stopped coming."""
        quiet = 0
        while quiet < _IDLE_ROUNDS:
            if self._in_threads:
                await asyncio.wait(set(self._in_threads))
                quiet = 0
                continue
            await asyncio.sleep(0)
            quiet += 1

    async def advance(self, seconds: float) -> None:
        """Let everything due settle, then move the clock ``seconds`` on."""
        await self.settle()
        self._now += seconds
        await asyncio.sleep(0)  # timers now due run in the next iteration


def run_virtual(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a fresh :class:`VirtualClockLoop`."""
    loop = VirtualClockLoop()
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(main)
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def virtual_loop() -> VirtualClockLoop:
    loop = asyncio.get_running_loop()
    if not isinstance(loop, VirtualClockLoop):
        raise RuntimeError("the spoken evaluation must run on a VirtualClockLoop (run_virtual)")
    return loop
