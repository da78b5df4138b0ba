"""Exactly once across SIGKILLs and a server restart: every committed change
reaches the output file once, in commit order, and the slot never confirms
a position the recovery file has not committed."""

import json
import random
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import changes, run, start, wait_for_lines
from pg_server import lsn

# Each test here needs a server the tests start, or the program built beside them.
pytestmark = pytest.mark.server


def committed_offset(store, slot: str) -> int:
    """The offset the recovery file's latest epoch holds for the slot's partition."""
    with sqlite3.connect(store) as connection:
        row = connection.execute(
            "SELECT state FROM states WHERE partition = ? ORDER BY epoch DESC LIMIT 1",
            (slot,)).fetchone()
    connection.close()
    return lsn(json.loads(row[0]))


def check_exactly_once_in_commit_order(db, out: list[dict], clients: int) -> int:
    ids = [c["new"]["id"] for c in out if c["table"] == "public.events"]
    assert len(ids) == len(set(ids)), "an insert arrived twice"
    assert sorted(ids) == [int(i) for i in db.sql("SELECT id FROM events ORDER BY id").split()]
    # Each client's counter went 1, 2, 3, ... one update per transaction.
    for client in range(clients):
        counts = [c["new"]["n"] for c in out if c["table"] == "public.counters"
                  and c["op"] == "update" and c["key"] == {"client": client}]
        assert counts == list(range(1, len(counts) + 1)), f"client {client}: {counts[:20]}"
    positions = [lsn(c["commit_lsn"]) for c in out]
    assert positions == sorted(positions), "changes out of commit order"
    # A transaction's two changes stay together: an insert, then its update.
    by_commit = {}
    for c in out:
        if c["table"] == "public.counters" and c["op"] == "insert":
            continue  # The counters' first rows, before the transactions.
        by_commit.setdefault(c["commit_lsn"], []).append(c["table"])
    assert all(tables == ["public.events", "public.counters"] for tables in by_commit.values())
    return len(ids)


def test_sigkill_at_random_instants_while_pgbench_writes_loses_and_repeats_nothing(db, tmp_path):
    clients = 2
    db.sql(f"""
        CREATE TABLE events (id bigserial PRIMARY KEY, client int, v int);
        CREATE TABLE counters (client int PRIMARY KEY, n int NOT NULL);
        INSERT INTO counters SELECT c, 0 FROM generate_series(0, {clients - 1}) c;
    """)
    script = tmp_path / "txn.sql"
    script.write_text("\\set v random(1, 1000000)\n"
                      "BEGIN;\n"
                      "INSERT INTO events (client, v) VALUES (:client_id, :v);\n"
                      "UPDATE counters SET n = n + 1 WHERE client = :client_id;\n"
                      "COMMIT;\n")
    writer = subprocess.Popen(
        [str(db.server.bindir / "pgbench"), "-n", "-c", str(clients), "-j", "1", "-T", "12",
         "--rate=400", "-f", str(script), db.name],
        env=db.server.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    store, output = tmp_path / "state.db", tmp_path / "out.jsonl"
    flags = [f"--recovery-db={store}", f"--output={output}", "--epoch-interval=200ms"]
    rng = random.Random(17)
    kills = 0
    confirmed = [db.slot_state()["confirmed_flush_lsn"]]
    while writer.poll() is None:
        process = start(db, *flags)
        time.sleep(rng.uniform(0.2, 1.2))
        process.send_signal(signal.SIGKILL)
        process.communicate()
        kills += 1
        slot = db.slot_state()
        confirmed.append(slot["confirmed_flush_lsn"])
        if store.exists():
            assert slot["confirmed_flush_lsn"] <= committed_offset(store, db.slot), (
                "the slot confirmed a position the recovery file had not committed")
    _, writer_errors = writer.communicate()
    assert writer.returncode == 0, writer_errors
    assert kills >= 5
    assert len(set(confirmed)) >= 3, "the slot's confirmed position did not follow the epochs"
    run(db, *flags)
    assert check_exactly_once_in_commit_order(db, changes(output.read_text()), clients) > 1000


def test_a_server_restart_ends_the_run_with_an_error_and_the_next_run_resumes(db, tmp_path):
    db.sql("""
        CREATE TABLE events (id bigserial PRIMARY KEY, client int, v int);
        CREATE TABLE counters (client int PRIMARY KEY, n int NOT NULL);
        INSERT INTO counters VALUES (0, 0);
    """)
    txn = ("BEGIN; INSERT INTO events (client, v) VALUES (0, 1); "
           "UPDATE counters SET n = n + 1 WHERE client = 0; COMMIT;\n")
    db.sql(txn * 200)
    store, output = tmp_path / "state.db", tmp_path / "out.jsonl"
    flags = [f"--recovery-db={store}", f"--output={output}", "--epoch-interval=200ms"]
    process = start(db, *flags)
    wait_for_lines(output, 400)
    db.server.restart()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "was lost" in err and "run again with the same recovery file" in err, err
    db.sql(txn * 200)
    run(db, *flags)
    assert check_exactly_once_in_commit_order(db, changes(output.read_text()), 1) == 400


def test_a_transaction_larger_than_the_backlog_killed_midway_resumes_exactly_once(db, tmp_path):
    # 150,000 changes in one transaction: more than the adapter's backlog
    # (65,536), so it reaches the output in parts, and epochs close inside it.
    db.sql("CREATE TABLE big (id int PRIMARY KEY);"
           "INSERT INTO big SELECT g FROM generate_series(1, 150000) g;"
           "INSERT INTO big VALUES (0);")
    store, output = tmp_path / "state.db", tmp_path / "out.jsonl"
    flags = [f"--recovery-db={store}", f"--output={output}", "--epoch-interval=50ms",
             f"--endpos={db.end_lsn()}"]
    process = start(db, *flags)
    while not output.exists() or output.stat().st_size < 90000 * 170:  # Past the backlog.
        assert process.poll() is None, process.communicate()[1]
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    killed_at = output.read_text().count("\n")
    assert 65536 < killed_at < 150000, killed_at
    connection = sqlite3.connect(store)
    state = connection.execute("SELECT state FROM states ORDER BY epoch DESC LIMIT 1").fetchone()
    connection.close()
    run(db, *flags[:-1], endpos=flags[-1].split("=")[1])
    ids = [c["new"]["id"] for c in changes(output.read_text())]
    assert ids == list(range(1, 150001)) + [0], (len(ids), len(set(ids)), state)
