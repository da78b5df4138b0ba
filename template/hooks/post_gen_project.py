"""Finishes a generated repository, from inside it.

- Removes the Python package's files when it was not asked for.
- Formats the C++ sources with the pinned clang-format when it is installed
  (names of any length change where clang-format breaks lines), so that
  `pre-commit run --all-files` finds nothing to change.
- Writes .cruft.json: the template's source, commit and the answers, which
  `cruft update` uses to bring later template changes into the repository.
"""

import json
import pathlib
import shutil
import subprocess
import sys

ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")
PYTHON_ONLY = ["pyproject.toml", "python", "examples/bytewax_flow.py", "tests/python"]


def remove_python_package() -> None:
    for name in PYTHON_ONLY:
        path = pathlib.Path(name)
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for directory in ("examples",):
        if pathlib.Path(directory).is_dir() and not any(pathlib.Path(directory).iterdir()):
            pathlib.Path(directory).rmdir()


def pinned_clang_format():
    """The clang-format of the pinned version, next to this Python or on PATH."""
    wanted = ANSWERS["_tools"]["clang_format"]
    candidates = [pathlib.Path(sys.executable).parent / "clang-format", shutil.which("clang-format")]
    for candidate in candidates:
        if not candidate or not pathlib.Path(candidate).is_file():
            continue
        version = subprocess.run([str(candidate), "--version"], capture_output=True, text=True)
        if f"version {wanted}" in version.stdout:
            return str(candidate)
    return None


def format_sources() -> None:
    sources = sorted(str(p) for p in pathlib.Path(".").rglob("*") if p.suffix in (".h", ".cc"))
    clang_format = pinned_clang_format()
    if clang_format is None:
        print(f"note: clang-format {ANSWERS['_tools']['clang_format']} is not installed; "
              f"run `pre-commit run --all-files` to format the C++ sources")
        return
    subprocess.run([clang_format, "-i", "--style=file", *sources], check=True)


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
        remove_python_package()
    format_sources()
    write_cruft_json()
