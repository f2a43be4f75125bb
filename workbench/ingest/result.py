"""ImportResult: what an endpoint import did, for people (table, HTML) and scripts (``to_dict``)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImportResult:
    """Counts of one import. ``rows`` = records read; ``imported`` = new endpoints; ``updated`` = existing ones;
    ``deactivated`` = endpoints left INACTIVE because another one took their address (in this file or before)."""

    import_id: str
    rows: int = 0
    #: lines skipped because they hold no value (not counted in ``rows``)
    blank_lines: int = 0
    imported: int = 0
    updated: int = 0
    rejected: int = 0
    rejects_file: str | None = None
    deactivated: int = 0
    segment: str | None = None
    segment_version: int | None = None
    committed: bool = True
    skipped_files: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    new_attributes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: seconds spent reading + parsing, checking, and writing (one transaction)
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        return {
            "rows": self.rows,
            "imported": self.imported,
            "updated": self.updated,
            "rejected": self.rejected,
            "rejects_file": self.rejects_file,
            "import_id": self.import_id,
            "deactivated": self.deactivated,
            "segment": self.segment,
            "segment_version": self.segment_version,
            "committed": self.committed,
            "skipped_files": self.skipped_files,
            "ignored_columns": self.ignored_columns,
            "new_attributes": self.new_attributes,
            "files": self.files,
            "blank_lines": self.blank_lines,
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def _lines(self) -> list[tuple[str, str]]:
        lines = [
            ("rows read", f"{self.rows:,}"),
            ("new endpoints", f"{self.imported:,}"),
            ("updated endpoints", f"{self.updated:,}"),
            ("rejected rows", f"{self.rejected:,}"),
        ]
        if self.blank_lines:
            lines.append(("blank lines skipped", f"{self.blank_lines:,}"))
        if self.deactivated:
            lines.append(("made INACTIVE (address taken)", f"{self.deactivated:,}"))
        if self.rejects_file:
            lines.append(("rejects", self.rejects_file))
        if self.segment:
            lines.append(("segment", f"{self.segment} (version {self.segment_version})"))
        if self.new_attributes:
            lines.append(("new attribute columns", ", ".join(self.new_attributes)))
        if self.ignored_columns:
            lines.append(("ignored read-only columns", ", ".join(self.ignored_columns)))
        if self.skipped_files:
            lines.append(("already imported, skipped", ", ".join(self.skipped_files)))
        if not self.committed:
            why = (
                "every row was rejected" if self.rejected == self.rows else "--strict and rows were rejected"
            )
            lines.append(("committed", f"no: {why}; nothing was imported"))
        lines.append(("time", f"{self.seconds:.2f} s"))
        return lines

    def summary(self) -> str:
        """A plain-text table for terminals."""
        lines = self._lines()
        width = max(len(k) for k, _ in lines)
        return "\n".join(f"{k.ljust(width)}  {v}" for k, v in lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in self._lines()
        )
        return f"<table><caption>Import {html.escape(self.import_id)}</caption>{rows}</table>"
