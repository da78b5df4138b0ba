"""Changes of a real PostgreSQL 15 server arrive as messages with the right
values: inserts, updates and deletes of several tables, the types that
matter, NULLs, large transactions."""

import base64
import time

import pytest

from conftest import changes, run, start, stop, wait_for_lines

# Each test here needs a server the tests start, or the program built beside them.
pytestmark = pytest.mark.server


def test_inserts_updates_and_deletes_of_several_tables_arrive_with_their_values(db):
    db.sql("""
        CREATE TABLE items (id int PRIMARY KEY, price numeric(20, 6), at timestamptz,
                            name text, data bytea, doc jsonb, ratio float8, ok bool, big bigint);
        CREATE TABLE notes (code text PRIMARY KEY, body text);
        INSERT INTO items VALUES
          (1, 12345678901234.123456, '2026-12-02 09:10:11.123456+02', 'Straße Café 東京 🙂',
           '\\x00ff10', '{"a": [1, 2.5, "ü"], "b": null}', 0.1, true, 9007199254740993),
          (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
        INSERT INTO notes VALUES ('n1', 'first');
        BEGIN;
        UPDATE items SET name = 'renamed', price = -0.000001 WHERE id = 1;
        UPDATE notes SET code = 'n2' WHERE code = 'n1';
        DELETE FROM items WHERE id = 2;
        COMMIT;
    """)
    out = changes(run(db).stdout)
    assert [(c["table"], c["op"], c["key"]) for c in out] == [
        ("public.items", "insert", {"id": 1}),
        ("public.items", "insert", {"id": 2}),
        ("public.notes", "insert", {"code": "n1"}),
        ("public.items", "update", {"id": 1}),
        ("public.notes", "update", {"code": "n2"}),
        ("public.items", "delete", {"id": 2}),
    ]
    first = out[0]["new"]
    assert first == {
        "id": 1, "price": "12345678901234.123456", "at": "2026-12-02 07:10:11.123456+00",
        "name": "Straße Café 東京 🙂", "data": "\\x00ff10",
        "doc": {"a": [1, 2.5, "ü"], "b": None}, "ratio": 0.1, "ok": True,
        "big": 9007199254740993}
    assert bytes.fromhex(first["data"][2:]) == base64.b16decode("00FF10")
    assert out[1]["new"] == {"id": 2, "price": None, "at": None, "name": None, "data": None,
                             "doc": None, "ratio": None, "ok": None, "big": None}
    assert out[0]["old"] is None
    assert out[3]["new"]["name"] == "renamed" and out[3]["new"]["price"] == "-0.000001"
    assert out[3]["old"] is None  # The key did not change.
    assert out[4]["old"] == {"code": "n1"} and out[4]["new"] == {"code": "n2", "body": "first"}
    assert out[5]["old"] == {"id": 2} and out[5]["new"] is None
    # One transaction: the same commit LSN, time and xid; later ones come after.
    assert len({(c["commit_lsn"], c["commit_time"], c["xid"]) for c in out[3:]}) == 1
    lsns = [int(c["commit_lsn"].split("/")[0], 16) << 32 | int(c["commit_lsn"].split("/")[1], 16)
            for c in out]
    assert lsns == sorted(lsns) and len(set(lsns)) == 3
    assert all(c["commit_time"].endswith("Z") for c in out)


def test_a_table_with_replica_identity_full_sends_whole_old_rows(db):
    db.sql("""
        CREATE TABLE plain (a int, b text);
        ALTER TABLE plain REPLICA IDENTITY FULL;
        INSERT INTO plain VALUES (1, 'x');
        UPDATE plain SET b = 'y';
        DELETE FROM plain;
    """)
    out = changes(run(db).stdout)
    assert [c["op"] for c in out] == ["insert", "update", "delete"]
    assert out[1]["old"] == {"a": 1, "b": "x"} and out[1]["new"] == {"a": 1, "b": "y"}
    assert out[2]["old"] == {"a": 1, "b": "y"}


def test_a_large_transaction_arrives_whole_with_one_commit_lsn(db):
    db.sql("""
        CREATE TABLE big (id int PRIMARY KEY, v text);
        INSERT INTO big SELECT i, repeat('x', 50) FROM generate_series(1, 50000) i;
    """)
    out = changes(run(db).stdout)
    assert [c["new"]["id"] for c in out] == list(range(1, 50001))
    assert len({c["commit_lsn"] for c in out}) == 1


def test_a_second_run_with_the_recovery_file_reads_only_new_transactions(db, tmp_path):
    db.sql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);")
    store, output = tmp_path / "state.db", tmp_path / "out.jsonl"
    run(db, f"--recovery-db={store}", f"--output={output}")
    db.sql("INSERT INTO t VALUES (3)")
    run(db, f"--recovery-db={store}", f"--output={output}")
    assert [c["new"]["id"] for c in changes(output.read_text())] == [1, 2, 3]


def test_standby_status_updates_keep_a_short_wal_sender_timeout_from_ending_an_idle_stream(
        db, tmp_path):
    db.sql("CREATE TABLE t (id int PRIMARY KEY)")
    db.server.sql("ALTER SYSTEM SET wal_sender_timeout = '2s'; SELECT pg_reload_conf();")
    try:
        output = tmp_path / "out.jsonl"
        process = start(db, f"--output={output}")
        time.sleep(6)  # Idle: three timeouts' worth without a change.
        db.sql("INSERT INTO t VALUES (1)")
        wait_for_lines(output, 1)
        assert process.poll() is None, process.communicate()[1]
        status, err = stop(process)
        assert status == 0, err
        assert changes(output.read_text())[0]["new"] == {"id": 1}
    finally:
        db.server.sql("ALTER SYSTEM RESET wal_sender_timeout; SELECT pg_reload_conf();")
