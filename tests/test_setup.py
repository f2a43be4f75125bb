"""`make test` sets up what the browser tests need: Debian's chromium, installed when missing and running as root,
otherwise a stop with the one command to run. Exercised with stand-in `id` and `apt-get` commands first on PATH
(nothing is installed for real) and a browser name that is not on the machine."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MISSING = "no-such-browser-for-this-test"


def _stand_ins(tmp_path: Path, uid: int) -> tuple[dict[str, str], Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-get-calls"
    (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    return env, calls


def _make_browser(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    make = shutil.which("make")
    assert make
    return subprocess.run(
        [make, "-s", "-C", str(ROOT), "browser", f"CHROMIUM={MISSING}"],
        capture_output=True,
        text=True,
        env=env,
    )


@pytest.mark.skipif(shutil.which(MISSING) is not None, reason="the stand-in browser name exists")
def test_as_root_a_missing_browser_is_installed(tmp_path):
    env, calls = _stand_ins(tmp_path, uid=0)
    done = _make_browser(env)
    assert done.returncode == 0, done.stderr
    assert "installing Debian's chromium" in done.stdout
    assert calls.read_text().split() == ["install", "-y", "-qq", "chromium"]


def test_without_root_make_stops_with_the_command_to_run(tmp_path):
    env, calls = _stand_ins(tmp_path, uid=1000)
    done = _make_browser(env)
    assert done.returncode != 0
    assert "sudo apt-get install -y chromium" in done.stderr
    assert not calls.exists()  # nothing was attempted


def test_a_present_browser_needs_nothing(tmp_path):
    env, calls = _stand_ins(tmp_path, uid=1000)
    make = shutil.which("make")
    assert make
    done = subprocess.run(
        [make, "-s", "-C", str(ROOT), "browser", "CHROMIUM=sh"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0 and done.stdout == "" and not calls.exists()


def test_make_test_and_ci_go_through_the_browser_step():
    makefile = (ROOT / "Makefile").read_text()
    assert "test: $(STAMP) browser lint" in makefile
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")
