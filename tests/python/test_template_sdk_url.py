"""The default of `inlet_git_url` is the repository the template came from:
the URL cookiecutter was given, or the `origin` of a local checkout, so a
fork's template fetches the fork. Without one, baking stops with one line
saying how to answer, and nothing is left on disk."""

import json
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = pathlib.Path(sys.executable).parent
FORK = "https://example.org/a-fork/inlet.git"


def git(repo: pathlib.Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com",
                    *args], check=True, capture_output=True)


def template_tree(where: pathlib.Path) -> pathlib.Path:
    """This tree's template (root config and template/) copied to `where`."""
    where.mkdir(parents=True)
    shutil.copy(ROOT / "cookiecutter.json", where)
    shutil.copytree(ROOT / "template", where / "template",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return where


def bake(template, out: pathlib.Path, *answers: str) -> subprocess.CompletedProcess:
    out.mkdir(parents=True, exist_ok=True)
    config = out.parent / f"{out.name}-cookiecutter.yaml"
    config.write_text(f"cookiecutters_dir: {out.parent / (out.name + '-clones')}\n"
                      f"replay_dir: {out.parent / (out.name + '-replay')}\n")
    return subprocess.run([str(VENV_BIN / "cookiecutter"), "--no-input", "--config-file",
                           str(config), str(template), "--output-dir", str(out), *answers],
                          capture_output=True, text=True, timeout=120)


def fetched_url(project: pathlib.Path) -> str:
    cmake = (project / "CMakeLists.txt").read_text()
    (line,) = [line for line in cmake.splitlines() if "GIT_REPOSITORY" in line]
    answers = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert answers["inlet_git_url"] == line.split()[-1]
    return line.split()[-1]


def test_a_local_checkout_points_at_its_origin(tmp_path):
    fork = template_tree(tmp_path / "fork")
    git(fork, "init", "-q")
    git(fork, "remote", "add", "origin", FORK)
    result = bake(fork, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert fetched_url(tmp_path / "out/my-connector") == FORK


def test_a_git_url_given_to_cookiecutter_is_the_default(tmp_path):
    """Cookiecutter clones the URL; the clone's origin is the URL given."""
    fork = template_tree(tmp_path / "fork")
    git(fork, "init", "-q")
    git(fork, "add", "-A")
    git(fork, "commit", "-q", "-m", "template")
    result = bake(f"git+file://{fork}", tmp_path / "out", "input_kind=dynamic")
    assert result.returncode == 0, result.stderr
    assert fetched_url(tmp_path / "out/my-connector") == f"file://{fork}"


def test_an_answer_overrides_the_default(tmp_path):
    result = bake(template_tree(tmp_path / "plain"), tmp_path / "out",
                  f"inlet_git_url={FORK}")
    assert result.returncode == 0, result.stderr
    assert fetched_url(tmp_path / "out/my-connector") == FORK


def _assert_asks_for_the_url(result: subprocess.CompletedProcess, out: pathlib.Path) -> None:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "inlet_git_url" in line]
    assert len(lines) == 1, result.stderr
    assert "has no git 'origin' remote" in lines[0]
    assert "inlet_git_url=https://github.com/ORG/inlet.git" in lines[0]
    assert "Nothing was generated" in result.stderr
    assert list(out.iterdir()) == []


def test_a_tree_without_origin_asks_for_the_url_and_leaves_nothing(tmp_path):
    plain = template_tree(tmp_path / "plain")
    git(plain, "init", "-q")
    result = bake(plain, tmp_path / "out")
    _assert_asks_for_the_url(result, tmp_path / "out")
    assert f"'{plain}'" in result.stderr


def test_the_origin_of_an_enclosing_repository_is_not_taken(tmp_path):
    """A template unpacked inside some other checkout is not that checkout's SDK."""
    git(tmp_path, "init", "-q")
    git(tmp_path, "remote", "add", "origin", FORK)
    unpacked = template_tree(tmp_path / "vendor/inlet")
    result = bake(unpacked, tmp_path / "out")
    _assert_asks_for_the_url(result, tmp_path / "out")
