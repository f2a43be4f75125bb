"""Errors the workbench raises, each saying what was wrong and where."""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class: every error the workbench raises on purpose."""


class ProjectError(WorkbenchError):
    """The project folder is missing, malformed or of an unknown schema version."""


class ProjectLockedError(ProjectError):
    """Another process holds the project's catalog for writing."""


class InputError(WorkbenchError):
    """Bad input: names the file, and where known the line and the field.

    ``str(err)`` reads ``FILE:LINE: field FIELD: REASON`` so that editors and terminals can jump to it.
    """

    def __init__(
        self, reason: str, *, file: str | None = None, line: int | None = None, field: str | None = None
    ):
        self.reason = reason
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.file:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        if self.field:
            where += f"field {self.field}: "
        return where + self.reason

    def to_dict(self) -> dict:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        return {"file": self.file, "line": self.line, "field": self.field, "reason": self.reason}


class UnknownNameError(WorkbenchError, KeyError):
    """A name (segment, KPI, dashboard, column...) that does not exist; the message lists close matches."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


def suggest(name: str, choices, n: int = 3) -> str:
    """Return ' (did you mean X, Y?)' for close matches of ``name`` among ``choices``, or ''."""
    import difflib

    choices = list(choices)
    close = difflib.get_close_matches(name, choices, n=n, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)]
    return f" (did you mean {', '.join(close)}?)" if close else ""


class EventTypeWarning(UserWarning):
    """A definition names an event type that never occurs in the event log (kept: the events may come later)."""


def unknown_event_type_message(event_type: str, known: list[str]) -> str | None:
    """A warning's text when ``event_type`` is not among ``known`` (the log's types): the close names first,
    then the types the log has; None when it is known."""
    if event_type in known:
        return None
    listed = (
        ", ".join(known[:20]) + (", ..." if len(known) > 20 else "") if known else "none: the log is empty"
    )
    return (
        f"no events of type {event_type!r} in the event log{suggest(event_type, known)}; "
        f"the log has: {listed}"
    )
