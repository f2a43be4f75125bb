"""Temporary files and their owners: telling a killed writer's leftovers from work in progress.

A writer that may be killed (an event import, an append to the event log) puts its owner tag, this machine and
its process id (``h<host>p<pid>``), in the name of every temporary file it makes. A later import or
``workbench doctor --fix`` removes a tagged file as soon as its owner is gone; a file without a tag (written by
other code, or by an older version) only once it is older than a grace period, since its writer may still run.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import time
from pathlib import Path

#: untagged temporary files younger than this may belong to a running command and are left alone
GRACE_SECONDS = 600
_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]
_OWNER = re.compile(r"h([0-9a-f]{6})p([0-9]+)")


def owner_tag() -> str:
    """This process's tag for the names of its temporary files: ``h<host hash>p<pid>``."""
    return f"h{_HOST}p{os.getpid()}"


def owner_alive(name: str) -> bool | None:
    """Whether the process named by the tag in ``name`` still runs; None when the name carries no tag.

    A tag from another machine (a shared folder) counts as alive: this machine cannot tell.
    """
    match = _OWNER.search(name)
    if match is None:
        return None
    host, pid = match.group(1), int(match.group(2))
    if host != _HOST or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process (or a number the OS refuses): assume it runs
    return True


def is_leftover(path: Path, grace_seconds: float = GRACE_SECONDS) -> bool:
    """True when ``path`` is a temporary file nobody will finish: its owner is gone, or (untagged) it is old."""
    alive = owner_alive(path.name)
    if alive is not None:
        return not alive
    try:
        return time.time() - path.stat().st_mtime > grace_seconds
    except OSError:
        return False


def remove(paths: list[Path]) -> list[Path]:
    """Delete ``paths`` (files or empty folders); returns those actually removed (others vanished or stay)."""
    removed = []
    for path in paths:
        try:
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()
            removed.append(path)
        except FileNotFoundError:
            continue
        except OSError:
            continue
    return removed
