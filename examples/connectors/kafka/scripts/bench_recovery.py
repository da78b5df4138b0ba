"""Recovery on (1 s epochs into a SQLite file) against off, on a topic long
enough that every run spans several epochs: `kafka-bench throughput` with 2
workers, the two alternating (and swapping order) over the rounds. Prints
each run and the ratio of the medians.

Usage: python3 scripts/bench_recovery.py BUILD_DIR [RECORDS] [ROUNDS]
(BUILD_DIR: a release build; defaults 12,000,000 records and 6 rounds; starts
a broker, or uses $INLET_KAFKA_BROKERS)
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "broker"))

from kafka_broker import Broker  # noqa: E402

PARTITIONS = 8


def main(build: pathlib.Path, records: int, rounds: int):
    tool, bench = build / "tests" / "kafka-test-tool", build / "tests" / "kafka-bench"
    rates = {"off": [], "on": []}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = pathlib.Path(scratch)
        broker = None if os.environ.get("INLET_KAFKA_BROKERS") else Broker(scratch / "broker")
        brokers = broker.start() if broker else os.environ["INLET_KAFKA_BROKERS"]
        try:
            topic = f"bench-recovery-{time.time_ns()}"
            subprocess.run([tool, "create-topic", brokers, topic, str(PARTITIONS)], check=True,
                           timeout=120)
            subprocess.run([tool, "produce", brokers, topic, str(PARTITIONS), "0", str(records)],
                           check=True, timeout=900)
            for round_ in range(rounds):
                for name in ("off", "on") if round_ % 2 == 0 else ("on", "off"):
                    store = [str(scratch / f"r{round_}.db")] if name == "on" else []
                    out = subprocess.run([bench, "throughput", brokers, topic, "2", *store],
                                         check=True, capture_output=True, text=True,
                                         timeout=900).stdout.split()
                    assert int(out[0]) == records, out
                    rates[name].append(records / float(out[1]))
                    print(f"recovery {name}: {rates[name][-1]:,.0f} records/s "
                          f"({float(out[1]):.2f} s)", flush=True)
        finally:
            if broker:
                broker.stop()
    off, on = statistics.median(rates["off"]), statistics.median(rates["on"])
    print(f"{records:,} records in {PARTITIONS} partitions, 2 workers, medians of {rounds}: "
          f"off {off:,.0f}/s, on {on:,.0f}/s, on / off {on / off:.3f} (goal >= 0.98)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", type=pathlib.Path, help="a release build directory")
    parser.add_argument("records", type=int, nargs="?", default=12_000_000)
    parser.add_argument("rounds", type=int, nargs="?", default=6)
    arguments = parser.parse_args()
    main(arguments.build, arguments.records, arguments.rounds)
