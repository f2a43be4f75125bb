"""Fuzz: random CSV bytes and headers through ``workbench import`` (the CLI, in-process).

Whatever the file holds, the command answers with exit 0 and one JSON object, or exit 1 and ``error:`` on
stderr: never a traceback, never a hang; the project still opens and counts afterwards, with at most one
ACTIVE endpoint per channel and address.

``make test`` runs a few dozen examples of each; ``HYPOTHESIS_PROFILE=fuzz`` runs thousands
(``HYPOTHESIS_PROFILE=fuzz .venv/bin/pytest tests/test_import_fuzz.py``).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import Project
from workbench.cli import main

FUZZ = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
EXAMPLES = 2000 if FUZZ else 60
#: one import of a few hundred bytes takes well under a second; this long means it hangs
HANG_SECONDS = 60

COLUMNS = [
    "Id",
    "ChannelType",
    "Address",
    "EndpointStatus",
    "OptOut",
    "EffectiveDate",
    "User.UserId",
    "Location.Country",
    "Location.Latitude",
    "Attributes.plan",
    "Attributes.plan",
    "User.UserAttributes.tier",
    "Metrics.score",
    "CohortId",
]
#: pieces of cells and of the file's structure: separators, quotes, every line ending, bad bytes, formulas
PIECES = [
    b",",
    b",",
    b'"',
    b'""',
    b"\n",
    b"\r\n",
    b"\r",
    b" ",
    b"\t",
    b";",
    b"a",
    b"EMAIL",
    b"SMS",
    b"GCM",
    b"email",
    b"x@example.com",
    b"y@example.com",
    b"+12065550100",
    b"(206) 555-0101",
    b"ACTIVE",
    b"INACTIVE",
    b"ALL",
    b"2026-01-01T00:00:00Z",
    b"9999-12-31",
    b"1e308",
    b"NaN",
    b"-91",
    b"'=1+2",
    b"\xff",
    b"\x00",
    b"\xe9",
    "é日本".encode(),
    b"\xef\xbb\xbf",
    b"\x1b[31m",
    b"u1",
    b"US",
]


@pytest.fixture(scope="module")
def empty_project(tmp_path_factory) -> Path:
    """An empty project, copied for each example (copying is three times faster than creating one)."""
    path = tmp_path_factory.mktemp("fuzz") / "template"
    Project.create(path)
    return path


@contextlib.contextmanager
def no_hang(seconds: int = HANG_SECONDS):
    def stop(signum, frame):
        raise TimeoutError(f"the import ran for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), no_hang():
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def import_and_check(template: Path, data: bytes, suffix: str, options: list[str]) -> None:
    """Import ``data`` (a file ending in ``suffix``) into a copy of ``template``; check the answer and the
    project afterwards."""
    root = Path(tempfile.mkdtemp(prefix="wb-fuzz-"))
    try:
        project = root / "project"
        shutil.copytree(template, project)
        src = root / f"in{suffix}"
        src.write_bytes(gzip.compress(data, mtime=0) if suffix.endswith(".gz") else data)
        code, out, err = run(["import", str(src), "--project", str(project), "--json", *options])
        assert "Traceback" not in err
        if code == 0:
            result = json.loads(out)
            assert result["rows"] >= result["imported"] + result["updated"]
            assert result["blank_lines"] >= 0
        else:
            assert code == 1, (code, err)
            assert err.startswith("error: "), err
            assert all(ch == "\n" or ch >= " " for ch in err), f"unescaped control character in {err!r}"
        # the project still opens and counts, and no address has two ACTIVE endpoints
        code, out, err = run(["endpoints", "count", "--project", str(project), "--json"])
        assert code == 0, err
        doubled = Project.open(project).query(
            "SELECT ChannelType, Address, count(*) AS n FROM endpoints WHERE EndpointStatus = 'ACTIVE' "
            "GROUP BY ALL HAVING n > 1"
        )
        assert doubled.height == 0, doubled
    finally:
        shutil.rmtree(root, ignore_errors=True)


HEADERS = st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=6).map(lambda c: ",".join(c).encode())
BODIES = st.lists(st.sampled_from(PIECES), max_size=60).map(b"".join)
LINE_ENDS = st.sampled_from([b"\n", b"\r\n", b"\r"])
SUFFIXES = st.sampled_from([".csv", ".csv", ".csv", ".txt", ".csv.gz"])
OPTIONS = st.lists(
    st.sampled_from(["--strict", "--segment=fuzz", "--segment=", "--segment= "]), max_size=2, unique=True
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=HEADERS, end=LINE_ENDS, body=BODIES, suffix=SUFFIXES, options=OPTIONS)
def test_random_csv_bodies_never_crash_the_import(empty_project, header, end, body, suffix, options):
    import_and_check(empty_project, header + end + body, suffix, options)


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.lists(st.text(max_size=12), min_size=1, max_size=5).map(lambda h: ",".join(h).encode()),
    body=st.binary(max_size=200),
    suffix=SUFFIXES,
)
def test_random_headers_and_bytes_never_crash_the_import(empty_project, header, body, suffix):
    import_and_check(empty_project, header + b"\n" + body, suffix, [])
