"""Work done beside Polars' parse without slowing it down.

The byte scan, the SHA-256 and the UTF-8 check of a big CSV file run while Polars parses it. Polars' own
threads should get the cores first (the parse is the import's longest step), so a helper thread at a lower
CPU priority works through these jobs piece by piece and takes the moments when a core would idle. Whoever
needs a job's result does what is left of it on its own thread, at its own priority: a busy machine can slow
the helper down but never leaves the import waiting for it. (Interleaved A/B on the 1M-endpoint import:
0.03–0.04 s faster than the same work at normal priority.)
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")

#: the helper threads' niceness (Linux, per thread): 10 gives Polars' threads about nine times their share
HELPER_NICENESS = 10


def _give_way() -> None:
    """Lower the calling thread's CPU priority. Only on Linux, where a thread id is a task id that
    ``setpriority`` takes (elsewhere the id would name a process, or nothing): a no-op there."""
    if not sys.platform.startswith("linux"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HELPER_NICENESS)
    except OSError:
        pass


class Pieces(Generic[T]):
    """``count`` pieces of work, ``do(i)`` each, taken in order of ``i``; a low-priority helper thread starts on
    them at once, and :meth:`results` does the rest on the calling thread.

    ``in_order``: a piece starts only once the one before it has finished (feeding a hash); otherwise two
    threads may run different pieces at the same time (their results are kept by index).
    """

    def __init__(self, count: int, do: Callable[[int], T], *, in_order: bool = False, name: str = "sidework"):
        self._count = count
        self._do = do
        self._results: list[T | None] = [None] * count
        self._next = 0  # pieces taken so far
        self._done = 0
        self._stopped = False
        self._error: BaseException | None = None
        self._taking = threading.Lock()
        self._in_order = threading.Lock() if in_order else None
        self._finished = threading.Condition()
        threading.Thread(target=self._help, name=name, daemon=True).start()

    def _help(self) -> None:
        _give_way()
        self._work()

    def _take(self) -> int | None:
        with self._taking:
            if self._stopped or self._next >= self._count:
                return None
            self._next += 1
            return self._next - 1

    def _work(self) -> None:
        while True:
            if self._in_order is None:
                index = self._take()
                if index is None:
                    return
                self._run(index)
                continue
            with self._in_order:  # taken and done under one lock: the pieces run one after the other
                index = self._take()
                if index is None:
                    return
                self._run(index)

    def _run(self, index: int) -> None:
        try:
            self._results[index] = self._do(index)
        except BaseException as err:  # handed to the caller of results()
            with self._taking:
                self._stopped = True  # no more pieces
            self._error = self._error or err
        finally:
            with self._finished:
                self._done += 1
                self._finished.notify_all()

    def results(self) -> list[T]:
        """Every piece's result, in order; the calling thread works on the pieces not taken yet, then waits for
        the ones under way."""
        self._work()
        with self._finished:
            self._finished.wait_for(lambda: self._done >= self._next)
        if self._error is not None:
            raise self._error
        return self._results  # type: ignore[return-value]


def in_two_halves(rows: int, do: Callable[[int, int], T], *, name: str = "second-half") -> tuple[T, T]:
    """``do(0, half)`` on the calling thread and ``do(half, rows)`` in a thread beside it, at the same
    priority: for a single-threaded step on the critical path (Polars and numpy release the GIL)."""
    half = rows // 2
    with ThreadPoolExecutor(1, thread_name_prefix=name) as pool:
        second = pool.submit(do, half, rows)
        return do(0, half), second.result()
