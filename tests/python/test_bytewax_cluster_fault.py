"""inlet.bytewax.FileSource in a real Bytewax cluster (bytewax 0.21.1) of two
processes, `-i 0` and `-i 1` over loopback, under Bytewax's recovery: one
process is SIGKILLed mid-stream, then the cluster is resumed from the
recovery store with both processes and runs to the end."""

import collections
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

FLOW = pathlib.Path(__file__).with_name("bytewax_flow.py")
FILES, LINES = 4, 1500
DELAY = 0.002  # Seconds every item sleeps in the flow's map step, one item at a time.
SNAPSHOT = 1  # Bytewax's -s in seconds: the length of an epoch and its snapshot.
KILL_AT = 1000  # Lines the victim has written when it is killed, about 2 epochs in.
TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_cluster(data: pathlib.Path, out: pathlib.Path, recovery: pathlib.Path, run: str):
    """Starts the two processes of one run in `data`; returns (process, its
    stderr file) for `-i 0` and `-i 1`."""
    addresses = ";".join(f"127.0.0.1:{free_port()}" for _ in range(2))
    # Relative names are the partition keys, so which process owns which file
    # does not depend on tmp_path.
    env = dict(os.environ, INLET_FLOW_OUT=str(out), INLET_FLOW_RUN=run,
               INLET_FLOW_FILES=os.pathsep.join(f"part-{f}.txt" for f in range(FILES)),
               INLET_FLOW_BATCH="10", INLET_FLOW_DELAY=str(DELAY))
    cluster = []
    for index in range(2):
        stderr = out / f"{run}-{index}.stderr"
        with stderr.open("w") as sink:
            cluster.append((subprocess.Popen(
                [sys.executable, "-m", "bytewax.run", str(FLOW), "-w", "1", "-i", str(index),
                 "-a", addresses, "-r", str(recovery), "-s", str(SNAPSHOT), "-b", "0"],
                cwd=data, env=env, stdout=subprocess.DEVNULL, stderr=sink), stderr))
    return cluster


def written(out: pathlib.Path, run: str, pid: int | None = None):
    """The lines a run wrote, or those of the process `pid`."""
    return [json.loads(line) for path in sorted(out.glob(f"{run}-{pid or ''}*.jsonl"))
            for line in path.read_text().splitlines()]


def numbers(lines, f: int):
    return sorted(int(line.split()[-1]) for line in lines if line.startswith(f"file {f} "))


def test_a_cluster_resumes_after_one_process_is_sigkilled(inlet_package, tmp_path):
    """When `-i 1` is SIGKILLed, `-i 0` fails on its own within a fraction of
    a second: its timely send thread panics on the closed socket
    ("PanicException: Send thread panic") and it exits with status 1.

    The resumed cluster starts every file at the offset of the last epoch
    that both workers completed, so it repeats what the killed run wrote
    after that epoch: at most the epoch in progress at the kill and the one
    before it, whose snapshot may still have been in flight. Each item sleeps
    DELAY in the flow, one at a time per worker, so a worker writes at most
    SNAPSHOT / DELAY items an epoch: at most 2 * SNAPSHOT / DELAY repeats a
    worker (1000; 40 to 180 were seen)."""
    data, out, recovery = (tmp_path / name for name in ("data", "out", "recovery"))
    for directory in (data, out, recovery):
        directory.mkdir()
    expected = []
    for f in range(FILES):
        content = [f"file {f} line {n}" for n in range(LINES)]
        (data / f"part-{f}.txt").write_text("".join(line + "\n" for line in content))
        expected += content
    subprocess.run([sys.executable, "-m", "bytewax.recovery", str(recovery), "2"], check=True)

    first = start_cluster(data, out, recovery, "first")
    (survivor, survivor_log), (victim, victim_log) = first
    try:
        deadline = time.monotonic() + TIMEOUT
        while len(written(out, "first", victim.pid)) < KILL_AT:
            for process, log in first:
                assert process.poll() is None, f"a process ended early:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"-i 1 wrote under {KILL_AT} lines"
            time.sleep(0.01)
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(timeout=TIMEOUT) == -signal.SIGKILL
        status = survivor.wait(timeout=30)
    finally:
        for process, _ in first:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert status == 1 and "PanicException" in survivor_log.read_text(), (
        f"-i 0 after -i 1 was killed: exit {status}\n{survivor_log.read_text()[-3000:]}")

    second = start_cluster(data, out, recovery, "second")
    try:
        for index, (process, log) in enumerate(second):
            assert process.wait(timeout=TIMEOUT) == 0, f"-i {index}:\n{log.read_text()[-3000:]}"
    finally:
        for process, _ in second:
            if process.poll() is None:
                process.kill()
                process.wait()

    read_first, read_second = written(out, "first"), written(out, "second")
    assert set(read_first) | set(read_second) == set(expected), "nothing lost"
    assert len(set(read_first)) == len(read_first) and len(set(read_second)) == len(read_second)
    repeats = collections.Counter()
    for f in range(FILES):
        before, after = numbers(read_first, f), numbers(read_second, f)
        assert before == list(range(len(before))), f"file {f}: the killed run read in order"
        assert after == list(range(after[0], LINES)), f"file {f}: resumed at one offset"
        assert 0 < after[0] <= len(before), (
            f"file {f}: resumed at line {after[0]} after the killed run wrote {len(before)}")
        owner = "-i 1" if f"file {f} line 0" in written(out, "first", victim.pid) else "-i 0"
        repeats[owner] += len(before) - after[0]
    print(f"repeats per process: {dict(repeats)}")
    assert set(repeats) == {"-i 0", "-i 1"}, "both processes read files"
    for owner, count in repeats.items():
        assert count <= 2 * SNAPSHOT / DELAY, f"{owner} repeated {count} lines"
