"""Figures for the PostgreSQL CDC connector, against a fresh PostgreSQL cluster
(the tests' fixture), printed as Markdown:

- throughput: the changes of one stream (slots made at the same LSN, so all
  hold the same changes) read by the connector's release build through
  inlet's JSON-lines sink into a file, against pg_recvlogical (the server's
  own client) writing the raw pgoutput stream to /dev/null; the programs
  alternate over --rounds rounds (the order rotating), each on a slot of its
  own, and the CPU time of the server (its walsender decodes the WAL for
  either client) and of the client is measured per change;
- latency from a transaction's commit to its line on the program's stdout,
  with the default flags;
- WAL the slot retains while it runs (pg_current_wal_lsn() minus the slot's
  confirmed_flush_lsn and restart_lsn), against the WAL written in one epoch.

    python bench/cdc_bench.py [--program build/release/postgres-cdc] [--rows 200000]
        [--rounds 3] [--compare another/postgres-cdc]

--compare also times another build of the program in the same rounds (a
before/after comparison); the latency and WAL figures are --program's.
"""

import argparse
import datetime
import json
import os
import pathlib
import resource
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


def server_children(postmaster: int) -> dict:
    """The postmaster's children: pid -> (state, CPU ticks)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            children[int(entry)] = (fields[0], int(fields[11]) + int(fields[12]))
    return children


def server_cpu_seconds(postmaster: int) -> float:
    """CPU time of the server: the postmaster, its reaped children
    (walsenders that ended) and its live children."""
    with open(f"/proc/{postmaster}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    ticks += sum(cpu for _, cpu in server_children(postmaster).values())
    return ticks / os.sysconf("SC_CLK_TCK")


def timed(argv, postmaster, **kwargs):
    """Runs `argv` to its end: (wall seconds, server CPU seconds, client CPU
    seconds). The server's figure waits for the walsender the client had to
    end and be reaped, so that its time is counted here and not later."""
    before = set(server_children(postmaster))
    server_before = server_cpu_seconds(postmaster)
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(argv, check=True, **kwargs)
    wall = time.monotonic() - started
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (client_after.ru_utime - client_before.ru_utime +
              client_after.ru_stime - client_before.ru_stime)
    deadline = time.monotonic() + 10
    while set(server_children(postmaster)) - before and time.monotonic() < deadline:
        time.sleep(0.01)
    return wall, server_cpu_seconds(postmaster) - server_before, client


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--program", default=str(ROOT / "build" / "release" / "postgres-cdc"))
    parser.add_argument("--rows", type=int, default=200000)
    parser.add_argument("--rows-per-transaction", type=int, default=100)
    parser.add_argument("--latency-transactions", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", help="another build of the program, timed in the same rounds")
    args = parser.parse_args()
    programs = {"postgres-cdc": args.program}
    if args.compare:
        programs = {"postgres-cdc (--compare)": args.compare, **programs}
    clients = ["pg_recvlogical", *programs]

    root = pathlib.Path(tempfile.mkdtemp(prefix="inlet-pg-bench-"))
    root.chmod(0o755)
    server = PgServer(root / "cluster", settings={
        "max_replication_slots": str(len(clients) * args.rounds + 2)})
    server.start()
    try:
        server.sql("CREATE DATABASE bench")
        sql = lambda text: server.sql(text, dbname="bench")  # noqa: E731
        conninfo = server.conninfo.replace("dbname=postgres", "dbname=bench")
        sql("CREATE TABLE t (id bigint PRIMARY KEY, amount numeric(12, 2), name text, "
            "at timestamptz); CREATE PUBLICATION pub FOR ALL TABLES;")
        slots = {(client, r): f"s_{c}_{r}" for c, client in enumerate(clients)
                 for r in range(args.rounds)}
        sql("".join(f"SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput');"
                    for slot in slots.values()))
        per = args.rows_per_transaction
        sql(f"""DO $$ BEGIN
                  FOR i IN 0..{args.rows // per - 1} LOOP
                    INSERT INTO t SELECT g, g * 1.25, 'name ' || g, now()
                      FROM generate_series(i * {per} + 1, (i + 1) * {per}) g;
                    COMMIT;
                  END LOOP;
                END $$;""")
        endpos = sql("SELECT pg_current_wal_insert_lsn()").strip()

        # wall, server CPU, client CPU per client, summed over the rounds.
        totals = {client: [0.0, 0.0, 0.0] for client in clients}
        for r in range(args.rounds):
            for client in clients[r % len(clients):] + clients[:r % len(clients)]:
                slot = slots[(client, r)]
                if client == "pg_recvlogical":
                    measured = timed(
                        [str(server.bindir / "pg_recvlogical"), "-d", conninfo, f"--slot={slot}",
                         "--start", "-E", endpos, "-f", "/dev/null", "-o", "proto_version=1",
                         "-o", "publication_names=pub", "--no-loop"],
                        server.process.pid, env=server.env)
                else:
                    output = root / "out-throughput.jsonl"
                    output.unlink(missing_ok=True)
                    measured = timed(
                        [programs[client], "--publication=pub", f"--slot={slot}",
                         "--progress=never", f"--endpos={endpos}", f"--output={output}",
                         conninfo], server.process.pid)
                    with open(output, "rb") as f:
                        lines = sum(chunk.count(b"\n")
                                    for chunk in iter(lambda: f.read(1 << 20), b""))
                    assert lines == args.rows, (client, lines, args.rows)
                    output.unlink()
                print(f"round {r + 1} {client}: {measured[0]:.2f} s, server CPU "
                      f"{measured[1]:.2f} s, client CPU {measured[2]:.2f} s", file=sys.stderr)
                for i in range(3):
                    totals[client][i] += measured[i]
        rate = {client: args.rows * args.rounds / totals[client][0] for client in clients}

        # Latency and retained WAL: one row per transaction, every 10 ms,
        # while the program follows the stream with its default flags.
        process = subprocess.Popen([args.program, "--publication=pub",
                                    f"--slot={slots[('postgres-cdc', 0)]}",
                                    "--progress=never", f"--recovery-db={root / 'state.db'}",
                                    f"--output={root / 'out.jsonl'}", conninfo])
        time.sleep(1)
        follower = subprocess.Popen([args.program, "--publication=pub",
                                     f"--slot={slots[('pg_recvlogical', 0)]}",
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
                      f"WHERE slot_name = '{slots[('postgres-cdc', 0)]}'").strip().split("|")
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

        print(f"| changes | {args.rows:,} in {args.rows // per:,} transactions of {per} rows, "
              f"{args.rounds} rounds |")
        for client in clients:
            wall, server_cpu, client_cpu = totals[client]
            changes = args.rows * args.rounds
            where = "to /dev/null" if client == "pg_recvlogical" else "to a file (JSON lines)"
            print(f"| {client} {where} | {rate[client]:,.0f} changes/s ({wall / args.rounds:.2f} s"
                  f" a round); CPU per change: server {server_cpu / changes * 1e6:.1f} us, "
                  f"client {client_cpu / changes * 1e6:.1f} us |")
        for client in programs:
            print(f"| ratio of {client} (goal >= 0.7) | "
                  f"{rate[client] / rate['pg_recvlogical']:.2f} |")
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
