"""Progress bars for long work: tqdm in terminals and notebooks, silent when not wanted."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any


class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass


@contextlib.contextmanager
def progress_bar(
    total: int | None, desc: str, unit: str = "it", enabled: bool | None = None
) -> Iterator[Any]:
    """A tqdm bar (notebook-aware) when ``enabled`` (default: stderr is a terminal, or inside Jupyter)."""
    if enabled is None:
        enabled = (sys.stderr.isatty() or "ipykernel" in sys.modules) and not os.environ.get(
            "WORKBENCH_NO_PROGRESS"
        )
    if not enabled:
        yield _NullBar()
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=desc, unit=unit, unit_scale=True, leave=False)
    try:
        yield bar
    finally:
        bar.close()
