"""The inlet-kafka program against a real broker: killed with SIGKILL at
random instants while records are produced, and resumed with 1, 2, 3, 1, 2, 3
workers (the exactly-once output file holds every record once, in offset order
within each partition, and the group's committed offsets never run ahead of
the recovery store); a broker restart in the middle of a run."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import Broker, built, committed_offsets, tool

# Each test here needs a server the tests start, or the program built beside them.
pytestmark = pytest.mark.server

PARTITIONS = 8
# The issue asks for 1,000,000; KAFKA_KILL_RECORDS lowers it on a slow machine.
RECORDS = int(os.environ.get("KAFKA_KILL_RECORDS", "1000000"))
KILLS = 6


def _program(brokers, topic, out, db, *flags, workers=2):
    return [built("inlet-kafka"), f"--brokers={brokers}", "--group-id=" + topic + "-group",
            f"--recovery-db={db}", f"--output={out}", "--format=text", f"--workers={workers}",
            "--epoch-interval=200ms", "--progress=never", *flags, topic]


def _stored_offsets(db, topic) -> dict:
    """The next offsets of the latest epoch the recovery store committed."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT partition, state FROM states WHERE epoch = (SELECT max(epoch) FROM epochs)")
        return {int(name.rsplit("/", 1)[1]): json.loads(state) for name, state in rows}


def _check_output(out, records, partitions):
    seen = {}
    with open(out, encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            seen.setdefault(record["partition"], []).append(record["offset"])
            assert record["value"] == f'{{"n":{record["offset"] * partitions + record["partition"]}}}'
    total = sum(len(offsets) for offsets in seen.values())
    assert total == records, f"{total} records in the output, {records} produced"
    for partition, offsets in seen.items():
        assert offsets == list(range(records // partitions)), f"partition {partition}"


def test_sigkill_at_random_instants_while_producing_then_resume_exactly_once(brokers, topic,
                                                                               tmp_path):
    tool("create-topic", brokers, topic, PARTITIONS)
    out, db = tmp_path / "out.jsonl", tmp_path / "recovery.db"
    chunk = RECORDS // 10

    def produce():
        for first in range(0, RECORDS, chunk):
            tool("produce", brokers, topic, PARTITIONS, first, min(chunk, RECORDS - first))

    producer = threading.Thread(target=produce)
    producer.start()
    rng = random.Random(int(os.environ.get("KAFKA_KILL_SEED", "16")))
    kills = 0
    try:
        while kills < KILLS:
            log = tmp_path / f"run-{kills}.log"
            with open(log, "wb") as stderr:
                # Rescaled at every restart: 1, 2, 3, 1, 2, 3 workers.
                run = subprocess.Popen(_program(brokers, topic, out, db, workers=1 + kills % 3),
                                       stderr=stderr)
            time.sleep(rng.uniform(0.5, 2.5))
            assert run.poll() is None, log.read_text()
            run.send_signal(signal.SIGKILL)
            run.wait()
            kills += 1
            if not db.exists():
                continue
            # The broker only ever learns offsets the store has committed.
            stored = _stored_offsets(db, topic)
            committed = committed_offsets(brokers, topic + "-group", topic, PARTITIONS)
            for partition, offset in committed.items():
                assert offset <= stored.get(partition, 0), (partition, committed, stored)
    finally:
        producer.join()
    final = subprocess.run(_program(brokers, topic, out, db, "--stop-at-end"),
                           capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr
    _check_output(out, RECORDS, PARTITIONS)
    stored = _stored_offsets(db, topic)
    assert stored == {p: RECORDS // PARTITIONS for p in range(PARTITIONS)}
    deadline = time.monotonic() + 30
    while committed_offsets(brokers, topic + "-group", topic, PARTITIONS) != stored:
        assert time.monotonic() < deadline, "the group's offsets never reached the store's"
        time.sleep(0.2)


def _lines(path) -> int:
    if not path.exists():
        return 0
    with open(path, "rb") as file:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))


def test_a_broker_restart_mid_run_is_ridden_out(tmp_path):
    broker = Broker(tmp_path / "broker")
    brokers = broker.start()
    try:
        topic = "restarted"
        tool("create-topic", brokers, topic, 4)
        tool("produce", brokers, topic, 4, 0, 20000)
        out, db = tmp_path / "out.jsonl", tmp_path / "recovery.db"
        run = subprocess.Popen(_program(brokers, topic, out, db), stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while _lines(out) < 20000:
            assert time.monotonic() < deadline and run.poll() is None, "the first records never came"
            time.sleep(0.1)
        broker.restart()
        tool("produce", brokers, topic, 4, 20000, 20000)
        deadline = time.monotonic() + 120
        while _lines(out) < 40000:
            assert time.monotonic() < deadline and run.poll() is None, (
                f"{_lines(out)} of 40000 records after the broker restart")
            time.sleep(0.1)
        run.send_signal(signal.SIGTERM)
        _, stderr = run.communicate(timeout=60)
        assert run.returncode == 0, stderr.decode()
        _check_output(out, 40000, 4)
    finally:
        broker.stop()
