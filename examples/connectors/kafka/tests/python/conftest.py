"""A real Kafka broker for the Python tests, and the tools to feed it.

The session's broker is $INLET_KAFKA_BROKERS when set, else one started by
tests/broker/kafka_broker.py for the session. `kafka-test-tool` and
`inlet-kafka` are looked up on PATH, then in build/dev (scripts/test.sh puts
the dev build on PATH)."""

import os
import pathlib
import shutil
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "broker"))

from kafka_broker import Broker  # noqa: E402


def built(name: str) -> str:
    for candidate in (shutil.which(name), ROOT / "build/dev" / name, ROOT / "build/dev/tests" / name):
        if candidate and pathlib.Path(candidate).is_file():
            return str(candidate)
    raise FileNotFoundError(f"{name} is not built: run `cmake --workflow --preset dev` first")


def tool(*args) -> str:
    """Runs kafka-test-tool and returns its stdout; fails the test with its stderr."""
    result = subprocess.run([built("kafka-test-tool"), *map(str, args)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def committed_offsets(brokers: str, group: str, topic: str, partitions: int) -> dict:
    lines = tool("committed", brokers, group, topic, partitions).split("\n")
    return {int(p): int(o) for p, o in (line.split() for line in lines if line)}


@pytest.fixture(scope="session")
def brokers(tmp_path_factory):
    if os.environ.get("INLET_KAFKA_BROKERS"):
        yield os.environ["INLET_KAFKA_BROKERS"]
        return
    broker = Broker(tmp_path_factory.mktemp("kafka-broker"))
    yield broker.start()
    broker.stop()


@pytest.fixture
def topic(request, brokers):
    """A new topic's name, unique to the test (created by the test)."""
    name = request.node.name.replace("[", "-").replace("]", "")
    return f"py-{name}-{time.time_ns()}"
