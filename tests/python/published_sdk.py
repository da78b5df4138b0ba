"""This tree published as a release publishes it: a bare git repository that
holds the version's tag, for tests that fetch the SDK as users do."""

import os
import pathlib
import re
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def sdk_version() -> str:
    """The X.Y.Z of `project(inlet VERSION X.Y.Z` in CMakeLists.txt."""
    match = re.search(r"^project\(inlet VERSION (\d+\.\d+\.\d+)",
                      (ROOT / "CMakeLists.txt").read_text(), re.MULTILINE)
    if not match:
        raise AssertionError("CMakeLists.txt: no `project(inlet VERSION X.Y.Z`")
    return match.group(1)


def _git(*args: str, env=None) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


def snapshot_commit(scratch: pathlib.Path) -> str:
    """A commit of the working tree as `git add -A` sees it (tracked files and
    untracked ones that are not ignored), made with a scratch index: neither
    the checkout's index nor its branches change."""
    env = dict(os.environ, GIT_INDEX_FILE=str(scratch / "snapshot-index"),
               GIT_AUTHOR_NAME="inlet", GIT_AUTHOR_EMAIL="inlet@example.com",
               GIT_COMMITTER_NAME="inlet", GIT_COMMITTER_EMAIL="inlet@example.com")
    _git("read-tree", "HEAD", env=env)
    _git("add", "-A", env=env)
    tree = _git("write-tree", env=env)
    return _git("commit-tree", tree, "-p", "HEAD", "-m", "snapshot", env=env)


def publish(bare: pathlib.Path, commit: str) -> None:
    """Makes `bare` a bare repository holding `commit` as `main` and as the
    tag `v<sdk_version()>`, the tag a generated repository fetches."""
    if bare.exists():
        shutil.rmtree(bare)
    bare.parent.mkdir(parents=True, exist_ok=True)
    _git("init", "-q", "--bare", "-b", "main", str(bare))
    _git("push", "-q", str(bare), f"{commit}:refs/heads/main",
         f"{commit}:refs/tags/v{sdk_version()}")
