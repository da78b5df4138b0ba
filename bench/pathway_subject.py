"""Pathway's own Python ConnectorSubject feeding `pw.io.python.read`: the same
16-byte messages as bench/subject_bench.cc (a commit every 1,024), counted by
the engine, timed around `pw.run`. Writes the median rate as JSON for
bench/report.py, which sets it beside inlet's subject adapter.

Usage: python bench/pathway_subject.py --out results/pathway_subject.json
"""

import argparse
import json
import logging
import statistics
import time

import pathway as pw

MESSAGES = 500_000
COMMIT_EVERY = 1024
REPETITIONS = 3


class Payload(pw.Schema):
    data: str


class PayloadSubject(pw.io.python.ConnectorSubject):
    def run(self):
        for i in range(MESSAGES):
            self.next(data=f"message-{i:08d}")
            if (i + 1) % COMMIT_EVERY == 0:
                self.commit()


def one_run() -> float:
    """Messages per second of one `pw.run`, after checking the count."""
    pw.internals.parse_graph.G.clear()
    table = pw.io.python.read(PayloadSubject(), schema=Payload)
    counted = {}

    def on_change(key, row, time, is_addition):
        if is_addition:
            counted["n"] = row["n"]

    pw.io.subscribe(table.reduce(n=pw.reducers.count()), on_change=on_change)
    start = time.perf_counter()
    pw.run(monitoring_level=pw.MonitoringLevel.NONE)
    elapsed = time.perf_counter() - start
    if counted.get("n") != MESSAGES:
        raise SystemExit(f"pathway counted {counted.get('n')} messages, not {MESSAGES}")
    return MESSAGES / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    options = parser.parse_args()
    logging.getLogger().setLevel(logging.WARNING)
    rates = [one_run() for _ in range(REPETITIONS)]
    result = {"messages": MESSAGES, "payload_bytes": 16, "commit_every": COMMIT_EVERY,
              "pathway_version": pw.__version__, "messages_per_second": statistics.median(rates),
              "runs": rates}
    with open(options.out, "w") as out:
        json.dump(result, out, indent=2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
