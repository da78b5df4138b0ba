"""inlet.bytewax's file sources side by side with Bytewax's own
(bytewax.connectors.files, bytewax 0.21.1) on the same files, in one run:
line endings, resume states, the DirSource signature and matching, files
that only some processes see (two real Bytewax processes), and what happens
to bytes that are not UTF-8."""

import json
import os
import pathlib
import socket
import subprocess
import sys

import pytest

FLOW = pathlib.Path(__file__).with_name("bytewax_parity_flow.py")

# Contents whose lines Bytewax's FileSource and inlet's must agree on.
SAMPLES = {
    "lf.txt": b"one\ntwo\n",
    "crlf.txt": b"one\r\ntwo\r\nthree\r\n",
    "cr.txt": b"one\rtwo\rthree\r",
    "mixed.txt": b"a\r\nb\rc\n\n\nd\r\r\ne\n\r\rf",
    "no-final-ending.txt": b"first\r\nsecond\r\nlast without ending",
    "blank-lines.txt": b"\r\n\r\n\n\r\rx\r\n\n",
    "whitespace.txt": b"  spaces  \r\n\ttab\t\r \r\x0bvt\x0c\n",
    "unicode.txt": "caf\u00e9 \u2615\r\n\u65e5\u672c\u8a9e\r\u00e9\n".encode(),
    "only-cr.txt": b"\r",
    "empty.txt": b"",
    # A "\r\n" across inlet's 64 KiB read and its 1 MiB per-call bound.
    "boundaries.txt": b"x" * 65535 + b"\r\n" + b"y" * (1 << 20) + b"\r\nend\r",
}


@pytest.fixture(scope="module")
def bytewax_env(inlet_package):
    return dict(os.environ)


def collect(source):
    """Every item `source` yields under bytewax.testing.run_main, in order."""
    import bytewax.operators as op
    from bytewax.dataflow import Dataflow
    from bytewax.testing import TestingSink, run_main

    items = []
    flow = Dataflow("parity")
    op.output("out", op.input("in", flow, source), TestingSink(items))
    run_main(flow)
    return items


def text_mode_lines(path: pathlib.Path):
    """The lines of `path` as Python's text mode reads them."""
    with open(path, encoding="utf-8") as text:
        return [line.rstrip("\n") for line in iter(text.readline, "")]


def write_samples(directory: pathlib.Path):
    for name, content in SAMPLES.items():
        (directory / name).write_bytes(content)


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_file_source_yields_the_lines_bytewax_yields(inlet_package, tmp_path, batch_size):
    from bytewax.connectors.files import FileSource as BytewaxFileSource

    import inlet.bytewax

    write_samples(tmp_path)
    for name in SAMPLES:
        path = tmp_path / name
        ours = collect(inlet.bytewax.FileSource(path, batch_size))
        theirs = collect(BytewaxFileSource(path, batch_size))
        assert ours == theirs, name
    assert collect(inlet.bytewax.FileSource(tmp_path / "mixed.txt")) == [
        "a", "b", "c", "", "", "d", "", "e", "", "", "f"]


def drain(partition):
    """Every item of a partition until it ends, and (snapshot, items before
    it) at its start and after each batch."""
    items, snapshots = [], [(partition.snapshot(), 0)]
    while True:
        try:
            items.extend(partition.next_batch())
        except StopIteration:
            return items, snapshots
        snapshots.append((partition.snapshot(), len(items)))


def test_every_snapshot_resumes_exactly_with_every_line_ending(inlet_package, tmp_path):
    import inlet.bytewax

    write_samples(tmp_path)
    for name in SAMPLES:
        path = str(tmp_path / name)
        source = inlet.bytewax.FileSource(path, batch_size=1)
        items, snapshots = drain(source.build_part("s.in", path, None))
        assert items == collect(inlet.bytewax.FileSource(path)), name
        for state, handed_out in snapshots:
            rest, _ = drain(source.build_part("s.in", path, state))
            assert rest == items[handed_out:], (name, state)


def test_a_snapshot_between_cr_and_lf_resumes_without_an_empty_line(inlet_package, tmp_path):
    from bytewax.connectors.files import FileSource as BytewaxFileSource

    import inlet.bytewax

    path = tmp_path / "growing.txt"
    path.write_bytes(b"a\r")
    ours = inlet.bytewax.FileSource(path)
    theirs = BytewaxFileSource(path)
    our_part = ours.build_part("s.in", str(path), None)
    their_part = theirs.build_part("s.in", theirs.list_parts()[0], None)
    assert our_part.next_batch() == their_part.next_batch() == ["a"]
    our_state, their_state = our_part.snapshot(), their_part.snapshot()
    assert our_state == 2  # Between the '\r' and the '\n' still to be written.

    with path.open("ab") as appended:
        appended.write(b"\nb\r\n")
    assert drain(ours.build_part("s.in", str(path), our_state))[0] == ["b"]
    # Bytewax's resumes at its tell() cookie and reads the '\n' as an empty line.
    assert drain(theirs.build_part("s.in", theirs.list_parts()[0], their_state))[0] == ["", "b"]


def test_dir_source_takes_bytewax_arguments_and_matches_the_same_files(inlet_package, tmp_path):
    from bytewax.connectors.files import DirSource as BytewaxDirSource

    import inlet.bytewax

    write_samples(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deep.txt").write_bytes(b"deep\r\nline\r")
    (tmp_path / ".hidden.txt").write_bytes(b"hidden\n")
    (tmp_path / "other.log").write_bytes(b"log line\n")
    for args in [(tmp_path, "*.txt"), (tmp_path, "**/*.txt"), (tmp_path, "*.log"),
                 (tmp_path, "s*/*")]:
        ours = sorted(collect(inlet.bytewax.DirSource(*args, 5)))
        theirs = sorted(collect(BytewaxDirSource(*args, 5)))
        assert ours == theirs, args
    # The default pattern is "*", and str paths work too; "sub" is a directory
    # that "*" matches, which Bytewax fails to open and inlet skips.
    assert sorted(collect(inlet.bytewax.DirSource(str(tmp_path)))) == sorted(
        collect(BytewaxDirSource(tmp_path, "*.*")))


def test_dir_source_refuses_a_glob_in_the_directory_argument(inlet_package, tmp_path):
    import inlet.bytewax

    with pytest.raises(ValueError) as caught:
        inlet.bytewax.DirSource(tmp_path / "*.txt")
    assert str(caught.value) == (
        "DirSource takes a directory and a pattern, as Bytewax's does: "
        f"DirSource({str(tmp_path)!r}, glob_pat='*.txt'); got the directory "
        f"{str(tmp_path / '*.txt')!r}")


def test_files_and_directories_missing_here_give_no_partition(inlet_package, tmp_path):
    from bytewax.connectors.files import FileSource as BytewaxFileSource

    import inlet.bytewax

    present = tmp_path / "present.txt"
    present.write_bytes(b"here\r\n")
    missing = tmp_path / "missing.txt"
    source = inlet.bytewax.FileSource([missing, present])
    assert source.list_parts() == [str(present)]
    assert collect(source) == ["here"]
    assert collect(inlet.bytewax.FileSource(missing)) == collect(BytewaxFileSource(missing)) == []
    no_dir = inlet.bytewax.DirSource(tmp_path / "no-such-dir", "*.txt")
    assert no_dir.list_parts() == []
    assert collect(no_dir) == []


def test_invalid_utf8_is_a_connector_error_naming_file_offset_and_method(inlet_package,
                                                                         tmp_path):
    from bytewax.connectors.files import FileSource as BytewaxFileSource
    from bytewax.errors import BytewaxRuntimeError

    import inlet
    import inlet.bytewax

    path = tmp_path / "bad.txt"
    path.write_bytes(b"good 1\r\ngood 2\r\nbad \xff here\r\nnever\r\n")

    import bytewax.operators as op
    from bytewax.dataflow import Dataflow
    from bytewax.testing import TestingSink, run_main

    def run(source):
        items = []
        flow = Dataflow("utf8")
        op.output("out", op.input("in", flow, source), TestingSink(items))
        with pytest.raises(BytewaxRuntimeError) as caught:
            run_main(flow)
        return items, caught.value.__cause__

    ours, our_error = run(inlet.bytewax.FileSource(path))
    theirs, their_error = run(BytewaxFileSource(path))

    assert isinstance(our_error, inlet.ConnectorError)
    assert (our_error.step, our_error.partition, our_error.method, our_error.code) == (
        "utf8.in", str(path), "NextBatch", "INVALID_ARGUMENT")
    assert our_error.message == f"{path}: invalid UTF-8 at byte 20 (0xff)"
    assert str(our_error) == (f'step "utf8.in" partition "{path}": NextBatch: '
                              f"{path}: invalid UTF-8 at byte 20 (0xff)")
    assert ours == ["good 1", "good 2"]  # The lines before it arrive.
    # Bytewax's fails the same batch with a bare UnicodeDecodeError and loses them.
    assert isinstance(their_error, UnicodeDecodeError)
    assert theirs == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_cluster(source: str, machines, env, out: pathlib.Path, workers=1, **settings):
    """Runs the parity flow as a cluster of len(machines) Bytewax processes of
    `workers` workers each, process i in directory machines[i]; returns every
    item written."""
    cluster = []
    if len(machines) > 1:
        addresses = ";".join(f"127.0.0.1:{free_port()}" for _ in machines)
        cluster = ["-a", addresses]
    env = dict(env, PARITY_SOURCE=source, PARITY_OUT=str(out / source),
               **{f"PARITY_{key.upper()}": value for key, value in settings.items()})
    processes = [
        subprocess.Popen([sys.executable, "-m", "bytewax.run", str(FLOW), "-w", str(workers),
                          *(["-i", str(index)] + cluster if cluster else [])],
                         cwd=machine, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        for index, machine in enumerate(machines)]
    results = [process.communicate(timeout=180) for process in processes]
    for process, (_, stderr) in zip(processes, results):
        assert process.returncode == 0, stderr[-3000:]
    items = [json.loads(line) for path in sorted(out.glob(f"{source}-*.jsonl"))
             for line in path.read_text().splitlines()]
    return items


def test_two_processes_that_see_different_files_read_each_file_once(bytewax_env, tmp_path):
    """Two Bytewax processes, each in its own directory (as two machines),
    given the same relative paths: each process holds some of the files."""
    machines = [tmp_path / "machine-0", tmp_path / "machine-1"]
    held = {0: ["a.txt", "c.txt"], 1: ["b.txt"]}
    expected = []
    for index, names in held.items():
        (machines[index] / "data").mkdir(parents=True)
        for name in names:
            lines = [f"{name} line {n}" for n in range(40)]
            (machines[index] / name).write_bytes(b"".join(f"{line}\r\n".encode() for line in lines))
            (machines[index] / "data" / name).write_bytes(
                b"".join(f"dir {line}\n".encode() for line in lines))
            expected += lines + [f"dir {line}" for line in lines]
    (tmp_path / "out").mkdir()
    settings = dict(files=os.pathsep.join(["a.txt", "b.txt", "c.txt"]), dir="data",
                    glob="*.txt")

    ours = run_cluster("inlet", machines, bytewax_env, tmp_path / "out", **settings)
    theirs = run_cluster("bytewax", machines, bytewax_env, tmp_path / "out", **settings)
    assert sorted(ours) == sorted(theirs) == sorted(expected)


def test_two_workers_read_the_lines_bytewax_reads(bytewax_env, tmp_path):
    (tmp_path / "data").mkdir()
    write_samples(tmp_path / "data")
    (tmp_path / "out").mkdir()
    settings = dict(dir="data", glob="*.txt",
                    files=os.pathsep.join(["data/mixed.txt", "data/crlf.txt"]))
    ours = run_cluster("inlet", [tmp_path], bytewax_env, tmp_path / "out", workers=2, **settings)
    theirs = run_cluster("bytewax", [tmp_path], bytewax_env, tmp_path / "out", workers=2,
                         **settings)
    expected = [line for name in [*SAMPLES, "mixed.txt", "crlf.txt"]
                for line in text_mode_lines(tmp_path / "data" / name)]
    assert sorted(ours) == sorted(theirs) == sorted(expected)
