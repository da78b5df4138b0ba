"""End-to-end delivery latency: a TCP client's lines through inlet-tcp-lines to
its piped stdout, with the program's default flags.

A client connects to `inlet-tcp-lines 127.0.0.1:0` and sends numbered lines,
one every 1-2 ms (uniformly at random, seeded) with a burst of back-to-back
lines every so often; a reader thread reads the program's stdout (a pipe, so
the sink sees no terminal) and timestamps each JSON line as it arrives. A
line's latency is from just before its `sendall` to the reader having it,
both on `time.perf_counter_ns`. Every line must arrive exactly once within
--timeout seconds of the last send; the run then stops the program with
SIGTERM and expects exit status 0. Writes JSON for bench/report.py.

Usage: python bench/delivery_latency.py [--binary build/release/examples/inlet-tcp-lines]
                                        [--lines 2000] [--repetitions 3] [--out results.json]
                                        [-- extra flags for the program]
"""

import argparse
import json
import math
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

LISTENING = re.compile(rb"listening on (\S+)")


def percentile(sorted_values, fraction):
    """The nearest-rank percentile of a sorted, non-empty list."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def schedule(lines, gap_min_ms, gap_max_ms, burst_every, burst_size, seed):
    """The gap in seconds before each line: 0 inside a burst, else uniform."""
    rng = random.Random(seed)
    gaps = []
    for i in range(lines):
        in_burst = burst_every > 0 and i >= burst_every and i % burst_every < burst_size
        gaps.append(0.0 if in_burst else rng.uniform(gap_min_ms, gap_max_ms) / 1e3)
    return gaps


def parse_host_port(address):
    host, _, port = address.decode().rpartition(":")
    return host.strip("[]"), int(port)


def one_run(options, gaps):
    """Sends the lines once through a fresh program; returns the latencies in
    milliseconds, in send order."""
    program = subprocess.Popen([options.binary, "127.0.0.1:0", *options.program_flags],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    stderr_lines = []
    address = None
    try:
        for line in program.stderr:
            stderr_lines.append(line)
            found = LISTENING.search(line)
            if found:
                address = found.group(1)
                break
        if address is None:
            raise RuntimeError(f"{options.binary} exited before listening: "
                               f"{b''.join(stderr_lines).decode(errors='replace')}")
        drain_stderr = threading.Thread(
            target=lambda: stderr_lines.extend(program.stderr), daemon=True)
        drain_stderr.start()

        arrived = {}
        duplicates = []
        all_arrived = threading.Event()

        unreadable = []

        def read_stdout():
            for raw in program.stdout:
                now = time.perf_counter_ns()
                try:
                    seq = int(json.loads(raw).split()[1])
                except (ValueError, AttributeError, IndexError):
                    unreadable.append(raw)
                    continue
                if seq in arrived:
                    duplicates.append(seq)
                arrived[seq] = now
                if len(arrived) == len(gaps):
                    all_arrived.set()

        reader = threading.Thread(target=read_stdout, daemon=True)
        reader.start()

        sent = [0] * len(gaps)
        with socket.create_connection(parse_host_port(address)) as client:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            due = time.perf_counter()
            for seq, gap in enumerate(gaps):
                due += gap
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                payload = f"line {seq}\n".encode()
                sent[seq] = time.perf_counter_ns()
                client.sendall(payload)
            all_arrived.wait(options.timeout)
        # Lines the stop's final flush delivers do not count as delivered in time.
        in_time = dict(arrived)
        program.send_signal(signal.SIGTERM)
        status = program.wait(timeout=60)
        reader.join(timeout=10)
        drain_stderr.join(timeout=10)
        if status != 0:
            raise RuntimeError(f"{options.binary} exited with status {status}: "
                               f"{b''.join(stderr_lines).decode(errors='replace')}")
        if unreadable:
            raise RuntimeError(f"{len(unreadable)} stdout lines are not a sent line as a JSON "
                               f"string, the first: {unreadable[0]!r}")
        if duplicates:
            raise RuntimeError(f"{len(duplicates)} lines arrived twice, the first line "
                               f"{duplicates[0]}")
        missing = [seq for seq in range(len(gaps)) if seq not in in_time]
        if missing:
            raise RuntimeError(f"{len(missing)} of {len(gaps)} lines did not arrive within "
                               f"{options.timeout:g} s of the last send (the first: line "
                               f"{missing[0]}); raise --timeout?")
        return [(in_time[seq] - sent[seq]) / 1e6 for seq in range(len(gaps))]
    finally:
        if program.poll() is None:
            program.kill()
            program.wait()


def summary(latencies_ms):
    ordered = sorted(latencies_ms)
    return {
        "lines": len(ordered),
        "p50_ms": percentile(ordered, 0.50),
        "p90_ms": percentile(ordered, 0.90),
        "p99_ms": percentile(ordered, 0.99),
        "max_ms": ordered[-1],
        "mean_ms": statistics.fmean(ordered),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="build/release/examples/inlet-tcp-lines")
    parser.add_argument("--lines", type=int, default=2000, help="lines per run")
    parser.add_argument("--gap-min-ms", type=float, default=1.0)
    parser.add_argument("--gap-max-ms", type=float, default=2.0)
    parser.add_argument("--burst-every", type=int, default=250,
                        help="a burst starts every this many lines (0: no bursts)")
    parser.add_argument("--burst-size", type=int, default=25,
                        help="lines sent back to back in a burst")
    parser.add_argument("--timeout", type=float, default=15.0,
                        help="seconds after the last send within which every line must arrive "
                             "(default 15: the default 10 s epoch, and margin)")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", help="where to write the JSON results")
    parser.add_argument("program_flags", nargs="*",
                        help="flags for the program, after --; none by default")
    options = parser.parse_args()
    if not os.access(options.binary, os.X_OK):
        parser.error(f"--binary {options.binary}: not an executable file; build the release "
                     "preset (cmake --build --preset release --target inlet-tcp-lines)")
    if options.lines < 1 or options.repetitions < 1:
        parser.error("--lines and --repetitions must be at least 1")
    if not 0 <= options.gap_min_ms <= options.gap_max_ms:
        parser.error("need 0 <= --gap-min-ms <= --gap-max-ms")
    if options.burst_every and not 0 < options.burst_size <= options.burst_every:
        parser.error("need 0 < --burst-size <= --burst-every")

    gaps = schedule(options.lines, options.gap_min_ms, options.gap_max_ms,
                    options.burst_every, options.burst_size, options.seed)
    runs = []
    for repetition in range(options.repetitions):
        try:
            result = summary(one_run(options, gaps))
        except RuntimeError as error:
            sys.exit(f"delivery_latency: run {repetition + 1}: {error}")
        runs.append(result)
        print(f"delivery_latency: run {repetition + 1}: {result['lines']} lines, "
              f"p50 {result['p50_ms']:.3f} ms, p99 {result['p99_ms']:.3f} ms, "
              f"max {result['max_ms']:.3f} ms", file=sys.stderr)
    data = {
        "context": {
            "binary": options.binary,
            "program_flags": options.program_flags,
            "lines": options.lines,
            "send_seconds": sum(gaps),
            "gap_ms": [options.gap_min_ms, options.gap_max_ms],
            "burst_every": options.burst_every,
            "burst_size": options.burst_size,
            "repetitions": options.repetitions,
            "python": platform.python_version(),
        },
        "runs": runs,
        "p50_ms": statistics.median(run["p50_ms"] for run in runs),
        "p99_ms": statistics.median(run["p99_ms"] for run in runs),
    }
    if options.out:
        with open(options.out, "w") as out:
            json.dump(data, out, indent=2)
    print(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
