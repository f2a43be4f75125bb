"""``workbench tick``: everything that is due, once: campaign occurrences, local-time and quiet-time waves,
event-triggered sends for new events, journey steps.

Run it from cron or a papermill-scheduled notebook every minute::

    * * * * *  cd /path/to/project && /path/to/.venv/bin/workbench tick --json >> tick.log 2>&1

A tick is idempotent. Two ticks at the same ``now`` send nothing twice, also when they race in two processes:
a tick holds ``<project>/tick.lock`` (an flock, released by the kernel when its process dies, even by kill -9),
so a second tick waits for the first and then finds the occurrences planned and the messages sent; and under
the lock every message has a deterministic send key the ledger keeps once. ``now`` is injectable so that tests
and simulations move time forward.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import WorkbenchError

#: How long a tick waits for another tick of the same project before giving up (seconds).
TICK_LOCK_WAIT = 600.0


class TickBusyError(WorkbenchError):
    """Another tick of the same project has held the lock for longer than the wait."""


@contextlib.contextmanager
def tick_lock(project_dir: Path, *, wait: float = TICK_LOCK_WAIT) -> Iterator[None]:
    """Hold the project's tick lock (waiting up to ``wait`` seconds for another tick to finish)."""
    fd = os.open(project_dir / "tick.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TickBusyError(
                        f"another `workbench tick` of {project_dir} has run for more than {wait:.0f} s; "
                        "it will finish its work: try again later"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def tick(
    store: Any, *, now: datetime | str | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Run everything due at ``now`` (default: the clock) and return what ran:
    ``{"now", "campaigns": [...], "journeys": [...], "seconds"}``."""
    from .campaigns.run import _utc, tick_campaigns

    moment = _utc(now)  # the one reading of `now` campaign commands use too
    started = time.perf_counter()
    with tick_lock(Path(store.path)):
        campaigns = tick_campaigns(store, now=moment, environ=environ)
        journeys = tick_journeys(store, now=moment)
    return {
        "now": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "campaigns": campaigns,
        "journeys": journeys,
        "seconds": round(time.perf_counter() - started, 3),
    }


def tick_journeys(store: Any, *, now: datetime) -> list[dict[str, Any]]:
    """The journey half of a tick: one step of every ACTIVE journey (and the end of those whose time is up, or
    that were cancelled); DRAFT, PAUSED and COMPLETED journeys are left alone."""
    from .journeys.engine import tick_journey
    from .journeys.spec import list_journeys, load_journey

    done = []
    for entry in list_journeys(store):
        if entry.get("state") not in ("ACTIVE", "CANCELLED"):  # a cancelled journey's tick lets everyone out
            continue
        ran = tick_journey(store, load_journey(store, entry["id"]), now=now).to_dict()
        totals = ran.pop("journey")  # the journey-level counts; "journey" names the journey here
        done.append({"journey": entry["name"], "id": entry["id"], **ran, "totals": totals})
    return done
