"""Helper-thread work beside the parse (workbench/importing/sidework.py): every piece done once, in order where
asked, errors handed over, and the thread that needs the result finishing what the helper has not taken."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from workbench.ingest.sidework import Pieces


def test_every_piece_is_done_once_and_results_keep_their_order():
    calls: list[int] = []
    pieces = Pieces(200, lambda i: calls.append(i) or i * i)
    assert pieces.results() == [i * i for i in range(200)]
    assert sorted(calls) == list(range(200))


def test_in_order_pieces_run_one_after_the_other():
    seen: list[int] = []
    Pieces(300, seen.append, in_order=True).results()
    assert seen == list(range(300))


def test_an_error_in_a_piece_reaches_the_caller():
    def piece(i: int) -> int:
        if i == 5:
            raise ValueError("piece 5")
        return i

    with pytest.raises(ValueError, match="piece 5"):
        Pieces(50, piece).results()


def test_the_caller_does_what_the_helper_has_not_taken():
    # the helper takes piece 0 and is held there: the caller does every other piece itself, then waits for 0
    release = threading.Event()
    threads: dict[int, str] = {}

    def piece(i: int) -> int:
        threads[i] = threading.current_thread().name
        if i == 0:
            release.wait(10)
        return i

    pieces = Pieces(20, piece, name="helper")
    while 0 not in threads:  # the helper has taken piece 0
        threading.Event().wait(0.001)
    timer = threading.Timer(0.2, release.set)
    timer.start()
    assert pieces.results() == list(range(20))
    assert threads[0] == "helper"
    assert all(threads[i] == threading.current_thread().name for i in range(1, 20))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority is a Linux feature")
def test_the_helper_gives_way_and_the_caller_keeps_its_priority():
    from workbench.ingest.sidework import HELPER_NICENESS

    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: dict[str, int] = {}
    started = threading.Event()

    def piece(i: int) -> None:
        seen[threading.current_thread().name] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        started.set()
        threading.Event().wait(0.05)

    pieces = Pieces(8, piece, name="helper")
    started.wait(5)
    pieces.results()
    assert seen["helper"] >= max(mine, HELPER_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine
