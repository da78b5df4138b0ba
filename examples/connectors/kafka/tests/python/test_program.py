"""The inlet-kafka program against a real broker: killed with SIGKILL at
random instants while records are produced, and resumed with 1, 2, 3, 1, 2, 3
workers (the exactly-once output file holds every record once, in offset order
within each partition, and the group's committed offsets never run ahead of
the recovery store); a broker restart in the middle of a run."""

import json
import os
import random
import re
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


# What `inlet-kafka --format=F` writes for the records `kafka-test-tool
# produce-samples` produces, byte for byte ("TOPIC" stands for the topic, "Ti"
# for the timestamp of record i).
SAMPLE_OUTPUT = {
    "bytes": [
        '{"key":{"bytes":[107,48],"subtype":null},"offset":0,"partition":0,"timestamp":T0,"topic":"TOPIC","value":{"bytes":[123,34,105,100,34,58,49,44,34,112,114,105,99,101,34,58,50,46,53,44,34,116,97,103,115,34,58,91,34,97,34,44,34,98,34,93,44,34,110,101,115,116,101,100,34,58,123,34,120,34,58,110,117,108,108,125,125],"subtype":null}}',
        '{"key":null,"offset":1,"partition":0,"timestamp":T1,"topic":"TOPIC","value":{"bytes":[34,97,32,74,83,79,78,32,115,116,114,105,110,103,32,119,105,116,104,32,92,34,113,117,111,116,101,115,92,34,44,32,97,32,116,97,98,92,116,32,97,110,100,32,92,117,48,48,101,57,34],"subtype":null}}',
        '{"key":{"bytes":[107,50],"subtype":null},"offset":2,"partition":0,"timestamp":T2,"topic":"TOPIC","value":null}',
        '{"key":{"bytes":[99,108,195,169],"subtype":null},"offset":3,"partition":0,"timestamp":T3,"topic":"TOPIC","value":{"bytes":[91,49,44,32,45,50,44,32,51,46,50,53,101,49,48,44,32,116,114,117,101,44,32,102,97,108,115,101,44,32,110,117,108,108,93],"subtype":null}}',
        '{"key":{"bytes":[],"subtype":null},"offset":4,"partition":0,"timestamp":T4,"topic":"TOPIC","value":{"bytes":[49,50,51,52,53,54,55,56,57,48,49,50,51,52,53,54,55,56,57,48],"subtype":null}}',
        '{"key":{"bytes":[107,53],"subtype":null},"offset":5,"partition":0,"timestamp":T5,"topic":"TOPIC","value":{"bytes":[32,32,123,34,98,34,58,32,50,44,32,34,97,34,58,32,49,125,32,32],"subtype":null}}',
    ],
    "text": [
        '{"key":"k0","offset":0,"partition":0,"timestamp":T0,"topic":"TOPIC","value":"{\\"id\\":1,\\"price\\":2.5,\\"tags\\":[\\"a\\",\\"b\\"],\\"nested\\":{\\"x\\":null}}"}',
        '{"key":null,"offset":1,"partition":0,"timestamp":T1,"topic":"TOPIC","value":"\\"a JSON string with \\\\\\"quotes\\\\\\", a tab\\\\t and \\\\u00e9\\""}',
        '{"key":"k2","offset":2,"partition":0,"timestamp":T2,"topic":"TOPIC","value":null}',
        '{"key":"clé","offset":3,"partition":0,"timestamp":T3,"topic":"TOPIC","value":"[1, -2, 3.25e10, true, false, null]"}',
        '{"key":"","offset":4,"partition":0,"timestamp":T4,"topic":"TOPIC","value":"12345678901234567890"}',
        '{"key":"k5","offset":5,"partition":0,"timestamp":T5,"topic":"TOPIC","value":"  {\\"b\\": 2, \\"a\\": 1}  "}',
    ],
    "json": [
        '{"key":"k0","offset":0,"partition":0,"timestamp":T0,"topic":"TOPIC","value":{"id":1,"nested":{"x":null},"price":2.5,"tags":["a","b"]}}',
        '{"key":null,"offset":1,"partition":0,"timestamp":T1,"topic":"TOPIC","value":"a JSON string with \\"quotes\\", a tab\\t and é"}',
        '{"key":"k2","offset":2,"partition":0,"timestamp":T2,"topic":"TOPIC","value":null}',
        '{"key":"clé","offset":3,"partition":0,"timestamp":T3,"topic":"TOPIC","value":[1,-2,32500000000.0,true,false,null]}',
        '{"key":"","offset":4,"partition":0,"timestamp":T4,"topic":"TOPIC","value":12345678901234567890}',
        '{"key":"k5","offset":5,"partition":0,"timestamp":T5,"topic":"TOPIC","value":{"a":1,"b":2}}',
    ],
}


def test_every_format_writes_the_same_json_lines_byte_for_byte(brokers, topic):
    tool("create-topic", brokers, topic, 1)
    first = int(tool("produce-samples", brokers, topic))
    for format, expected in SAMPLE_OUTPUT.items():
        result = subprocess.run([built("inlet-kafka"), f"--brokers={brokers}", f"--format={format}",
                                 "--stop-at-end", "--progress=never", topic],
                                capture_output=True, timeout=60)
        assert result.returncode == 0, result.stderr.decode()
        wanted = "".join(re.sub(r'"timestamp":T(\d)', lambda m: f'"timestamp":{first + int(m[1])}',
                                line.replace("TOPIC", topic)) + "\n" for line in expected)
        assert result.stdout.decode("utf-8") == wanted, format

def _wait_for_lines(path, count, run, what):
    deadline = time.monotonic() + 60
    while _lines(path) < count:
        assert time.monotonic() < deadline and run.poll() is None, (
            f"{_lines(path)} of {count} records {what}")
        time.sleep(0.1)


def test_partitions_added_while_running_are_read_with_relisting(brokers, topic, tmp_path):
    tool("create-topic", brokers, topic, 2)
    tool("produce", brokers, topic, 2, 0, 10)
    out = tmp_path / "out.jsonl"
    run = subprocess.Popen([built("inlet-kafka"), f"--brokers={brokers}", "--format=text",
                            f"--output={out}", "--progress=never", "--relist-interval=300ms",
                            topic], stderr=subprocess.PIPE)
    try:
        _wait_for_lines(out, 10, run, "before partitions were added")
        tool("add-partitions", brokers, topic, 4)
        tool("produce", brokers, topic, 4, 10, 8)  # Two records into each of the four.
        _wait_for_lines(out, 18, run, "after two partitions were added")
    finally:
        run.send_signal(signal.SIGTERM)
        _, stderr = run.communicate(timeout=60)
    assert run.returncode == 0, stderr.decode()
    expected, next_offset = [], {}
    for n, partitions in [(n, 2) for n in range(10)] + [(n, 4) for n in range(10, 18)]:
        partition = n % partitions
        offset = next_offset.get(partition, 0)
        next_offset[partition] = offset + 1
        expected.append((partition, offset, f'{{"n":{n}}}'))
    with open(out, encoding="utf-8") as lines:
        read = [json.loads(line) for line in lines]
    assert sorted((r["partition"], r["offset"], r["value"]) for r in read) == sorted(expected)
