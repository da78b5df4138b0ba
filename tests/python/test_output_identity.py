"""Paths that must never be confused, tried on the real `inlet-read-files`:
the output is never the recovery file, never a file the input reads, and a
resumed run writes only to the file its recovery file committed (or a copy
of it restored from a backup). Streams (/dev/null, a FIFO) are at-least-once
outputs that are never truncated, and a run that fails to start leaves no
output file behind.
"""

import os
import pathlib
import shutil
import subprocess
import threading

import pytest

from crash_support import items_read
from output_support import PROGRAM, Workspace, assert_exactly_once, committed_marker


@pytest.fixture
def workspace(dev_build: pathlib.Path, tmp_path: pathlib.Path) -> Workspace:
    workspace = Workspace(dev_build / "examples/inlet-read-files", tmp_path)
    workspace.add_generation(files=3, lines_per_file=200)
    return workspace


def listing(directory: pathlib.Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_output_naming_the_recovery_file_is_refused_before_anything_runs(workspace: Workspace,
                                                                         suffix: str):
    before = listing(workspace.db.parent)
    output = pathlib.Path(f"{workspace.db}{suffix}")
    result = workspace.run(out=output)
    assert result.returncode == 2, result.stderr
    assert f"--output {output} is the recovery file" in result.stderr
    assert f"--recovery-db {workspace.db}" in result.stderr
    assert "Write the output to another file" in result.stderr
    assert listing(workspace.db.parent) == before


def test_output_naming_the_recovery_file_through_a_link_is_refused(workspace: Workspace):
    assert workspace.run().returncode == 0
    link = workspace.db.parent / "link.jsonl"
    link.symlink_to(workspace.db)
    db_before = workspace.db.read_bytes()
    result = workspace.run(out=link)
    assert result.returncode == 2, result.stderr
    assert f"--output {link} is the recovery file" in result.stderr
    assert workspace.db.read_bytes() == db_before


def test_resume_into_another_existing_file_is_refused_and_leaves_it_intact(
        workspace: Workspace):
    assert workspace.run().returncode == 0
    workspace.add_generation(files=2, lines_per_file=100)
    notes = workspace.db.parent / "notes.txt"
    notes.write_text("someone's notes, which no run may truncate\n" * 500)
    notes_before = notes.read_bytes()

    result = workspace.run(out=notes)
    assert result.returncode == 1, result.stderr
    assert f"{notes} ({len(notes_before)} bytes) is not the output the recovery store " \
           f"committed" in result.stderr
    assert str(workspace.out) in result.stderr
    assert f"Write to {workspace.out} to resume" in result.stderr
    assert notes.read_bytes() == notes_before

    # The committed output still resumes, reading only the new generation.
    result = workspace.run()
    assert result.returncode == 0, result.stderr
    assert items_read(PROGRAM, result.stderr) == 200
    assert_exactly_once(workspace.out, workspace.lines)


def test_resume_into_a_new_file_is_refused_and_removes_it(workspace: Workspace):
    assert workspace.run().returncode == 0
    other = workspace.db.parent / "other.jsonl"
    result = workspace.run(out=other)
    assert result.returncode == 1, result.stderr
    assert f"{other}: did not exist, but the recovery store committed" in result.stderr
    assert str(workspace.out) in result.stderr
    assert not other.exists()


def test_an_output_restored_from_a_copy_resumes_exactly_once(workspace: Workspace):
    assert workspace.run().returncode == 0
    marker = committed_marker(workspace.db)
    assert marker["file"] == str(workspace.out)
    assert marker["length"] == workspace.out.stat().st_size
    # The backup is made while the output exists, so it is another inode.
    backup = workspace.db.parent / "backup.jsonl"
    shutil.copyfile(workspace.out, backup)
    workspace.out.unlink()
    backup.rename(workspace.out)
    assert workspace.out.stat().st_ino != marker["inode"]

    workspace.add_generation(files=2, lines_per_file=100)
    result = workspace.run()
    assert result.returncode == 0, result.stderr
    assert items_read(PROGRAM, result.stderr) == 200
    assert_exactly_once(workspace.out, workspace.lines)


def test_an_output_changed_before_the_committed_length_is_refused(workspace: Workspace):
    assert workspace.run().returncode == 0
    data = bytearray(workspace.out.read_bytes())
    data[-10] = ord("X")
    workspace.out.write_bytes(bytes(data))
    workspace.add_generation(files=1, lines_per_file=10)
    result = workspace.run()
    assert result.returncode == 1, result.stderr
    assert f"{workspace.out}: its last bytes before the committed length" in result.stderr
    assert "changed outside this program" in result.stderr
    assert workspace.out.read_bytes() == bytes(data)


@pytest.mark.parametrize("inside", ["in/out.txt", "in/../in/new.txt"])
def test_output_the_input_pattern_would_read_is_refused(workspace: Workspace, inside: str):
    output = workspace.db.parent / inside
    before = listing(workspace.input)
    result = workspace.run(out=output)
    assert result.returncode == 2, result.stderr
    assert f"--output {output} matches the input pattern \"{workspace.input}/*.txt\"" \
        in result.stderr
    assert "Write the output outside the pattern" in result.stderr
    assert listing(workspace.input) == before


def test_existing_input_file_as_output_is_refused_and_left_intact(workspace: Workspace):
    victim = workspace.input / "g0-f0000.txt"
    before = victim.read_bytes()
    result = workspace.run(out=victim)
    assert result.returncode == 2, result.stderr
    assert "matches the input pattern" in result.stderr
    assert victim.read_bytes() == before


def test_recovery_file_the_input_pattern_would_read_is_refused(workspace: Workspace):
    db = workspace.input / "state.txt"
    result = workspace.run(db=db)
    assert result.returncode == 2, result.stderr
    assert f"--recovery-db {db}: {db} matches the input pattern" in result.stderr
    assert not db.exists()


def test_dev_null_is_an_at_least_once_stream(workspace: Workspace):
    for _ in range(2):
        result = workspace.run(out="/dev/null")
        assert result.returncode == 0, result.stderr
    assert pathlib.Path("/dev/null").is_char_device()


def test_a_stream_after_a_committed_file_is_refused(workspace: Workspace):
    assert workspace.run().returncode == 0
    workspace.add_generation(files=1, lines_per_file=10)
    result = workspace.run(out="/dev/null")
    assert result.returncode == 1, result.stderr
    assert f"/dev/null: the recovery store committed {workspace.out.stat().st_size} bytes of " \
           f"output to {workspace.out}" in result.stderr
    assert f"write to {workspace.out} to resume" in result.stderr


def test_a_fifo_receives_every_line_and_is_never_truncated(workspace: Workspace):
    fifo = workspace.db.parent / "lines.fifo"
    os.mkfifo(fifo)
    received = []

    def read():
        with open(fifo, "r") as stream:
            received.extend(stream.read().splitlines())

    reader = threading.Thread(target=read)
    reader.start()
    result = workspace.run(out=fifo)
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert sorted(received) == sorted(f'"{line}"' for line in workspace.lines)
    assert fifo.is_fifo()


def test_a_failed_start_leaves_no_output_file(workspace: Workspace):
    # Nothing matches the pattern: the run fails in ListParts, after the
    # output was opened.
    empty = workspace.db.parent / "empty"
    empty.mkdir()
    command = [str(workspace.program), "--recovery-db", str(workspace.db), "--output",
               str(workspace.out), str(empty / "*.txt")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "no file matches" in result.stderr
    assert not workspace.out.exists()


def test_a_failed_start_leaves_an_existing_output_untouched(workspace: Workspace):
    workspace.out.write_text("kept\n")
    empty = workspace.db.parent / "empty"
    empty.mkdir()
    command = [str(workspace.program), "--output", str(workspace.out), str(empty / "*.txt")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert workspace.out.read_text() == "kept\n"
