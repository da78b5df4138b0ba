"""Each misconfiguration is one clear error naming what to change, with exit
status 1 (2 for a bad command line)."""

import pathlib
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import Database, program, run, start
from pg_server import PgServer

# Each test here needs a server the tests start, or the program built beside them.
pytestmark = pytest.mark.server


def test_the_slot_is_created_on_the_first_run_and_streams_from_then_on(server):
    db = Database(server, "created_slot", create_slot=False)
    try:
        db.sql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
        assert run(db).stdout == ""  # Made now: what came before is not in it.
        assert db.slot_state() is not None
        db.sql("INSERT INTO t VALUES (2)")
        assert '"new":{"id":2}' in run(db).stdout
    finally:
        db.drop()


def test_bad_credentials_name_the_user_and_password(db):
    db.conninfo = db.conninfo.replace("password=secret", "password=wrong")
    result = run(db, endpos="0/1", check=False)
    assert result.returncode == 1
    assert "password authentication failed" in result.stderr
    assert "check the user and password of the connection string" in result.stderr


def test_a_role_without_replication_is_told_to_get_it(db):
    db.sql("CREATE ROLE plain LOGIN PASSWORD 'plain'")
    db.conninfo = db.conninfo.replace("user=cdc password=secret", "user=plain password=plain")
    result = run(db, endpos="0/1", check=False)
    db.sql("DROP ROLE plain")
    assert result.returncode == 1
    assert "ALTER ROLE name REPLICATION" in result.stderr, result.stderr


def test_a_missing_publication_is_named(db):
    result = subprocess_run_with_publication(db, "nope")
    assert result.returncode == 1
    assert 'publication "nope" does not exist' in result.stderr
    assert 'CREATE PUBLICATION "nope" FOR ALL TABLES' in result.stderr


def subprocess_run_with_publication(db, publication):
    return subprocess.run(
        [program(), f"--publication={publication}", f"--slot={db.slot}", "--progress=never",
         "--endpos=0/1", db.conninfo], capture_output=True, text=True, timeout=60, check=False)


def test_a_dropped_slot_stops_a_resumed_run_saying_how_to_start_over(db, tmp_path):
    db.sql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)")
    store, output = tmp_path / "state.db", tmp_path / "out.jsonl"
    run(db, f"--recovery-db={store}", f"--output={output}")
    db.sql(f"SELECT pg_drop_replication_slot('{db.slot}')")
    result = run(db, f"--recovery-db={store}", f"--output={output}", check=False)
    assert result.returncode == 1
    assert f'replication slot "{db.slot}" does not exist' in result.stderr
    assert "the slot was dropped" in result.stderr
    assert "remove the recovery file and the output" in result.stderr


def test_a_slot_in_use_by_another_client_is_refused(db):
    first = run_following(db)
    try:
        result = run(db, endpos="0/1", check=False)
    finally:
        first.terminate()
        first.communicate(timeout=60)
    assert result.returncode == 1
    assert "is in use by another client" in result.stderr


def run_following(db):
    process = start(db)
    deadline = time.monotonic() + 30
    while not (db.slot_state() or {}).get("active"):
        assert time.monotonic() < deadline, "the first run never started streaming"
        time.sleep(0.05)
    return process


def test_wal_level_replica_says_to_set_logical_and_restart():
    root = pathlib.Path(tempfile.mkdtemp(prefix="inlet-pg-"))
    root.chmod(0o755)
    server = PgServer(root / "cluster", settings={"wal_level": "replica"})
    server.start()
    try:
        db = Database(server, "replica", create_slot=False)
        result = run(db, endpos="0/1", check=False)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    assert result.returncode == 1
    assert "wal_level = replica" in result.stderr
    assert "wal_level = logical" in result.stderr and "restart" in result.stderr


def test_a_bad_command_line_exits_2_naming_the_problem(db):
    result = run(db, "extra-argument", endpos="0/1", check=False)
    assert result.returncode == 2
    assert "expected one connection string" in result.stderr
    result = run(db, endpos="not-an-lsn", check=False)
    assert result.returncode == 2
    assert 'bad LSN "not-an-lsn"' in result.stderr
