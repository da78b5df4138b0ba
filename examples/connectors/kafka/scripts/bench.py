"""The Kafka connector's figures, side by side in one run on one broker and
one topic (`python3 scripts/bench.py build/release` after building the release preset):

- records/s into a counting sink: the connector on the embedded runtime
  against `kcat -C` reading the same topic to /dev/null;
- the same with recovery on (1 s epochs into a SQLite file) against off;
- send-to-sink latency, p50 and p99, with the default run options;
- under Bytewax with 2 workers: the connector against Bytewax's own
  KafkaSource (confluent-kafka), both into a counting sink.

Prints a Markdown table. Usage: python scripts/bench.py BUILD_DIR [RECORDS] [ROUNDS]
"""

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

BYTEWAX_FLOW = '''
import os
import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition

class _Count(StatelessSinkPartition):
    def __init__(self, path):
        self._path, self._count = path, 0
    def write_batch(self, items):
        self._count += len(items)
    def close(self):
        with open(self._path, "w") as f:
            f.write(str(self._count))

class CountSink(DynamicSink):
    def build(self, step_id, worker_index, worker_count):
        return _Count(os.path.join(os.environ["BENCH_OUT"], f"{os.getpid()}-{worker_index}"))

brokers, topic = os.environ["BENCH_BROKERS"], os.environ["BENCH_TOPIC"]
flow = Dataflow("bench")
if os.environ["BENCH_SOURCE"] == "inlet":
    import inlet.bytewax
    from inlet_kafka import InletKafka
    source = inlet.bytewax.PartitionedSource(InletKafka(brokers, [topic], stop_at_end=True))
else:
    from bytewax.connectors.kafka import KafkaSource
    source = KafkaSource([brokers], [topic], tail=False, batch_size=10000,
                         add_config={"group.id": topic})
op.output("count", op.input("read", flow, source), CountSink())
'''


def timed(command, **kwargs) -> float:
    start = time.monotonic()
    subprocess.run(command, check=True, timeout=600, **kwargs)
    return time.monotonic() - start


def main(build: pathlib.Path, records: int, rounds: int):
    tool, bench = build / "tests" / "kafka-test-tool", build / "tests" / "kafka-bench"
    with tempfile.TemporaryDirectory() as scratch:
        scratch = pathlib.Path(scratch)
        # $INLET_KAFKA_BROKERS, else a broker of its own.
        broker = None if os.environ.get("INLET_KAFKA_BROKERS") else Broker(scratch / "broker")
        brokers = broker.start() if broker else os.environ["INLET_KAFKA_BROKERS"]
        topic = f"bench-{time.time_ns()}"
        try:
            subprocess.run([tool, "create-topic", brokers, topic, str(PARTITIONS)], check=True,
                           timeout=120)
            subprocess.run([tool, "produce", brokers, topic, str(PARTITIONS), "0", str(records)],
                           check=True, timeout=600)
            flow = scratch / "flow.py"
            flow.write_text(BYTEWAX_FLOW)
            rates = {name: [] for name in ("kcat", "inlet", "inlet-1", "inlet-recovery",
                                           "bytewax-inlet", "bytewax-kafkasource")}
            for round_ in range(rounds):
                seconds = timed(["kcat", "-C", "-b", brokers, "-t", topic, "-o", "beginning",
                                 "-e", "-q"], stdout=subprocess.DEVNULL)
                rates["kcat"].append(records / seconds)
                for name, workers, extra in (
                        ("inlet", "2", []), ("inlet-1", "1", []),
                        ("inlet-recovery", "2", [str(scratch / f"r{round_}.db")])):
                    out = subprocess.run([bench, "throughput", brokers, topic, workers, *extra],
                                         check=True, capture_output=True, text=True, timeout=600).stdout.split()
                    assert int(out[0]) == records, out
                    rates[name].append(records / float(out[1]))
                for source in ("inlet", "kafkasource"):
                    out = scratch / f"bytewax-{source}-{round_}"
                    out.mkdir()
                    env = dict(os.environ, BENCH_BROKERS=brokers, BENCH_TOPIC=topic,
                               BENCH_SOURCE=source, BENCH_OUT=str(out))
                    seconds = timed([sys.executable, "-m", "bytewax.run", str(flow), "-w", "2"],
                                    env=env, cwd=scratch)
                    counted = sum(int(p.read_text()) for p in out.iterdir())
                    assert counted == records, (source, counted)
                    rates[f"bytewax-{source}"].append(records / seconds)
            latency = subprocess.run([bench, "latency", brokers, topic + "-latency",
                                      str(PARTITIONS), "1000", "10"], check=True,
                                     capture_output=True, text=True, timeout=120).stdout.split()
        finally:
            if broker:
                broker.stop()
    median = {name: statistics.median(values) for name, values in rates.items()}
    print(f"{records:,} records in {PARTITIONS} partitions, median of {rounds} rounds; "
          f"Apache Kafka 4.1.1 (one KRaft node), librdkafka {librdkafka_version()}.\n")
    print("| what | records/s | ratio | goal |")
    print("|---|---:|---:|---|")
    print(f"| `kcat -C` to /dev/null | {median['kcat']:,.0f} | 1 | |")
    print(f"| connector, embedded runtime, 2 workers, counting sink | {median['inlet']:,.0f} | "
          f"{median['inlet'] / median['kcat']:.2f} of kcat | >= 0.8 |")
    print(f"| connector, embedded runtime, 1 worker, counting sink | {median['inlet-1']:,.0f} | "
          f"{median['inlet-1'] / median['kcat']:.2f} of kcat | >= 0.8 |")
    print(f"| connector, 2 workers, recovery on (1 s epochs) | {median['inlet-recovery']:,.0f} | "
          f"{median['inlet-recovery'] / median['inlet']:.3f} of off | >= 0.98 |")
    print(f"| Bytewax 2 workers, `bytewax.connectors.kafka.KafkaSource` | "
          f"{median['bytewax-kafkasource']:,.0f} | 1 | |")
    print(f"| Bytewax 2 workers, the connector | {median['bytewax-inlet']:,.0f} | "
          f"{median['bytewax-inlet'] / median['bytewax-kafkasource']:.2f}x KafkaSource | >= 3x |")
    print(f"\nSend-to-sink latency, default run options, 1,000 records/s for 10 s into "
          f"{PARTITIONS} partitions ({latency[0]} of {latency[1]} records arrived): "
          f"p50 {float(latency[2]):.1f} ms, p99 {float(latency[3]):.1f} ms; from the broker's "
          f"append to the sink (the consumer's part, to the millisecond): "
          f"p50 {float(latency[4]):.1f} ms, p99 {float(latency[5]):.1f} ms.")


def librdkafka_version() -> str:
    result = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "librdkafka-dev"],
                            capture_output=True, text=True)
    return result.stdout or "(unknown)"


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]).resolve(), int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000,
         int(sys.argv[3]) if len(sys.argv) > 3 else 3)
