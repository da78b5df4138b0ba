"""What the SIGKILL tests share: the seed, a loop that kills runs of a real
program at random instants, and the checks of a JSON-lines output.

Kill delays come from `random.Random(SEED)`; the seed is printed by the tests
(pytest shows it with a failure) and can be replaced with
INLET_CRASH_SEED=<int> to explore other schedules.
"""

import collections
import json
import os
import pathlib
import random
import re
import signal
import subprocess
import time
from typing import Callable

import pytest

SEED = int(os.environ.get("INLET_CRASH_SEED", "20261123"))
RUN_TIMEOUT = 120


def kill_at_random_instants(start: Callable[[int], tuple[subprocess.Popen, pathlib.Path]],
                            rng: random.Random, *, kills: int, normal_delay: tuple[float, float],
                            short_every: int, short_delay: tuple[float, float],
                            on_completed: Callable[[], None]) -> tuple[int, int, int]:
    """Starts runs with `start(attempt)` (the process and the file its stderr
    goes to) and SIGKILLs each after a delay in `normal_delay`, until `kills`
    runs were killed while still running; every `short_every`-th run is
    killed after a delay in `short_delay` instead (not counted in `kills`).
    A run that ends before its kill must succeed; `on_completed()` then adds
    input so later kills still land mid-run. Returns the kills, the short
    kills and the number of runs started."""
    killed = short_killed = attempt = 0
    while killed < kills:
        short = attempt % short_every == short_every - 1
        delay = rng.uniform(*(short_delay if short else normal_delay))
        process, stderr = start(attempt)
        attempt += 1
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        status = process.wait(timeout=RUN_TIMEOUT)
        if status == -signal.SIGKILL:
            if short:
                short_killed += 1
            else:
                killed += 1
            continue
        assert status == 0, f"seed={SEED} run {attempt}: exit {status}\n{stderr.read_text()}"
        on_completed()
    return killed, short_killed, attempt


def wait_to_end(process: subprocess.Popen, stderr: pathlib.Path) -> tuple[int, str]:
    """Waits for `process` to end (killing it after RUN_TIMEOUT); returns its
    exit status and what it wrote to `stderr`."""
    try:
        status = process.wait(timeout=RUN_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return status, stderr.read_text()


def wait_for_output(process: subprocess.Popen, out: pathlib.Path):
    """Returns once the running process has flushed its first lines to `out`."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while not (out.exists() and out.stat().st_size > 0):
        assert process.poll() is None, "the run ended before writing anything"
        assert time.monotonic() < deadline, f"no output after {RUN_TIMEOUT} s"
        time.sleep(0.005)


def items_read(program: str, stderr: str) -> int:
    """The item count of `program`'s summary line."""
    match = re.search(re.escape(program) + r": ([\d,]+) items from \d+ partitions", stderr)
    assert match, f"no summary line in stderr:\n{stderr}"
    return int(match.group(1).replace(",", ""))


def read_json_strings(out: pathlib.Path) -> list[str]:
    """The values of `out`, which must be whole JSON lines holding one string each."""
    text = out.read_text()
    assert text.endswith("\n"), f"{out} ends in a partial line: {text[-80:]!r}"
    lines = text.splitlines()
    try:
        values = json.loads("[" + ",".join(lines) + "]")
    except json.JSONDecodeError:
        for number, line in enumerate(lines, 1):
            try:
                json.loads(line)
            except json.JSONDecodeError as error:
                pytest.fail(f"{out}:{number} is not JSON ({error}): {line!r}")
        raise
    assert len(values) == len(lines), f"{out}: a line holds more than one JSON value"
    bad = next((v for v in values if not isinstance(v, str)), None)
    assert bad is None, f"{out} holds a non-string {bad!r}"
    return values


def assert_same_lines(out: pathlib.Path, values: list[str], expected: list[str]):
    """`values` (read from `out`) hold each of `expected` once, in any order."""
    if sorted(values) == sorted(expected):
        return
    counts = collections.Counter(values)
    duplicated = sorted(v for v, n in counts.items() if n > 1)
    missing = sorted(set(expected) - counts.keys())
    unexpected = sorted(counts.keys() - set(expected))
    pytest.fail(f"{out}: {len(values)} lines, {len(expected)} expected; "
                f"{len(duplicated)} duplicated (first {duplicated[:5]}), "
                f"{len(missing)} missing (first {missing[:5]}), "
                f"{len(unexpected)} unexpected (first {unexpected[:5]})")
