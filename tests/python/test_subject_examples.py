"""The subject examples as real processes: inlet-read-stdin reads a pipe to
its end, inlet-tcp-lines serves real clients until SIGINT."""

import json
import pathlib
import re
import signal
import socket
import subprocess
import time

TIMEOUT = 60


def test_read_stdin_writes_every_line_of_a_pipe(dev_build: pathlib.Path):
    result = subprocess.run([str(dev_build / "examples/inlet-read-stdin")],
                            input=b"one\r\ntwo\n\nlast", capture_output=True, check=True,
                            timeout=TIMEOUT)
    assert [json.loads(line) for line in result.stdout.splitlines()] == ["one", "two", "", "last"]
    assert b"inlet-read-stdin: 4 items from 1 partitions" in result.stderr


def test_tcp_lines_serves_clients_until_sigint(dev_build: pathlib.Path, tmp_path: pathlib.Path):
    out = tmp_path / "out.jsonl"
    process = subprocess.Popen(
        [str(dev_build / "examples/inlet-tcp-lines"), "127.0.0.1:0", f"--output={out}",
         "--epoch-interval=10ms"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        listening = process.stderr.readline().decode()
        match = re.fullmatch(r"inlet-tcp-lines: listening on 127\.0\.0\.1:(\d+)\n", listening)
        assert match, listening
        for client in ("a", "b"):
            with socket.create_connection(("127.0.0.1", int(match.group(1))), TIMEOUT) as s:
                s.sendall(f"{client}1\n{client}2".encode())
        # The file sink writes at each epoch: wait until both clients' lines are in.
        deadline = time.monotonic() + TIMEOUT
        while not (out.exists() and out.read_text().count("\n") == 4):
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the lines never reached the output"
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=TIMEOUT)
        stderr = process.stderr.read().decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert status == 0, stderr
    assert "stopped by signal" in stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    # Each connection's lines in order; connections interleave.
    assert [line for line in lines if line.startswith("a")] == ["a1", "a2"], lines
    assert [line for line in lines if line.startswith("b")] == ["b1", "b2"], lines


def test_tcp_lines_rejects_a_busy_address(dev_build: pathlib.Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        result = subprocess.run([str(dev_build / "examples/inlet-tcp-lines"), address],
                                capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 2, result.stderr
    assert f"listen on {address}: bind: Address already in use" in result.stderr
