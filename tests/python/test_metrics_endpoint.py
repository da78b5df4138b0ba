"""`RunMain --metrics-address`: a running inlet program serves its metrics in
the Prometheus text format; `promtool check metrics` accepts them, a real
Prometheus server scrapes them and answers queries over them, and a bad or
busy address is a command-line error."""

import json
import pathlib
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest


def prometheus_tool(name: str) -> str:
    """The path of `name`; scripts/install.sh installs it (Debian: prometheus)."""
    path = shutil.which(name)
    assert path is not None, f"{name} is not installed; run scripts/install.sh"
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


@pytest.fixture
def following(dev_build: pathlib.Path, tmp_path: pathlib.Path):
    """inlet-read-files following two files, serving metrics on a free port;
    yields the metrics URL, and stops the program with SIGTERM after the test."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_text("".join(f"line {i}\n" for i in range(100)))
    (logs / "b.log").write_text("one\ntwo\n")
    process = subprocess.Popen(
        [str(dev_build / "examples/inlet-read-files"), "--follow", "--metrics-address=127.0.0.1:0",
         f"--output={tmp_path / 'out.jsonl'}", f"{logs}/*.log"],
        stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()
        assert "metrics at http://127.0.0.1:" in line, line
        url = line.split("metrics at ", 1)[1].strip()
        # The workers hand their first metrics over within a second.
        deadline = time.monotonic() + 10
        while 'inlet_items_total{step="input",partition="' not in get(url):
            assert time.monotonic() < deadline, get(url)
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == 0, stderr


def test_endpoint_serves_every_partition_and_promtool_accepts_it(following, tmp_path):
    deadline = time.monotonic() + 10
    while True:
        text = get(following)
        if text.count("inlet_items_total{") == 2 and " 100\n" in text:
            break
        assert time.monotonic() < deadline, text
        time.sleep(0.1)
    a_log = [line for line in text.splitlines()
             if line.startswith("inlet_items_total{") and 'a.log"' in line]
    assert len(a_log) == 1 and a_log[0].endswith(" 100"), a_log
    # Followed files: everything read, so nothing left.
    assert any(line.startswith("inlet_backlog_bytes{") and line.endswith(" 0")
               for line in text.splitlines()), text
    assert "inlet_next_batch_duration_seconds_bucket{" in text
    checked = subprocess.run([prometheus_tool("promtool"), "check", "metrics"], input=text,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout + checked.stderr == "", checked.stdout + checked.stderr


@pytest.fixture
def prometheus(tmp_path: pathlib.Path, following: str):
    """A Prometheus server on loopback that scrapes `following` every second;
    yields its base URL."""
    target = urllib.parse.urlparse(following)
    config = tmp_path / "prometheus.yml"
    config.write_text(json.dumps({
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
        "scrape_configs": [{"job_name": "inlet", "metrics_path": target.path,
                            "static_configs": [{"targets": [target.netloc]}]}],
    }))
    port = free_port()
    process = subprocess.Popen(
        [prometheus_tool("prometheus"), f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                if "Ready" in get(f"{base}/-/ready", timeout=1):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "prometheus did not become ready"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=30)


def query(base: str, expression: str) -> list:
    answer = json.loads(get(f"{base}/api/v1/query?"
                            + urllib.parse.urlencode({"query": expression})))
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def test_prometheus_scrapes_the_endpoint_and_queries_return_the_series(prometheus):
    deadline = time.monotonic() + 20
    while not (items := query(prometheus, "inlet_items_total")):
        assert time.monotonic() < deadline, "no inlet_items_total series after 20 s"
        time.sleep(0.5)
    by_partition = {pathlib.Path(s["metric"]["partition"]).name: s for s in items}
    assert set(by_partition) == {"a.log", "b.log"}
    assert by_partition["a.log"]["value"][1] == "100"
    assert by_partition["b.log"]["value"][1] == "2"
    assert all(s["metric"]["step"] == "input" and s["metric"]["worker"] == "0"
               and s["metric"]["job"] == "inlet" for s in items)
    counts = query(prometheus, "sum(inlet_next_batch_duration_seconds_count)")
    assert float(counts[0]["value"][1]) >= 2
    assert len(query(prometheus, "inlet_backlog_bytes")) == 2
    up = query(prometheus, 'up{job="inlet"}')
    assert up[0]["value"][1] == "1"


@pytest.mark.parametrize("address, problem", [
    ("localhost", "has no port"),
    ("127.0.0.1:", "has no valid port"),
    ("127.0.0.1:70000", "has no valid port"),
    ("127.0.0.1:http", "has no valid port"),
    (":9100", "has no host"),
])
def test_a_bad_address_is_a_command_line_error(dev_build, tmp_path, address, problem):
    done = subprocess.run(
        [str(dev_build / "examples/inlet-read-files"), f"--metrics-address={address}",
         f"--output={tmp_path / 'out.jsonl'}", f"{tmp_path}/*.log"],
        capture_output=True, text=True, timeout=30)
    assert done.returncode == 2, done.stderr
    assert f'--metrics-address="{address}" {problem}' in done.stderr, done.stderr
    assert "expected HOST:PORT" in done.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_a_busy_port_is_a_command_line_error(dev_build, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        address = f"127.0.0.1:{busy.getsockname()[1]}"
        done = subprocess.run(
            [str(dev_build / "examples/inlet-read-files"), f"--metrics-address={address}",
             f"--output={tmp_path / 'out.jsonl'}", f"{tmp_path}/*.log"],
            capture_output=True, text=True, timeout=30)
    assert done.returncode == 2, done.stderr
    assert f'--metrics-address="{address}" cannot be listened on: the port is in use' \
        in done.stderr, done.stderr
    assert not (tmp_path / "out.jsonl").exists()
