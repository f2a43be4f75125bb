"""What a new analyst meets first: `init` where it cannot make a project, and spreadsheet-saved CSV files (empty
rows above the header, empty columns after the last one)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from workbench import Project
from workbench.cli import main
from workbench.errors import ProjectError

SAMPLE = "data/sample/endpoints.csv"


def test_init_on_a_file_or_under_one_says_so(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("")
    with pytest.raises(ProjectError, match="is a file, not a folder"):
        Project.create(afile)
    assert main(["init", str(afile)]) == 1
    assert main(["init", str(afile / "p")]) == 1
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "cannot create the project folder" in err
    assert "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_init_in_a_folder_without_write_permission_says_so(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["init", str(locked / "p")]) == 1
    finally:
        locked.chmod(0o700)
    assert "cannot create the project folder" in capsys.readouterr().err


def test_comma_only_rows_above_the_header_are_blank_lines(tmp_path, capsys):
    project = Project.create(tmp_path / "p")
    path = tmp_path / "excel.csv"
    path.write_text(",,,\n , ,\n\nId,ChannelType,Address\nx1,EMAIL,x1@example.com\n", encoding="utf-8")
    result = project.endpoints.import_files(path, progress=False)
    assert (result.imported, result.rejected, result.blank_lines) == (1, 0, 3)
    assert main(["import", str(path), "--project", str(tmp_path / "p"), "--json"]) == 0
    capsys.readouterr()


def test_empty_columns_after_the_last_one_name_nothing(tmp_path):
    project = Project.create(tmp_path / "p")
    path = tmp_path / "trailing.csv"
    path.write_text(
        "Id,ChannelType,Address,,\nx2,EMAIL,x2@example.com,,\nx3,EMAIL,x3@example.com,,oops\n",
        encoding="utf-8",
    )
    result = project.endpoints.import_files(path, progress=False)
    assert (result.rows, result.imported, result.rejected) == (2, 1, 1)
    with open(result.rejects_file, encoding="utf-8") as fh:
        assert fh.read().splitlines()[1] == f"{path},3,,has more fields than the header's 3"
    # an empty header cell between named columns is still refused: it would leave a column without a name
    middle = tmp_path / "middle.csv"
    middle.write_text("Id,,Address\nx4,EMAIL,x4@example.com\n", encoding="utf-8")
    with pytest.raises(Exception, match="column 2 of the header is empty"):
        project.endpoints.import_files(middle, progress=False)


def test_a_user_id_file_saved_with_a_trailing_comma_is_still_one(tmp_path):
    project = Project.create(tmp_path / "p")
    project.endpoints.import_files("data/sample/endpoints.csv", progress=False)
    users = tmp_path / "users.csv"
    uid = project.query('SELECT "User.UserId" FROM endpoints WHERE "User.UserId" IS NOT NULL LIMIT 1').item()
    users.write_text(f"User.UserId,\n{uid}\n", encoding="utf-8")
    result = project.endpoints.import_files(users, segment="vip", progress=False)
    assert result.segment == "vip" and json.loads(json.dumps(result.to_dict()))["rejected"] == 0


def _as_unprivileged(argv: list[str]) -> list[str]:
    """``argv`` run without the capabilities that let root write anywhere (so file permissions apply)."""
    if os.geteuid() != 0:
        return argv
    if not shutil.which("setpriv"):
        pytest.skip("needs setpriv to drop root's capabilities")
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--", *argv]


def test_a_read_only_project_can_still_be_read(tmp_path):
    project = Project.create(tmp_path / "p")
    project.endpoints.import_files(SAMPLE, progress=False)
    paths = [tmp_path / "p", *(tmp_path / "p").rglob("*")]
    for path in paths:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        for command in (["endpoints", "count"], ["segment", "list"], ["doctor"]):
            done = subprocess.run(
                _as_unprivileged(
                    [sys.executable, "-m", "workbench.cli", *command, "--project", str(project.path)]
                ),
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 0, done.stderr
        assert (
            "276 endpoints"
            in subprocess.run(
                _as_unprivileged(
                    [
                        sys.executable,
                        "-m",
                        "workbench.cli",
                        "endpoints",
                        "count",
                        "--project",
                        str(project.path),
                    ]
                ),
                capture_output=True,
                text=True,
                check=False,
            ).stdout
        )
    finally:
        for path in paths:
            path.chmod(path.stat().st_mode | 0o200)


def test_a_damaged_project_is_an_error_that_points_at_doctor(tmp_path, capsys):
    project = Project.create(tmp_path / "p")
    project.endpoints.import_files(SAMPLE, progress=False)
    for part in (tmp_path / "p" / "endpoints").glob("*.parquet"):
        part.unlink()  # removed by hand
    assert main(["endpoints", "count", "--project", str(project.path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the project's data could not be read: IO Error: No files found")
    assert "workbench doctor" in err and "Traceback" not in err


def test_a_country_that_is_no_iso_code_is_named_in_the_phone_reject(tmp_path):
    project = Project.create(tmp_path / "p")
    path = tmp_path / "aus.csv"
    path.write_text(
        "Id,ChannelType,Address,Location.Country\nj1,SMS,0412 345 678,AUS\nj2,SMS,0412 345 679,AU\n",
        encoding="utf-8",
    )
    result = project.endpoints.import_files(path, progress=False)
    assert (result.imported, result.rejected) == (1, 1)
    with open(result.rejects_file, encoding="utf-8") as fh:
        reason = fh.read().splitlines()[1]
    assert "'AUS' (Location.Country, else import.default_region) is not an ISO 3166-1 alpha-2" in reason


def test_project_given_before_the_command_works_too(tmp_path, capsys):
    project = Project.create(tmp_path / "p")
    project.endpoints.import_files(SAMPLE, progress=False)
    assert main(["--project", str(project.path), "endpoints", "count", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["endpoints"] == 276
    assert main([f"--project={project.path}", "segment", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"segments": []}
