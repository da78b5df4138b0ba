"""Crash recovery of a resumable subject: `inlet-resumable-subject` reads a
file through a ConnectorSubject that reports the offset after each line and
seeks to it on resume. With a recovery file and a file output it is killed
with SIGKILL at random instants (some in its first milliseconds, while it
opens its store) and restarted, until a run completes. The output must then
hold every line of the file exactly once, in file order.

The seed and the kill loop are crash_support's.
"""

import pathlib
import random
import subprocess

from crash_support import (SEED, assert_same_lines, items_read, kill_at_random_instants,
                           read_json_strings, wait_to_end)

PROGRAM = "inlet-resumable-subject"
LINES_PER_CHUNK = 60_000
KILLS = 15
NORMAL_DELAY = (0.03, 0.3)
SHORT_EVERY = 4
SHORT_DELAY = (0.001, 0.01)
EPOCH_INTERVAL = "5ms"


class Runs:
    """The input file, the recovery file, the output and the runs' logs."""

    def __init__(self, program: pathlib.Path, tmp_path: pathlib.Path):
        self.program = program
        self.input = tmp_path / "input.txt"
        self.input.write_text("")
        self.lines: list[str] = []
        self.db = tmp_path / "recovery.db"
        self.out = tmp_path / "out.jsonl"
        self.logs = tmp_path / "logs"
        self.logs.mkdir()
        self.count = 0
        self.append_lines()

    def append_lines(self):
        """Appends a chunk of lines: the subject resumes in the middle of the
        file, or at its former end when a run had read all of it."""
        first = len(self.lines)
        chunk = [f"line {n:07d} {'x' * (n % 23)}" for n in range(first, first + LINES_PER_CHUNK)]
        with self.input.open("a") as file:
            file.write("".join(line + "\n" for line in chunk))
        self.lines.extend(chunk)

    def start(self) -> tuple[subprocess.Popen, pathlib.Path]:
        self.count += 1
        stderr = self.logs / f"run-{self.count}.err"
        command = [str(self.program), "--recovery-db", str(self.db), "--output", str(self.out),
                   f"--epoch-interval={EPOCH_INTERVAL}", str(self.input)]
        with open(stderr, "wb") as err:
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err,
                                       stdin=subprocess.DEVNULL)
        return process, stderr

    def run(self) -> tuple[int, str]:
        return wait_to_end(*self.start())


def test_sigkill_at_random_instants_then_every_line_exactly_once_in_order(
        dev_build: pathlib.Path, tmp_path: pathlib.Path):
    print(f"seed={SEED} (INLET_CRASH_SEED to change)")
    runs = Runs(dev_build / "examples" / PROGRAM, tmp_path)
    kills, short_kills, started = kill_at_random_instants(
        lambda attempt: runs.start(), random.Random(SEED), kills=KILLS,
        normal_delay=NORMAL_DELAY, short_every=SHORT_EVERY, short_delay=SHORT_DELAY,
        on_completed=runs.append_lines)
    print(f"{kills} kills, {short_kills} short kills, {started} runs, {len(runs.lines)} lines")

    status, stderr = runs.run()
    assert status == 0, f"seed={SEED}: the final run failed:\n{stderr}"
    assert "resumed after epoch" in stderr, f"seed={SEED}: nothing was committed before:\n{stderr}"
    assert items_read(PROGRAM, stderr) < len(runs.lines)
    values = read_json_strings(runs.out)
    assert_same_lines(runs.out, values, runs.lines)
    assert values == runs.lines, f"seed={SEED}: {runs.out} is out of file order"

    out_before = runs.out.read_bytes()
    status, stderr = runs.run()
    assert status == 0, stderr
    assert items_read(PROGRAM, stderr) == 0, stderr
    assert runs.out.read_bytes() == out_before
