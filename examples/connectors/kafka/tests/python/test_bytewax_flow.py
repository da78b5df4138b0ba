"""InletKafka on the real Bytewax runtime (after `pip install .`), against a
real broker: in-process, two processes of two workers, and Bytewax's recovery
after a SIGKILL."""

import os
import pathlib
import socket
import subprocess
import sys
import time

import pytest
from conftest import tool

# Bytewax publishes no wheel for every Python the package is built for.
pytest.importorskip("bytewax")

import bytewax.operators as op  # noqa: E402
import inlet.bytewax  # noqa: E402
from bytewax.dataflow import Dataflow  # noqa: E402
from bytewax.testing import TestingSink, run_main  # noqa: E402

from inlet_kafka import InletKafka as Connector  # noqa: E402

# Each test here needs a server the tests start, or the program built beside them.
pytestmark = pytest.mark.server

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _expected(count: int, partitions: int) -> list:
    return sorted(f"{n % partitions} {n // partitions} {{\"n\":{n}}}" for n in range(count))


def _lines(out: pathlib.Path, run: str) -> list:
    lines = []
    for path in out.glob(f"{run}-*.txt"):
        lines += path.read_text().splitlines()
    return lines


def _flow_env(brokers, topic, out, run, **extra):
    env = dict(os.environ, KAFKA_FLOW_BROKERS=brokers, KAFKA_FLOW_TOPIC=topic,
               KAFKA_FLOW_OUT=str(out), KAFKA_FLOW_RUN=run, PYTHONPATH=str(HERE))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_main_reads_every_partition_in_offset_order(brokers, topic):
    tool("create-topic", brokers, topic, 3)
    tool("produce", brokers, topic, 3, 0, 30)
    out = []
    flow = Dataflow("test")
    source = inlet.bytewax.PartitionedSource(Connector(brokers, [topic], stop_at_end=True,
                                                       format="json"))
    op.output("out", op.input("in", flow, source), TestingSink(out))
    run_main(flow)
    assert len(out) == 30
    for p in range(3):
        assert [r.value["n"] for r in out if r.partition == p] == list(range(p, 30, 3))


def test_two_processes_of_two_workers_read_every_record_once(brokers, topic, tmp_path):
    tool("create-topic", brokers, topic, 8)
    tool("produce", brokers, topic, 8, 0, 20000)
    addresses = f"127.0.0.1:{_free_port()};127.0.0.1:{_free_port()}"
    env = _flow_env(brokers, topic, tmp_path, "cluster")
    processes = [subprocess.Popen([sys.executable, "-m", "bytewax.run", str(HERE / "kafka_flow.py"),
                                   "-w", "2", "-i", str(i), "-a", addresses], env=env,
                                  stderr=subprocess.PIPE, text=True)
                 for i in range(2)]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
    assert sorted(_lines(tmp_path, "cluster")) == _expected(20000, 8)
    # Both processes and all four workers read.
    assert len({p.name.split("-")[1] for p in tmp_path.glob("cluster-*.txt")}) == 2


def test_recovery_resumes_after_a_sigkill_and_loses_nothing(brokers, topic, tmp_path):
    tool("create-topic", brokers, topic, 4)
    tool("produce", brokers, topic, 4, 0, 20000)
    recovery = tmp_path / "recovery"
    recovery.mkdir()
    subprocess.run([sys.executable, "-m", "bytewax.recovery", str(recovery), "2"], check=True)
    args = [sys.executable, "-m", "bytewax.run", str(HERE / "kafka_flow.py"), "-w", "2",
            "-r", str(recovery), "-s", "1", "-b", "0"]
    env = _flow_env(brokers, topic, tmp_path, "first", KAFKA_FLOW_KILL_AFTER=12000,
                    KAFKA_FLOW_DELAY=0.0002)
    killed = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr
    first = _lines(tmp_path, "first")
    assert 0 < len(first) < 20000
    resumed = subprocess.run(args, env=_flow_env(brokers, topic, tmp_path, "second"),
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    second = _lines(tmp_path, "second")
    # At least once: everything arrives; the resumed run starts from the last
    # snapshot, so it repeats at most what followed it, never the whole topic.
    assert sorted(set(first + second)) == _expected(20000, 4)
    assert len(second) < 20000


def test_the_example_flow_prints_every_record_on_two_workers(brokers, topic):
    tool("create-topic", brokers, topic, 2)
    tool("produce", brokers, topic, 2, 0, 100)
    env = dict(os.environ, INLET_KAFKA_BROKERS=brokers, INLET_KAFKA_TOPICS=topic)
    result = subprocess.run(
        [sys.executable, "-m", "bytewax.run", "examples/bytewax_flow.py", "-w", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    expected = [f"{topic}/{n % 2}@{n // 2}: {{\"n\":{n}}}" for n in range(100)]
    assert sorted(result.stdout.splitlines()) == sorted(expected)
