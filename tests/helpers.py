"""Small builders for test input files."""

from __future__ import annotations

import csv
from pathlib import Path


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def email_rows(n: int, start: int = 0, user_every: int = 1) -> list[list[object]]:
    """n valid EMAIL endpoints: Id, ChannelType, Address, User.UserId, Attributes.plan, Metrics.score."""
    return [
        [f"e{i}", "EMAIL", f"person{i}@example.com", f"u{i // user_every}", ("free", "pro")[i % 2], i % 7]
        for i in range(start, start + n)
    ]


EMAIL_HEADER = ["Id", "ChannelType", "Address", "User.UserId", "Attributes.plan", "Metrics.score"]
