"""Fixtures: one real PostgreSQL server for the session, a fresh database
with a publication per test, and the connector's program."""

import itertools
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from pg_server import PgServer

ROOT = pathlib.Path(__file__).resolve().parents[2]
_names = itertools.count()


def program() -> str:
    path = os.environ.get("POSTGRES_CDC_PROGRAM", str(ROOT / "build" / "dev" / "postgres-cdc"))
    if not pathlib.Path(path).exists():
        pytest.fail(f"{path} is missing: build the dev preset first (cmake --workflow --preset dev)"
                    " or set POSTGRES_CDC_PROGRAM")
    return path


@pytest.fixture(scope="session")
def server():
    root = pathlib.Path(tempfile.mkdtemp(prefix="inlet-pg-"))
    root.chmod(0o755)
    pg = PgServer(root / "cluster")
    pg.start()
    yield pg
    pg.stop()
    shutil.rmtree(root, ignore_errors=True)


class Database:
    """A fresh database on `server` with the publication `pub` (all tables)
    and its logical replication slot `slot` (pgoutput), made before any
    change so that every change reaches it."""

    def __init__(self, server: PgServer, name: str, create_slot: bool = True):
        self.server = server
        self.name = name
        self.slot = f"{name}_slot"
        server.sql(f"CREATE DATABASE {name}")
        self.sql("CREATE PUBLICATION pub FOR ALL TABLES")
        self.conninfo = server.conninfo.replace("dbname=postgres", f"dbname={name}")
        if create_slot:
            self.sql(f"SELECT pg_create_logical_replication_slot('{self.slot}', 'pgoutput')")

    def sql(self, statements: str) -> str:
        return self.server.sql(statements, dbname=self.name)

    def end_lsn(self) -> str:
        """An LSN past every transaction committed so far and before the
        next one: ends a run (--endpos) right after what was written."""
        return self.sql("SELECT pg_current_wal_insert_lsn()").strip()

    def slot_state(self) -> dict | None:
        return self.server.slot(self.slot)

    def drop(self):
        self.server.sql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                        f"WHERE slot_name = '{self.slot}'")
        self.server.sql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


@pytest.fixture
def db(server):
    database = Database(server, f"t{os.getpid()}_{next(_names)}")
    yield database
    try:
        database.drop()
    except RuntimeError:
        pass  # A test that stopped the server leaves its database behind.


def run(db: Database, *flags: str, endpos: str | None = None, timeout: float = 120,
        check: bool = True) -> subprocess.CompletedProcess:
    """Runs the program on `db` until `endpos` (default: what was committed so far)."""
    argv = [program(), "--publication=pub", f"--slot={db.slot}", "--progress=never",
            f"--endpos={endpos or db.end_lsn()}", *flags, db.conninfo]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def changes(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def start(db: Database, *flags: str, **kwargs) -> subprocess.Popen:
    """Starts the program on `db`, following the stream."""
    argv = [program(), "--publication=pub", f"--slot={db.slot}", "--progress=never", *flags,
            db.conninfo]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kwargs)


def wait_for_lines(path: pathlib.Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} did not reach {count} lines in {timeout} s")


def stop(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    return process.returncode, err
