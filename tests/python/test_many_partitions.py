"""Many partitions on few workers, with the real program: `inlet-read-files`
over more one-line files than its open-file limit allows at once reads them
all (each worker keeps a bounded number open), and a run with the bound in
effect, SIGKILLed at random instants and resumed, writes every line exactly
once, including the lines of files no worker had opened before the kill.

The seed and the kill loop are crash_support's.
"""

import pathlib
import random
import resource
import subprocess

import pytest

from crash_support import (SEED, assert_same_lines, items_read,
                           kill_at_random_instants, read_json_strings, wait_to_end)

PROGRAM = "inlet-read-files"
# Under this open-file limit the default bound is (256 - 64) / 2 / 2 = 48
# files per worker.
NOFILE = 256
FILES = 2_000


def limit_open_files():
    resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))


@pytest.fixture(scope="module")
def one_line_files(tmp_path_factory) -> tuple[pathlib.Path, list[str]]:
    directory = tmp_path_factory.mktemp("one-line-files")
    lines = []
    for i in range(FILES):
        line = f"file {i:05d}"
        (directory / f"f{i:05d}.txt").write_text(line + "\n")
        lines.append(line)
    return directory, lines


def run(program: pathlib.Path, args: list[str], tmp_path: pathlib.Path,
        name: str) -> tuple[int, str]:
    stderr = tmp_path / f"{name}.err"
    with open(stderr, "wb") as err:
        process = subprocess.Popen([str(program), *args], stdout=subprocess.DEVNULL, stderr=err,
                                   stdin=subprocess.DEVNULL, preexec_fn=limit_open_files)
    return wait_to_end(process, stderr)


def test_more_files_than_the_open_file_limit_are_all_read(dev_build: pathlib.Path,
                                                          tmp_path: pathlib.Path,
                                                          one_line_files):
    program = dev_build / "examples" / PROGRAM
    directory, lines = one_line_files
    out = tmp_path / "out.jsonl"
    status, stderr = run(program, ["--workers=2", f"--output={out}", str(directory / "*.txt")],
                         tmp_path, "bounded")
    assert status == 0, stderr
    assert items_read(PROGRAM, stderr) == FILES
    assert_same_lines(out, read_json_strings(out), lines)

    # Without the bound the same run exhausts its descriptors: the bound is
    # what makes it pass.
    status, stderr = run(program, ["--workers=2", f"--max-open-partitions={FILES}",
                                   f"--output={tmp_path / 'unbounded.jsonl'}",
                                   str(directory / "*.txt")], tmp_path, "unbounded")
    assert status == 1, stderr
    assert "Too many open files" in stderr, stderr


def test_sigkill_with_the_bound_in_effect_then_every_line_exactly_once(dev_build: pathlib.Path,
                                                                       tmp_path: pathlib.Path,
                                                                       one_line_files):
    print(f"seed={SEED} (INLET_CRASH_SEED to change)")
    program = dev_build / "examples" / PROGRAM
    directory, lines = one_line_files
    db, out, logs = tmp_path / "recovery.db", tmp_path / "out.jsonl", tmp_path / "logs"
    logs.mkdir()

    def start(attempt: int) -> tuple[subprocess.Popen, pathlib.Path]:
        stderr = logs / f"run-{attempt}.err"
        command = [str(program), f"--recovery-db={db}", f"--output={out}",
                   "--epoch-interval=20ms", "--max-open-partitions=7",
                   f"--workers={1 + attempt % 2}", str(directory / "*.txt")]
        with open(stderr, "wb") as err:
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err,
                                       stdin=subprocess.DEVNULL)
        return process, stderr

    def completed():
        pytest.fail(f"seed={SEED}: a run read all {FILES} files before its kill; "
                    "the kill delays are too long for this machine")

    kills, short_kills, attempt = kill_at_random_instants(
        start, random.Random(SEED), kills=6, normal_delay=(0.05, 0.3), short_every=4,
        short_delay=(0.002, 0.015), on_completed=completed)
    status, stderr = wait_to_end(*start(attempt))
    assert status == 0, f"seed={SEED}: the final run failed:\n{stderr}"
    assert "resumed after epoch" in stderr, stderr
    assert items_read(PROGRAM, stderr) < FILES
    assert_same_lines(out, read_json_strings(out), lines)
