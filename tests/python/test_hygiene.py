"""Formatting and workflow checks: the tree is clang-format clean under the
pinned version, and the workflows pass actionlint and zizmor's offline audits."""

import pathlib
import subprocess


def test_pre_commit_passes_and_changes_nothing(root: pathlib.Path):
    result = subprocess.run([str(root / ".venv/bin/pre-commit"), "run", "--all-files",
                             "--show-diff-on-failure"], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_actionlint(root: pathlib.Path):
    workflows = sorted(str(p) for p in (root / ".github/workflows").glob("*.yml"))
    assert workflows
    result = subprocess.run([str(root / ".venv/bin/actionlint"), *workflows], cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_zizmor_offline(root: pathlib.Path):
    result = subprocess.run([str(root / ".venv/bin/zizmor"), "--offline", "--no-progress",
                             ".github/workflows/"], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr
