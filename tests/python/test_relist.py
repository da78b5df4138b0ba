"""Partitions found while running, with the real program: `inlet-read-files
--relist-interval` reads files created in its directory while it runs, and
runs SIGKILLed at random instants while files keep arriving, each resumed,
write every line of every file exactly once.
"""

import pathlib
import random
import signal
import subprocess
import threading
import time

from crash_support import (RUN_TIMEOUT, SEED, assert_same_lines, read_json_strings,
                           wait_for_output, wait_to_end)

PROGRAM = "inlet-read-files"
LINES_PER_FILE = 20_000


def write_file(directory: pathlib.Path, name: str, lines: int) -> list[str]:
    values = [f"{name}-{i:06d}" for i in range(lines)]
    # Written aside and renamed, so a listing never sees half a file.
    partial = directory.parent / f"{name}.partial"
    partial.write_text("".join(v + "\n" for v in values))
    partial.rename(directory / f"{name}.txt")
    return values


def line_count(out: pathlib.Path) -> int:
    if not out.exists():
        return 0
    with open(out, "rb") as f:
        return f.read().count(b"\n")


def wait_for_lines(process: subprocess.Popen, out: pathlib.Path, count: int):
    deadline = time.monotonic() + RUN_TIMEOUT
    while line_count(out) < count:
        assert process.poll() is None, "the run ended before reading everything"
        assert time.monotonic() < deadline, f"{line_count(out)} of {count} lines after " \
                                            f"{RUN_TIMEOUT} s"
        time.sleep(0.01)


def start(program: pathlib.Path, args: list[str], stderr: pathlib.Path) -> subprocess.Popen:
    with open(stderr, "wb") as err:
        return subprocess.Popen([str(program), *args], stdout=subprocess.DEVNULL, stderr=err,
                                stdin=subprocess.DEVNULL)


def test_files_created_while_running_are_read(dev_build: pathlib.Path, tmp_path: pathlib.Path):
    program = dev_build / "examples" / PROGRAM
    directory = tmp_path / "in"
    directory.mkdir()
    expected = write_file(directory, "first", 100) + write_file(directory, "second", 100)
    out, stderr = tmp_path / "out.jsonl", tmp_path / "run.err"
    process = start(program, ["--relist-interval=20ms", "--workers=2", f"--output={out}",
                              str(directory / "*.txt")], stderr)
    try:
        wait_for_lines(process, out, len(expected))
        for name in ("third", "fourth", "fifth"):
            expected += write_file(directory, name, 100)
        wait_for_lines(process, out, len(expected))
        # A file that disappears is not an error: it had been read whole.
        (directory / "first.txt").unlink()
        time.sleep(0.1)
        assert process.poll() is None, "a run that relists ends only when stopped"
    finally:
        process.send_signal(signal.SIGINT)
    status, log = wait_to_end(process, stderr)
    assert status == 0, log
    assert_same_lines(out, read_json_strings(out), expected)
    assert log.count("is no longer returned by ListParts") == 1, log
    assert "500 items from 5 partitions" in log.replace(",", ""), log


def test_sigkill_while_files_arrive_then_every_line_exactly_once(dev_build: pathlib.Path,
                                                                 tmp_path: pathlib.Path):
    print(f"seed={SEED} (INLET_CRASH_SEED to change)")
    rng = random.Random(SEED)
    program = dev_build / "examples" / PROGRAM
    directory = tmp_path / "in"
    directory.mkdir()
    db, out, logs = tmp_path / "recovery.db", tmp_path / "out.jsonl", tmp_path / "logs"
    logs.mkdir()
    expected = write_file(directory, "f000", LINES_PER_FILE)

    def args(run: int) -> list[str]:
        return [f"--recovery-db={db}", f"--output={out}", "--epoch-interval=10ms",
                "--relist-interval=10ms", f"--workers={1 + run % 2}", str(directory / "*.txt")]

    for run in range(8):
        process = start(program, args(run), logs / f"run-{run}.err")
        # A file arrives while the run goes on, at a random instant.
        arrival = threading.Timer(rng.uniform(0.0, 0.1), lambda r=run: expected.extend(
            write_file(directory, f"f{r + 1:03d}", LINES_PER_FILE)))
        arrival.start()
        time.sleep(rng.uniform(0.05, 0.2))
        process.send_signal(signal.SIGKILL)
        arrival.join()
        assert process.wait(timeout=RUN_TIMEOUT) == -signal.SIGKILL, \
            (logs / f"run-{run}.err").read_text()

    process = start(program, args(8), logs / "final.err")
    wait_for_output(process, out)
    wait_for_lines(process, out, len(expected))
    process.send_signal(signal.SIGINT)
    status, log = wait_to_end(process, logs / "final.err")
    assert status == 0, f"seed={SEED}: {log}"
    assert "resumed after epoch" in log, log
    assert_same_lines(out, read_json_strings(out), expected)
