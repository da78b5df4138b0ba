"""inlet's sources under the real Bytewax runtime (bytewax 0.21.1): in
process (run_main), with two workers, with two processes of two workers,
through Bytewax's recovery after a SIGKILL, against Bytewax's own FileSource,
and with a connector that fails."""

import collections
import json
import os
import pathlib
import signal
import subprocess
import sys

import pytest

FLOW = pathlib.Path(__file__).with_name("bytewax_flow.py")


@pytest.fixture(scope="module")
def bytewax_env(connector_dir):
    """The environment of a Bytewax process that can import inlet and the
    test connector."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(connector_dir), os.environ.get("PYTHONPATH", "")]))


def write_files(directory: pathlib.Path, files: int, lines: int):
    """`files` files of `lines` unique lines; returns the paths and lines."""
    paths, expected = [], []
    for f in range(files):
        path = directory / f"part-{f}.txt"
        content = [f"file {f} line {n}" for n in range(lines)]
        path.write_text("".join(line + "\n" for line in content))
        paths.append(path)
        expected += content
    return paths, expected


def run_flow(module, args, env, out: pathlib.Path, run="run", timeout=120, **settings):
    """Runs `python -m <module> bytewax_flow.py <args>`; returns the process."""
    env = dict(env, INLET_FLOW_OUT=str(out), INLET_FLOW_RUN=run,
               **{f"INLET_FLOW_{key.upper()}": str(value) for key, value in settings.items()})
    return subprocess.run([sys.executable, "-m", module, str(FLOW), *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def outputs(out: pathlib.Path, run="run"):
    """{output file name: [items]} of one run."""
    return {path.name: [json.loads(line) for line in path.read_text().splitlines()]
            for path in sorted(out.glob(f"{run}-*.jsonl"))}


def collect(flow_source):
    """Every item `flow_source` yields under run_main, in order."""
    import bytewax.operators as op
    from bytewax.dataflow import Dataflow
    from bytewax.testing import TestingSink, run_main

    items = []
    flow = Dataflow("collect")
    op.output("out", op.input("in", flow, flow_source), TestingSink(items))
    run_main(flow)
    return items


def test_run_main_reads_every_line_and_json_line(inlet_package, tmp_path):
    import inlet.bytewax

    paths, expected = write_files(tmp_path, files=3, lines=2500)
    assert sorted(collect(inlet.bytewax.FileSource(paths, batch_size=100))) == sorted(expected)
    jsonl = tmp_path / "records.jsonl"
    jsonl.write_text('{"id": 1, "tags": ["a"]}\n[true, null]\n"text"\n2.5\n')
    assert collect(inlet.bytewax.JsonLinesSource(jsonl)) == [
        {"id": 1, "tags": ["a"]}, [True, None], "text", 2.5]


def test_json_lines_parse_as_json_loads_does(inlet_package, tmp_path):
    import inlet.bytewax

    lines = ['{"a": {"b": [1, 2.5, -3e2, true, false, null]}, "c": "\\u00e9\\n\\"q\\""}',
             '18446744073709551615', '-9223372036854775808', '[]', '{}', '"caf\u00e9 \u2615"',
             '  {"padded": 1}  ', '[[[]], {"k": {}}]', '0.1', '{"dup": 1, "dup": 2}']
    path = tmp_path / "values.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    assert collect(inlet.bytewax.JsonLinesSource(path, batch_size=3)) == [
        json.loads(line) for line in lines]


def test_keyed_pairs_feed_a_stateful_operator(connector_dir):
    import bytewax.operators as op
    from bytewax.dataflow import Dataflow
    from bytewax.testing import TestingSink, run_main

    import inlet.bytewax
    import inlet_test_connector

    totals = []
    flow = Dataflow("keyed")
    counts = op.input("in", flow, inlet.bytewax.PartitionedSource(
        inlet_test_connector.Counters(["a", "b"], limit=100, batch_size=7)))
    op.output("out", op.reduce_final("sum", counts, lambda x, y: x + y), TestingSink(totals))
    run_main(flow)
    assert sorted(totals) == [("a", 4950), ("b", 4950)]


def test_two_workers_share_the_partitions(bytewax_env, tmp_path):
    paths, expected = write_files(tmp_path, files=4, lines=3000)
    done = run_flow("bytewax.run", ["-w", "2"], bytewax_env, tmp_path,
                    files=os.pathsep.join(map(str, paths)), batch=200)
    assert done.returncode == 0, done.stderr
    written = outputs(tmp_path)
    assert sorted(item for items in written.values() for item in items) == sorted(expected)
    assert len([items for items in written.values() if items]) == 2


def test_one_json_lines_file_in_byte_ranges_is_shared_by_two_workers(bytewax_env, tmp_path):
    records = [{"n": n, "pad": "x" * (n % 50)} for n in range(6000)]
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    done = run_flow("bytewax.run", ["-w", "2"], bytewax_env, tmp_path, jsonl=path,
                    split=path.stat().st_size // 7, batch=100)
    assert done.returncode == 0, done.stderr
    written = outputs(tmp_path)
    read = [item for items in written.values() for item in items]
    assert sorted(read, key=lambda r: r["n"]) == records, "every record once"
    assert len([items for items in written.values() if items]) == 2, "both workers read"


def test_split_bytes_is_checked_when_the_source_is_made(inlet_package, tmp_path):
    import inlet.bytewax

    with pytest.raises(ValueError, match="split_bytes must not be negative, got -1"):
        inlet.bytewax.JsonLinesSource(tmp_path / "a.jsonl", split_bytes=-1)
    with pytest.raises(ValueError, match="split_bytes cannot be used with follow"):
        inlet.bytewax.JsonLinesSource(tmp_path / "a.jsonl", split_bytes=64, follow=True)
    path = tmp_path / "a.jsonl"
    path.write_text("".join(f'{{"n": {n}}}\n' for n in range(100)))
    source = inlet.bytewax.JsonLinesSource(path, split_bytes=300)
    assert source.list_parts()[:2] == [f"{path}@0-300", f"{path}@300-600"]
    assert sorted(r["n"] for r in collect(source)) == list(range(100))


def test_two_processes_of_two_workers_read_everything_once(bytewax_env, tmp_path):
    paths, expected = write_files(tmp_path, files=4, lines=3000)
    done = run_flow("bytewax.testing", ["-p", "2", "-w", "2"], bytewax_env, tmp_path,
                    files=os.pathsep.join(map(str, paths)), batch=200, dynamic=1)
    assert done.returncode == 0, done.stderr
    written = outputs(tmp_path)
    assert len({name.split("-")[1] for name in written}) == 2, "two processes wrote"
    items = [item for items in written.values() for item in items]
    assert sorted(item for item in items if isinstance(item, str)) == sorted(expected)
    assert sorted(item["dynamic"] for item in items if isinstance(item, dict)) == [0, 1, 2, 3]


def test_recovery_resumes_after_sigkill_with_fewer_workers(bytewax_env, tmp_path):
    """Killed mid-stream with two workers, resumed with one: every line
    arrives, and a line arrives twice only if the killed run wrote it after
    the epoch the resumed run starts from."""
    files, lines, delay = 2, 1500, 0.002
    (tmp_path / "in").mkdir()
    paths, expected = write_files(tmp_path / "in", files=files, lines=lines)
    recovery = tmp_path / "recovery"
    recovery.mkdir()
    subprocess.run([sys.executable, "-m", "bytewax.recovery", str(recovery), "2"], check=True,
                   env=bytewax_env)
    out = tmp_path / "out"
    out.mkdir()
    settings = dict(files=os.pathsep.join(map(str, paths)), batch=10, delay=delay)
    recovery_args = ["-r", str(recovery), "-s", "1", "-b", "0"]

    killed = run_flow("bytewax.run", ["-w", "2", *recovery_args], bytewax_env, out, run="first",
                      kill_after=2000, **settings)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    resumed = run_flow("bytewax.run", ["-w", "1", *recovery_args], bytewax_env, out,
                       run="second", **settings)
    assert resumed.returncode == 0, resumed.stderr

    first = [item for items in outputs(out, "first").values() for item in items]
    second = [item for items in outputs(out, "second").values() for item in items]
    assert set(first) | set(second) == set(expected), "nothing lost"
    assert len(set(first)) == len(first) and len(set(second)) == len(second)
    for f in range(files):
        read_first = sorted(int(i.split()[-1]) for i in first if i.startswith(f"file {f} "))
        read_second = sorted(int(i.split()[-1]) for i in second if i.startswith(f"file {f} "))
        assert read_first == list(range(len(read_first))), "the killed run read in order"
        assert read_second == list(range(read_second[0], lines)), "resumed at one offset"
        assert 0 < read_second[0] <= len(read_first), "resumed from a snapshot, not the start"
        duplicates = len(read_first) - read_second[0]
        # Items pass the delay one at a time, so an epoch (1 s) holds at most 1 / delay of them
        # per worker; Bytewax resumes from the last epoch every worker completed.
        assert duplicates <= 2 / delay, (
            f"file {f}: the killed run read {len(read_first)}, the resumed one began at "
            f"{read_second[0]}")


def test_same_lines_as_bytewax_file_source(inlet_package, tmp_path):
    from bytewax.connectors.files import DirSource
    from bytewax.connectors.files import FileSource as BytewaxFileSource

    import inlet.bytewax

    samples = {
        "plain.txt": "".join(f"line {n}\n" for n in range(5000)),
        "unicode.txt": "caf\u00e9 \u2615\n\u65e5\u672c\u8a9e\n\n  spaces  \n\ttab\n",
        "no-final-newline.txt": "first\nsecond\nlast without newline",
        "empty-lines.txt": "\n\n\nx\n\n",
        "empty.txt": "",
    }
    for name, content in samples.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    for name in samples:
        path = tmp_path / name
        assert collect(inlet.bytewax.FileSource(path)) == collect(BytewaxFileSource(path)), name
    assert sorted(collect(inlet.bytewax.DirSource(tmp_path, glob_pat="*.txt"))) == sorted(
        collect(DirSource(tmp_path, glob_pat="*.txt")))


def test_a_failing_connector_stops_the_dataflow_with_its_error(connector_dir, tmp_path):
    from bytewax.errors import BytewaxRuntimeError

    import inlet
    import inlet.bytewax
    import inlet_test_connector

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"ok": 1}\nnot json\n')
    with pytest.raises(BytewaxRuntimeError) as caught:
        collect(inlet.bytewax.JsonLinesSource(bad))
    error = caught.value.__cause__
    assert isinstance(error, inlet.ConnectorError)
    assert (error.step, error.partition, error.method, error.code) == (
        "collect.in", str(bad), "NextBatch", "INVALID_ARGUMENT")
    assert str(error).startswith(f'step "collect.in" partition "{bad}": NextBatch: '
                                 f"{bad}: a line is not JSON (")
    assert str(error).endswith("): not json")

    thrower = inlet_test_connector.Counters(["p"], limit=10, fail_method="NextBatch",
                                            fail_throws=True, fail_at=5)
    with pytest.raises(BytewaxRuntimeError) as caught:
        collect(inlet.bytewax.PartitionedSource(thrower))
    error = caught.value.__cause__
    assert isinstance(error, inlet.ConnectorError)
    assert str(error) == ('step "collect.in" partition "p": NextBatch: '
                          "exception: NextBatch failed on purpose")
