"""Formatting and workflow checks: the tree is clang-format clean under the
pinned version, the workflows pass actionlint and zizmor's offline audits,
and every test docs/reliability.md names exists."""

import pathlib
import re
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


# docs/reliability.md names tests as `tests/python/<file>.py::<function>` and
# `<file>: <Suite>.<Name>` (GoogleTest); each must exist as named.
PYTEST_REFERENCE = re.compile(r"`(tests/python/[\w/]+\.py)::(\w+)`")
GTEST_REFERENCE = re.compile(r"`([\w/.]+\.(?:cc|h)): (\w+)\.(\w+)`")


def test_every_test_the_reliability_document_names_exists(root: pathlib.Path):
    text = (root / "docs/reliability.md").read_text(encoding="utf-8")
    pytest_references = PYTEST_REFERENCE.findall(text)
    gtest_references = GTEST_REFERENCE.findall(text)
    assert pytest_references and gtest_references
    missing = []
    for path, name in pytest_references:
        source = root / path
        if not source.is_file() or not re.search(rf"^def {name}\(", source.read_text(), re.M):
            missing.append(f"{path}::{name}")
    for path, suite, name in gtest_references:
        source = root / path
        macro = rf"^(?:TEST|TEST_F|TEST_P|TYPED_TEST_P)\(\s*{suite},\s*{name}\s*\)"
        if not source.is_file() or not re.search(macro, source.read_text(), re.M):
            missing.append(f"{path}: {suite}.{name}")
    assert not missing, "docs/reliability.md names tests that do not exist:\n" + "\n".join(missing)
    # Every backticked test reference was understood by one of the two forms.
    written = re.findall(r"`tests/[^`]*::[^`]*`|`[\w/.]+\.(?:cc|h): [^`]*`", text)
    assert len(written) == len(pytest_references) + len(gtest_references), written
