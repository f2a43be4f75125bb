"""Project store: folder layout, settings, schema version, short-lived connections and the lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from workbench import Project, ProjectError, ProjectLockedError
from workbench.store.migrations import SCHEMA_VERSION


def test_create_lays_out_the_folder(tmp_path):
    project = Project.create(tmp_path / "acme")
    for name in ("workbench.toml", "catalog.duckdb", "events", "outbox", "imports"):
        assert (project.path / name).exists(), name
    assert project.setting("channels.email.adapter") == "outbox"
    assert project.setting("project.name") == "acme"
    assert project.query("SELECT value FROM meta WHERE key = 'schema_version'").item() == str(SCHEMA_VERSION)
    assert project.endpoints.count().to_dict() == {"endpoints": 0, "active": 0, "users": 0}


def test_create_refuses_an_existing_project(tmp_path):
    Project.create(tmp_path / "p")
    with pytest.raises(ProjectError, match="already holds"):
        Project.create(tmp_path / "p")
    assert Project.create(tmp_path / "p", exist_ok=True).path == (tmp_path / "p").resolve()


def test_open_a_folder_that_is_not_a_project(tmp_path):
    with pytest.raises(ProjectError, match="not a workbench project"):
        Project.open(tmp_path)


def test_migrate_builds_every_table_in_one_step(tmp_path):
    from workbench.store.migrations import migrate

    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    assert migrate(con) == 0  # found version 0, an empty file
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"endpoint_parts", "meta", "imports", "attribute_names", "segments", "segment_versions"} <= tables
    assert "endpoints" not in tables  # endpoints are Parquet parts read through a view since version 2
    assert migrate(con) == SCHEMA_VERSION  # a second run changes nothing
    con.close()


def test_a_version_1_catalog_keeps_its_endpoints_when_migrated(tmp_path):
    """Version 1 kept endpoints in a DuckDB table; opening such a project moves them into a Parquet part."""
    from workbench.store.migrations import MIGRATIONS

    root = tmp_path / "old"
    Project.create(root)
    (root / "catalog.duckdb").unlink()
    con = duckdb.connect(str(root / "catalog.duckdb"))
    MIGRATIONS[1](con)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute('ALTER TABLE endpoints ADD COLUMN "Attributes.plan" VARCHAR[]')
    con.execute('ALTER TABLE endpoints ADD COLUMN "Metrics.visits" DOUBLE')
    con.execute(
        "INSERT INTO attribute_names VALUES ('endpoint-custom-attributes', 'plan', 'Attributes.plan', now()), "
        "('endpoint-metric-attributes', 'visits', 'Metrics.visits', now())"
    )
    con.execute(
        'INSERT INTO endpoints (Id, ChannelType, Address, EndpointStatus, "Attributes.plan", "Metrics.visits") '
        "VALUES ('e1', 'EMAIL', 'a@example.com', 'ACTIVE', ['pro', 'team'], 3), "
        "('e2', 'SMS', '+12065550100', 'INACTIVE', NULL, NULL)"
    )
    con.close()
    project = Project.open(root)
    rows = project.endpoints.frame(
        ["Id", "Address", "EndpointStatus", "Attributes.plan", "Metrics.visits"]
    ).sort("Id")
    assert rows.rows() == [
        ("e1", "a@example.com", "ACTIVE", ["pro", "team"], 3.0),
        ("e2", "+12065550100", "INACTIVE", None, None),
    ]
    assert project.endpoint_columns()[-2:] == ["Attributes.plan", "Metrics.visits"]
    assert len(list((root / "endpoints").glob("part-*.parquet"))) == 1


def test_newer_catalog_is_refused(tmp_path):
    project = Project.create(tmp_path / "p")
    con = duckdb.connect(str(project.catalog_path))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(ProjectError, match="newer than this workbench"):
        Project.open(project.path)


HOLDER = textwrap.dedent(
    """
    import sys, time
    from workbench import Project
    project = Project.open(sys.argv[1])
    with project.connect() as con:
        con.execute("INSERT INTO meta VALUES ('holder', 'yes')")
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
    print("released", flush=True)
    """
)


def _start_holder(path, seconds):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_two_processes_take_turns(tmp_path):
    """While another process holds the catalog, we wait (backoff) and then get in."""
    project = Project.create(tmp_path / "p")
    holder = _start_holder(project.path, 1.0)
    try:
        started = time.monotonic()
        with project.connect() as con:
            waited = time.monotonic() - started
            assert con.execute("SELECT value FROM meta WHERE key = 'holder'").fetchall() == [("yes",)]
        assert waited > 0.2  # we really had to wait for the other process
    finally:
        holder.wait(timeout=30)
    assert holder.returncode == 0


def test_lock_held_too_long_gives_a_clear_error(tmp_path):
    project = Project.create(tmp_path / "p")
    settings = project.path / "workbench.toml"
    settings.write_text(
        settings.read_text().replace("lock_timeout_seconds = 10", "lock_timeout_seconds = 0.5")
    )
    project = Project.open(project.path)
    holder = _start_holder(project.path, 5.0)
    try:
        with pytest.raises(ProjectLockedError) as err, project.connect():
            pass
        message = str(err.value)
        assert str(project.path) in message and "another process" in message and "try again" in message
    finally:
        holder.kill()
        holder.wait()


def test_the_project_secret_lives_beside_the_settings_never_in_them(tmp_path, monkeypatch):
    import stat

    import helpers

    from workbench.errors import ProjectError

    project = Project.create(tmp_path / "p")
    suppression, tracking = project.secret("suppression"), project.secret("tracking")
    key_file = project.path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600  # made on first use, readable by its owner only
    assert suppression != tracking and len(suppression) == 32  # one derived key per purpose
    assert Project.open(project.path).secret("suppression") == suppression  # stable across opens
    assert key_file.read_text() not in (project.path / "workbench.toml").read_text()

    helpers.configure(project.path, '[delivery]\nsecret_env = "ACME_SECRET"\n')
    monkeypatch.setenv("ACME_SECRET", "x" * 40)
    from_env = Project.open(project.path).secret("suppression")
    assert from_env != suppression  # the variable's key, not the file's
    monkeypatch.delenv("ACME_SECRET")
    with pytest.raises(ProjectError, match="ACME_SECRET"):
        Project.open(project.path).secret("suppression")
