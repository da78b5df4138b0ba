"""RunMain's live progress line appears by itself when stderr is a terminal
(here a pseudo-terminal) and never when it is a file."""

import os
import pathlib
import pty
import select
import signal
import subprocess
import time


def read_for(fd: int, seconds: float) -> bytes:
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                data += os.read(fd, 4096)
            except OSError:
                break
    return data


def test_progress_line_is_drawn_on_a_terminal(dev_build: pathlib.Path, tmp_path: pathlib.Path):
    (tmp_path / "a.log").write_text("one\ntwo\n")
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(dev_build / "examples/inlet-read-files"), "--follow", str(tmp_path / "*.log")],
        stdout=subprocess.DEVNULL, stderr=terminal, stdin=subprocess.DEVNULL)
    os.close(terminal)
    try:
        seen = read_for(controller, 1.5)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        seen += read_for(controller, 0.3)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    text = seen.decode()
    assert "\r\x1b[Kinlet-read-files: 2 items" in text
    assert "1 live partitions  epoch 1" in text
    assert "2 items from 1 partitions" in text


def test_no_progress_line_when_stderr_is_a_file(dev_build: pathlib.Path, tmp_path: pathlib.Path):
    (tmp_path / "a.log").write_text("one\n")
    result = subprocess.run(
        [str(dev_build / "examples/inlet-read-files"), str(tmp_path / "*.log")],
        capture_output=True, text=True, check=True)
    assert "\r" not in result.stderr
    assert result.stderr.startswith("inlet-read-files: 1 items from 1 partitions")
