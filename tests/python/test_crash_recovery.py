"""Crash recovery of the real program: `inlet-read-files` with a recovery file
and a file output is killed with SIGKILL at random instants, also while it
opens its store and while it commits epochs, and restarted, possibly with
another worker count, until a run completes. The output must then hold every
input line exactly once, each file's lines in file order.

The seed and the kill loop are crash_support's.
"""

import collections
import os
import pathlib
import random
import signal
import subprocess
import time

import pytest

from crash_support import (RUN_TIMEOUT, SEED, assert_same_lines, items_read,
                           kill_at_random_instants, read_json_strings, wait_for_output,
                           wait_to_end)

FILES_PER_GENERATION = 16
LINES_PER_FILE = 100_000

# Kills at a delay in NORMAL_DELAY, counted while the process was still
# running; every SHORT_EVERY-th run is killed after a delay in SHORT_DELAY
# instead, while it opens the store, restores the output or commits its
# first epochs.
KILLS = 20
NORMAL_DELAY = (0.02, 0.25)
SHORT_EVERY = 5
SHORT_DELAY = (0.002, 0.015)

EPOCH_INTERVAL = "5ms"
PROGRAM = "inlet-read-files"


def generation_lines(generation: int) -> dict[str, list[str]]:
    """The lines of every file of one generation, by file name."""
    files = {}
    for f in range(FILES_PER_GENERATION):
        stem = f"g{generation}-f{f:02d}"
        files[f"{stem}.txt"] = [f"{stem}-{i:06d}" for i in range(LINES_PER_FILE)]
    return files


def write_generation(directory: pathlib.Path, generation: int) -> dict[str, list[str]]:
    files = generation_lines(generation)
    for name, lines in files.items():
        (directory / name).write_text("".join(line + "\n" for line in lines))
    return files


@pytest.fixture(scope="module")
def first_generation(tmp_path_factory) -> tuple[pathlib.Path, dict[str, list[str]]]:
    """Generation 0 on disk, written once for the module; tests link it."""
    directory = tmp_path_factory.mktemp("generation-0")
    return directory, write_generation(directory, 0)


class Workspace:
    """One test's input directory, recovery file, output and run logs.

    The input starts as generation 0 (hard links to the module's copy); a
    test may add generations, which the next run picks up as new partitions.
    """

    def __init__(self, program: pathlib.Path, tmp_path: pathlib.Path, first_generation):
        source, files = first_generation
        self.program = program
        self.input = tmp_path / "in"
        self.input.mkdir()
        for name in files:
            os.link(source / name, self.input / name)
        self.files = dict(files)
        self.generations = 1
        self.db = tmp_path / "recovery.db"
        self.out = tmp_path / "out.jsonl"
        self.logs = tmp_path / "logs"
        self.logs.mkdir()
        self.runs = 0

    def add_generation(self):
        self.files.update(write_generation(self.input, self.generations))
        self.generations += 1

    def total_lines(self) -> int:
        return sum(len(lines) for lines in self.files.values())

    def start(self, workers: int) -> tuple[subprocess.Popen, pathlib.Path]:
        """Starts one run; returns the process and the file its stderr goes to."""
        self.runs += 1
        stdout = self.logs / f"run-{self.runs}.out"
        stderr = self.logs / f"run-{self.runs}.err"
        command = [str(self.program), "--recovery-db", str(self.db), "--output", str(self.out),
                   f"--epoch-interval={EPOCH_INTERVAL}", f"--workers={workers}",
                   str(self.input / "*.txt")]
        with open(stdout, "wb") as out, open(stderr, "wb") as err:
            process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        return process, stderr

    def run(self, workers: int) -> tuple[int, str]:
        """Runs to the end; returns the exit status and stderr."""
        return wait_to_end(*self.start(workers))

    def wait_for_output(self, process: subprocess.Popen):
        wait_for_output(process, self.out)


def assert_exactly_once(out: pathlib.Path, files: dict[str, list[str]]):
    """`out` holds every line of `files` once as a JSON string, nothing else,
    and the lines of each file in file order."""
    values = read_json_strings(out)
    assert_same_lines(out, values, [line for lines in files.values() for line in lines])
    by_file = collections.defaultdict(list)
    for value in values:
        by_file[value.rsplit("-", 1)[0] + ".txt"].append(value)
    for name, lines_of_file in files.items():
        assert by_file[name] == lines_of_file, f"{out}: the lines of {name} are out of order"


@pytest.fixture
def workspace(dev_build: pathlib.Path, tmp_path: pathlib.Path, first_generation) -> Workspace:
    return Workspace(dev_build / "examples/inlet-read-files", tmp_path, first_generation)


@pytest.mark.parametrize("worker_cycle", [(2,), (1, 2)], ids=["2-workers", "1-2-1-workers"])
def test_sigkill_at_random_instants_then_every_line_exactly_once(workspace: Workspace,
                                                                 worker_cycle: tuple[int, ...]):
    print(f"seed={SEED} (INLET_CRASH_SEED to change)")
    # A run that reads everything before its kill gets another generation
    # of input, so the remaining kills stay meaningful on a faster machine.
    kills, short_kills, attempt = kill_at_random_instants(
        lambda attempt: workspace.start(worker_cycle[attempt % len(worker_cycle)]),
        random.Random(SEED), kills=KILLS, normal_delay=NORMAL_DELAY, short_every=SHORT_EVERY,
        short_delay=SHORT_DELAY, on_completed=workspace.add_generation)
    print(f"{kills} kills, {short_kills} short kills, {workspace.runs} runs, "
          f"{workspace.generations} generation(s) of input")

    status, stderr = workspace.run(worker_cycle[attempt % len(worker_cycle)])
    assert status == 0, f"seed={SEED}: the final run failed:\n{stderr}"
    assert "resumed after epoch" in stderr, f"seed={SEED}: nothing was committed before:\n{stderr}"
    assert items_read(PROGRAM, stderr) < workspace.total_lines()
    assert_exactly_once(workspace.out, workspace.files)

    out_before = workspace.out.read_bytes()
    for workers in (1, 2):
        status, stderr = workspace.run(workers)
        assert status == 0, stderr
        assert items_read(PROGRAM, stderr) == 0, stderr
        assert workspace.out.read_bytes() == out_before


def test_sigint_stops_in_order_and_the_next_run_reads_only_the_rest(workspace: Workspace):
    process, stderr_path = workspace.start(2)
    try:
        workspace.wait_for_output(process)
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=RUN_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stopped = stderr_path.read_text()
    assert status == 0, stopped
    assert "stopped by signal" in stopped
    first = items_read(PROGRAM, stopped)
    assert 0 < first < workspace.total_lines()

    status, finished = workspace.run(1)
    assert status == 0, finished
    assert "resumed after epoch" in finished
    # Nothing after the stop's epoch was read, so nothing is read twice.
    assert first + items_read(PROGRAM, finished) == workspace.total_lines()
    assert_exactly_once(workspace.out, workspace.files)


def test_corrupt_recovery_file_fails_and_changes_nothing(workspace: Workspace):
    process, _ = workspace.start(2)
    try:
        workspace.wait_for_output(process)
        time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    # A kill mid-run leaves lines past the last committed length in the
    # output, which a run that went on despite the bad file would truncate.
    size = workspace.db.stat().st_size
    workspace.db.write_bytes(random.Random(SEED).randbytes(size))
    for leftover in (workspace.db.with_name("recovery.db-wal"),
                     workspace.db.with_name("recovery.db-shm")):
        leftover.unlink(missing_ok=True)
    db_before = workspace.db.read_bytes()
    out_before = workspace.out.read_bytes()
    listing_before = sorted(p.name for p in workspace.db.parent.iterdir())

    status, stderr = workspace.run(2)
    assert status == 1, stderr
    assert f"recovery file {workspace.db}" in stderr
    assert workspace.db.read_bytes() == db_before
    assert workspace.out.read_bytes() == out_before
    assert sorted(p.name for p in workspace.db.parent.iterdir()) == listing_before
