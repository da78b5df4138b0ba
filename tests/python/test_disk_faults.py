"""Disk faults under the real `inlet-read-files` with a recovery file and a
file output: a full file system (a small tmpfs this test mounts; root only)
and a file size limit (RLIMIT_FSIZE, whose writes fail with EFBIG, an I/O
error SQLite reports as such), on the recovery file and on the output.

Each test commits a first generation of input, then runs a second one into
the fault. The run must exit 1 with a message naming the file, keep what was
committed (the output's committed prefix, byte for byte), and a resume once
the fault is gone must give every input line exactly once.
"""

import contextlib
import os
import pathlib
import resource
import shutil
import subprocess
import uuid

import pytest

from crash_support import items_read
from output_support import PROGRAM, Workspace, assert_exactly_once, committed_marker


@contextlib.contextmanager
def small_tmpfs(where: pathlib.Path, size: str):
    """A tmpfs of `size` mounted at `where` for the block; skips the test
    when this process may not mount one."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755",
                              f"inlet-{uuid.uuid4().hex[:8]}", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


def grow_tmpfs(where: pathlib.Path, size: str):
    subprocess.run(["mount", "-o", f"remount,size={size}", str(where)], check=True)


def limit_file_size(limit: int):
    """For preexec_fn: the child's writes past `limit` bytes fail (EFBIG)."""
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.fixture
def workspace(dev_build: pathlib.Path, tmp_path: pathlib.Path) -> Workspace:
    return Workspace(dev_build / "examples/inlet-read-files", tmp_path)


def commit_first_generation(workspace: Workspace) -> bytes:
    """Runs a small first generation to its end; returns the output then."""
    workspace.add_generation(files=4, lines_per_file=100)
    result = workspace.run()
    assert result.returncode == 0, result.stderr
    return workspace.out.read_bytes()


def assert_fault_kept_the_committed_output(workspace: Workspace, committed: bytes):
    """The output still starts with what was committed before the fault, and
    the recovery file's latest marker covers at least that."""
    marker = committed_marker(workspace.db)
    assert marker["length"] >= len(committed)
    assert workspace.out.read_bytes()[:len(committed)] == committed


def resume_and_assert_exactly_once(workspace: Workspace, second: list[str]):
    result = workspace.run()
    assert result.returncode == 0, result.stderr
    assert items_read(PROGRAM, result.stderr) <= len(second)
    assert_exactly_once(workspace.out, workspace.lines)


def test_output_on_a_full_file_system(workspace: Workspace, tmp_path: pathlib.Path):
    with small_tmpfs(tmp_path / "small", "1m") as small:
        workspace.out = small / "out.jsonl"
        committed = commit_first_generation(workspace)
        second = workspace.add_generation(files=8, lines_per_file=20_000)

        result = workspace.run()
        assert result.returncode == 1, result.stderr
        assert f"{workspace.out}: " in result.stderr
        assert "No space left on device" in result.stderr
        assert "free space" in result.stderr
        assert_fault_kept_the_committed_output(workspace, committed)

        grow_tmpfs(small, "64m")
        resume_and_assert_exactly_once(workspace, second)


def test_recovery_file_on_a_full_file_system(workspace: Workspace, tmp_path: pathlib.Path):
    with small_tmpfs(tmp_path / "small", "256k") as small:
        workspace.db = small / "recovery.db"
        committed = commit_first_generation(workspace)
        # Each epoch stores the state of every partition: 2,000 of them
        # outgrow the file system at the first commit.
        second = workspace.add_generation(files=2_000, lines_per_file=2)

        result = workspace.run()
        assert result.returncode == 1, result.stderr
        assert f"recovery file {workspace.db}" in result.stderr
        assert "database or disk is full" in result.stderr
        assert_fault_kept_the_committed_output(workspace, committed)

        grow_tmpfs(small, "64m")
        resume_and_assert_exactly_once(workspace, second)


def test_output_past_the_file_size_limit(workspace: Workspace):
    committed = commit_first_generation(workspace)
    second = workspace.add_generation(files=8, lines_per_file=20_000)

    result = workspace.run(preexec_fn=limit_file_size(1 << 20))
    assert result.returncode == 1, result.stderr
    assert f"{workspace.out}: " in result.stderr
    assert "File too large" in result.stderr
    assert_fault_kept_the_committed_output(workspace, committed)

    resume_and_assert_exactly_once(workspace, second)


def test_recovery_file_past_the_file_size_limit(workspace: Workspace):
    committed = commit_first_generation(workspace)
    second = workspace.add_generation(files=2_000, lines_per_file=2)

    # The output stays far below the limit; the -wal of one epoch does not.
    result = workspace.run(preexec_fn=limit_file_size(128 << 10))
    assert result.returncode == 1, result.stderr
    assert f"recovery file {workspace.db}" in result.stderr
    assert "disk I/O error" in result.stderr
    assert_fault_kept_the_committed_output(workspace, committed)

    resume_and_assert_exactly_once(workspace, second)
