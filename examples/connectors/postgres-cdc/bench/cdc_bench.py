"""Figures for the PostgreSQL CDC connector, against a fresh PostgreSQL cluster
(the tests' fixture), printed as Markdown:

- throughput: the changes of one stream (two slots made at the same LSN, so
  both hold the same changes) read by the connector's release build into
  /dev/null through inlet's JSON-lines sink, against pg_recvlogical (the
  server's own client) writing the raw pgoutput stream to /dev/null;
- latency from a transaction's commit to its line on the program's stdout,
  with the default flags;
- WAL the slot retains while it runs (pg_current_wal_lsn() minus the slot's
  confirmed_flush_lsn and restart_lsn), against the WAL written in one epoch.

    python bench/cdc_bench.py [--program build/release/postgres-cdc] [--rows 200000]
"""

import argparse
import datetime
import json
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "python"))
from pg_server import PgServer, lsn  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--program", default=str(ROOT / "build" / "release" / "postgres-cdc"))
    parser.add_argument("--rows", type=int, default=200000)
    parser.add_argument("--rows-per-transaction", type=int, default=100)
    parser.add_argument("--latency-transactions", type=int, default=4000)
    args = parser.parse_args()

    root = pathlib.Path(tempfile.mkdtemp(prefix="inlet-pg-bench-"))
    root.chmod(0o755)
    server = PgServer(root / "cluster")
    server.start()
    try:
        server.sql("CREATE DATABASE bench")
        sql = lambda text: server.sql(text, dbname="bench")  # noqa: E731
        conninfo = server.conninfo.replace("dbname=postgres", "dbname=bench")
        sql("CREATE TABLE t (id bigint PRIMARY KEY, amount numeric(12, 2), name text, "
            "at timestamptz); CREATE PUBLICATION pub FOR ALL TABLES;")
        sql("SELECT pg_create_logical_replication_slot('s_inlet', 'pgoutput'); "
            "SELECT pg_create_logical_replication_slot('s_recv', 'pgoutput');")
        per = args.rows_per_transaction
        sql(f"""DO $$ BEGIN
                  FOR i IN 0..{args.rows // per - 1} LOOP
                    INSERT INTO t SELECT g, g * 1.25, 'name ' || g, now()
                      FROM generate_series(i * {per} + 1, (i + 1) * {per}) g;
                    COMMIT;
                  END LOOP;
                END $$;""")
        endpos = sql("SELECT pg_current_wal_insert_lsn()").strip()

        started = time.monotonic()
        subprocess.run([str(server.bindir / "pg_recvlogical"), "-d", conninfo, "--slot=s_recv",
                        "--start", "-E", endpos, "-f", "/dev/null", "-o", "proto_version=1",
                        "-o", "publication_names=pub", "--no-loop"],
                       check=True, env=server.env)
        recv_seconds = time.monotonic() - started
        started = time.monotonic()
        out = subprocess.run([args.program, "--publication=pub", "--slot=s_inlet",
                              "--progress=never", f"--endpos={endpos}", "--output=-", conninfo],
                             check=True, stdout=subprocess.PIPE)
        inlet_seconds = time.monotonic() - started
        lines = out.stdout.count(b"\n")
        assert lines == args.rows, (lines, args.rows)

        # Latency and retained WAL: one row per transaction, every 10 ms,
        # while the program follows the stream with its default flags.
        process = subprocess.Popen([args.program, "--publication=pub", "--slot=s_inlet",
                                    "--progress=never", f"--recovery-db={root / 'state.db'}",
                                    f"--output={root / 'out.jsonl'}", conninfo])
        time.sleep(1)
        follower = subprocess.Popen([args.program, "--publication=pub", "--slot=s_recv",
                                     "--progress=never", conninfo], stdout=subprocess.PIPE)
        arrivals = []

        def read_lines():
            for line in follower.stdout:
                arrivals.append((time.time(), json.loads(line)["commit_time"]))

        reader = threading.Thread(target=read_lines)
        reader.start()
        retained, wal_start, write_started = [], None, time.monotonic()
        wal_start = lsn(sql("SELECT pg_current_wal_lsn()").strip())
        writer = subprocess.Popen(
            [str(server.bindir / "psql"), "-X", "-q", "-d", "bench"], env=server.env,
            stdin=subprocess.PIPE, text=True, stdout=subprocess.DEVNULL)
        for i in range(args.latency_transactions):
            writer.stdin.write(f"INSERT INTO t VALUES ({10**9 + i}, 1, 'x', now());\n"
                               "SELECT pg_sleep(0.01);\n")
        writer.stdin.close()
        while writer.poll() is None:
            row = sql("SELECT pg_current_wal_lsn() - confirmed_flush_lsn, "
                      "pg_current_wal_lsn() - restart_lsn FROM pg_replication_slots "
                      "WHERE slot_name = 's_inlet'").strip().split("|")
            retained.append((int(row[0]), int(row[1])))
            time.sleep(0.25)
        wal_seconds = time.monotonic() - write_started
        wal_written = lsn(sql("SELECT pg_current_wal_lsn()").strip()) - wal_start
        deadline = time.monotonic() + 30
        while len(arrivals) < args.latency_transactions and time.monotonic() < deadline:
            time.sleep(0.05)
        follower.terminate()
        follower.wait()
        reader.join()
        follower.stdout.close()
        process.terminate()
        process.wait()
        latencies = [
            (arrived - datetime.datetime.fromisoformat(commit.replace("Z", "+00:00"))
             .timestamp()) * 1000 for arrived, commit in arrivals]
        per_epoch = wal_written / wal_seconds * 10  # Default --epoch-interval: 10 s.

        print(f"| changes | {args.rows:,} in {args.rows // per:,} transactions of {per} rows |")
        print(f"| pg_recvlogical to /dev/null | {args.rows / recv_seconds:,.0f} changes/s "
              f"({recv_seconds:.2f} s) |")
        print(f"| postgres-cdc to /dev/null (JSON lines) | {args.rows / inlet_seconds:,.0f} "
              f"changes/s ({inlet_seconds:.2f} s) |")
        print(f"| ratio (goal >= 0.7) | {recv_seconds / inlet_seconds:.2f} |")
        print(f"| commit to output, default flags, {len(latencies)} transactions | "
              f"p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 0.99):.1f}"
              " ms |")
        # The first half includes the bulk load the slot started behind.
        later = retained[len(retained) // 2:]
        print(f"| WAL retained while running ({wal_seconds:.0f} s, default 10 s epochs; "
              "second half of the run) | "
              f"max {max(r[0] for r in later) / 1024:,.0f} KiB behind confirmed_flush_lsn, "
              f"max {max(r[1] for r in later) / 1024:,.0f} KiB behind restart_lsn; "
              f"one epoch writes {per_epoch / 1024:,.0f} KiB |")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
