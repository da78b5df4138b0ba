"""Acknowledgement under Bytewax 0.21.1 and Pathway 0.33: neither engine tells
a source when what it read is durable, so inlet's adapters never call
`Committed` (partitions) or `OnCommitted` (subjects) there, and nothing is
ever acknowledged that a crash could lose. docs/reliability.md says why.

The Bytewax case runs real Bytewax recovery: a run SIGKILLed mid-stream, then
resumed from Bytewax's recovery store to the end."""

import json
import os
import pathlib
import signal
import subprocess
import sys

FLOW = pathlib.Path(__file__).with_name("bytewax_flow.py")
PARTITIONS, LIMIT = 2, 1500
SNAPSHOT = 1  # Bytewax's -s in seconds.
DELAY = 0.002  # Seconds every item waits in the flow: about 1.5 epochs before the kill.
KILL_AFTER = 1500
TIMEOUT = 120


def run_flow(connector_dir: pathlib.Path, out: pathlib.Path, recovery: pathlib.Path, run: str,
             ack_log: pathlib.Path, kill_after: int = 0) -> subprocess.CompletedProcess:
    env = dict(os.environ, INLET_FLOW_OUT=str(out), INLET_FLOW_RUN=run,
               INLET_FLOW_COUNTERS=f"{PARTITIONS}:{LIMIT}", INLET_FLOW_BATCH="10",
               INLET_FLOW_DELAY=str(DELAY), INLET_FLOW_KILL_AFTER=str(kill_after),
               INLET_FLOW_ACK_LOG=str(ack_log),
               PYTHONPATH=os.pathsep.join([str(connector_dir), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-m", "bytewax.run", str(FLOW), "-r", str(recovery), "-s", str(SNAPSHOT),
         "-b", "0"], env=env, capture_output=True, text=True, timeout=TIMEOUT)


def written(out: pathlib.Path, run: str) -> list[str]:
    return [json.loads(line) for path in sorted(out.glob(f"{run}-*.jsonl"))
            for line in path.read_text().splitlines()]


def test_bytewax_acknowledges_nothing_and_a_resumed_run_loses_nothing(connector_dir, tmp_path):
    out, recovery = tmp_path / "out", tmp_path / "recovery"
    out.mkdir()
    recovery.mkdir()
    ack_log = tmp_path / "acks.txt"
    subprocess.run([sys.executable, "-m", "bytewax.recovery", str(recovery), "1"], check=True)

    killed = run_flow(connector_dir, out, recovery, "first", ack_log, kill_after=KILL_AFTER)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    resumed = run_flow(connector_dir, out, recovery, "second", ack_log)
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    assert not ack_log.exists(), f"Committed was called under Bytewax:\n{ack_log.read_text()}"
    first, second = written(out, "first"), written(out, "second")
    expected = {f"c{p} {n}" for p in range(PARTITIONS) for n in range(LIMIT)}
    assert set(first) | set(second) == expected, "nothing lost"
    # The second run resumed from Bytewax's snapshots, not from the start.
    starts = [min(int(line.split()[1]) for line in second if line.startswith(f"c{p} "))
              for p in range(PARTITIONS)]
    assert any(start > 0 for start in starts), f"resumed at {starts}"


def test_pathway_never_tells_a_subject_what_is_durable(connector, pw, tmp_path):
    import inlet.pathway

    ack_log = tmp_path / "acks.txt"
    out = tmp_path / "out.jsonl"
    table = inlet.pathway.read(connector.Acked(200, str(ack_log)))
    pw.io.jsonlines.write(table, str(out))
    pw.run(monitoring_level=pw.MonitoringLevel.NONE)

    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(int(row["data"]) for row in rows) == list(range(1, 201))
    assert not ack_log.exists(), f"OnCommitted or Seek was called under Pathway:\n" \
                                 f"{ack_log.read_text()}"
