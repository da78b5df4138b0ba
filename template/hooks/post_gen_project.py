"""Finishes a generated repository, from inside it.

- Without the Python package, its files were never written (their names
  render empty); the directories that would have held them are removed when
  they are empty, so a user's own files there are never touched, even when
  baking over an existing directory with `-f`.
- Under cookiecutter, writes .cruft.json: the template's source, commit and the
  answers, which `cruft update` uses to bring later template changes into the
  repository. Under cruft (no `_repo_dir` in the context), cruft writes its own.

The C++ sources are written already formatted as the pinned clang-format
formats them, for names of any length the pre-generation hook accepts, so
`pre-commit run --all-files` finds nothing to change without a formatter here.
"""

import json
import pathlib
import subprocess

ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")
# Deepest first, so a parent is empty once its children are gone.
PYTHON_DIRS = ["python/" + ANSWERS["package_name"], "python", "examples", "tests/python"]


def remove_empty_python_directories() -> None:
    for name in PYTHON_DIRS:
        path = pathlib.Path(name)
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def git(repo: pathlib.Path, *args: str):
    """The output of `git args` in `repo`, or None when it is not a git checkout."""
    try:
        result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else None


def write_cruft_json() -> None:
    # The template lives in template/ of the inlet repository.
    repo = pathlib.Path(ANSWERS["_repo_dir"]).resolve().parent
    source = git(repo, "config", "--get", "remote.origin.url") or str(repo)
    answers = {k: v for k, v in ANSWERS.items() if k not in ("_output_dir", "_repo_dir")}
    answers["_template"] = source
    cruft = {
        "template": source,
        "commit": git(repo, "rev-parse", "HEAD"),
        "checkout": ANSWERS.get("_checkout"),
        "context": {"cookiecutter": answers},
        "directory": "template",
        "skip": [".git"],
    }
    pathlib.Path(".cruft.json").write_text(json.dumps(cruft, indent=2) + "\n")


if __name__ == "__main__":
    if ANSWERS["python_package"] != "yes":
        remove_empty_python_directories()
    if "_repo_dir" in ANSWERS:
        write_cruft_json()
