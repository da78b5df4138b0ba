"""A real Apache Kafka broker for the tests: one KRaft node that is both broker
and controller, on free loopback ports, in a directory of its own.

Its jars come from Maven Central through Maven (pom.xml beside this file) into
a cache that survives between runs ($INLET_KAFKA_CACHE, default
~/.cache/inlet-test/kafka/<version>); Java 17 or later runs it.

    python3 kafka_broker.py start DIR    # formats DIR, starts, prints host:port
    python3 kafka_broker.py stop DIR     # stops the broker started in DIR
    python3 kafka_broker.py resolve      # only fetches the jars

From Python: `Broker(directory).start()`, `.stop()`, `.restart()`,
`.bootstrap`. Besides its plaintext listener the node has one that needs
SASL/PLAIN (user "inlet", password "inlet-secret"), whose address is in
DIR/sasl-bootstrap.
"""

import base64
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

HERE = pathlib.Path(__file__).resolve().parent
VERSION = "4.1.1"  # Keep in step with pom.xml's kafka.version.


def cache_dir() -> pathlib.Path:
    root = os.environ.get("INLET_KAFKA_CACHE") or os.path.expanduser("~/.cache/inlet-test/kafka")
    return pathlib.Path(root) / VERSION


def resolve_jars() -> pathlib.Path:
    """The directory holding Kafka's jars, resolved by Maven on first use."""
    jars = cache_dir()
    stamp = jars / ".complete"
    if stamp.exists():
        return jars
    jars.mkdir(parents=True, exist_ok=True)
    command = ["mvn", "-q", "-B", "-f", str(HERE / "pom.xml"), "dependency:copy-dependencies",
               f"-DoutputDirectory={jars}", "-DincludeScope=runtime"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"resolving Kafka {VERSION} with Maven failed ({' '.join(command)}):\n"
                           f"{result.stdout}{result.stderr}")
    stamp.write_text(VERSION + "\n")
    return jars


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """One Kafka node in `directory` (created if missing)."""

    def __init__(self, directory):
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = None

    @property
    def bootstrap(self) -> str:
        return (self.directory / "bootstrap").read_text().strip()

    def _java(self, main_class, *args, **popen):
        classpath = os.pathsep.join(str(p) for p in sorted(resolve_jars().glob("*.jar")))
        command = ["java", "-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                   f"-Dlog4j2.configurationFile={self.directory / 'log4j2.properties'}",
                   "-cp", classpath, main_class, *args]
        return command

    def _configure(self):
        port, controller_port, sasl_port = free_port(), free_port(), free_port()
        data = self.directory / "data"
        (self.directory / "server.properties").write_text("\n".join([
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port},"
            f"SASL_PLAINTEXT://127.0.0.1:{sasl_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port},"
            f"SASL_PLAINTEXT://127.0.0.1:{sasl_port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,"
            "SASL_PLAINTEXT:SASL_PLAINTEXT",
            # A second listener that needs SASL/PLAIN as user "inlet", password
            # "inlet-secret", for the tests of authentication failures.
            "sasl.enabled.mechanisms=PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config="
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            'user_inlet="inlet-secret";',
            f"log.dirs={data}",
            "num.partitions=1",
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=4",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            # The tests stamp records with fixed times long past (the conformance
            # kit's items must be the same in every process); time-based retention
            # would delete them at its next check, every 5 minutes.
            "log.retention.ms=-1",
            "",
        ]))
        (self.directory / "log4j2.properties").write_text("\n".join([
            "status = warn",
            "appender.file.type = File",
            "appender.file.name = file",
            f"appender.file.fileName = {self.directory / 'server.log'}",
            "appender.file.layout.type = PatternLayout",
            "appender.file.layout.pattern = [%d] %p %m (%c)%n",
            "rootLogger.level = INFO",
            "rootLogger.appenderRef.file.ref = file",
            "",
        ]))
        shutil.rmtree(data, ignore_errors=True)
        cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        result = subprocess.run(
            self._java("kafka.tools.StorageTool", "format", "-t", cluster, "-c",
                       str(self.directory / "server.properties")),
            capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"formatting Kafka's storage in {data} failed:\n"
                               f"{result.stdout}{result.stderr}")
        (self.directory / "sasl-bootstrap").write_text(f"127.0.0.1:{sasl_port}\n")
        (self.directory / "bootstrap").write_text(f"127.0.0.1:{port}\n")

    def start(self, timeout=90.0) -> str:
        """Starts the node (formatting it the first time) and waits until it
        answers metadata requests; returns its bootstrap address."""
        # A directory configured by an older version of this file (without
        # sasl-bootstrap) is configured and formatted anew.
        if not (self.directory / "sasl-bootstrap").exists():
            self._configure()
        out = open(self.directory / "server.out", "ab")
        self.process = subprocess.Popen(
            self._java("kafka.Kafka", str(self.directory / "server.properties")),
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        out.close()
        (self.directory / "pid").write_text(f"{self.process.pid}\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Kafka broker exited with status {self.process.returncode};"
                                   f" see {self.directory / 'server.out'} and server.log")
            probe = subprocess.run(["kcat", "-L", "-b", self.bootstrap, "-m", "2"],
                                   capture_output=True, text=True)
            if probe.returncode == 0 and " 1 brokers:" in probe.stdout:
                return self.bootstrap
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the Kafka broker at {self.bootstrap} did not answer within "
                           f"{timeout:.0f} s; see {self.directory / 'server.log'}")

    def stop(self, timeout=60.0):
        """Stops the node in order (SIGTERM), or kills it after `timeout`."""
        pid_file = self.directory / "pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pid_file.unlink()
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid, self.process):
            time.sleep(0.1)
        if _alive(pid, self.process):
            os.kill(pid, signal.SIGKILL)
            while _alive(pid, self.process):
                time.sleep(0.05)
        pid_file.unlink()
        self.process = None

    def restart(self) -> str:
        self.stop()
        return self.start()


def _alive(pid, process) -> bool:
    if process is not None:
        return process.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # Not our child: a zombie is reaped by whoever started it; check its state.
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (FileNotFoundError, IndexError):
        return True


def main(argv):
    if len(argv) == 2 and argv[1] == "resolve":
        print(resolve_jars())
        return 0
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print("usage: kafka_broker.py start DIR | stop DIR | resolve", file=sys.stderr)
        return 2
    broker = Broker(argv[2])
    if argv[1] == "start":
        print(broker.start())
    else:
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
