"""A generated repository builds on a machine that has never seen inlet.

This tree (its tracked and untracked-but-not-ignored files, as `git add -A`
would commit them) is published the way a release publishes it: a bare git
repository holding the version's tag (`vX.Y.Z` from CMakeLists.txt). Each
input kind is baked against that repository's `file://` URL, then configured,
built and tested with its own presets while no installed SDK can be found
(no CMAKE_PREFIX_PATH, `CMAKE_DISABLE_FIND_PACKAGE_inlet`) and, where the
kernel allows a network namespace, with no network: the SDK arrives only
through FetchContent's clone of the tag, as users get it.

The work happens under build/fresh-machine/ at fixed paths, so that ccache
(which the generated CI uses too) serves a second run; each phase's time is
written to build/fresh-machine/times.json.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

import pytest

from published_sdk import publish, sdk_version, snapshot_commit

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = pathlib.Path(sys.executable).parent
WORK = ROOT / "build" / "fresh-machine"
KINDS = ("partitioned", "dynamic", "subject")


def run(command, cwd, env=None, timeout=1800) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} failed in {cwd}:\n"
                    f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}")
    return result


def offline() -> list:
    """A command prefix that runs without any network, when the kernel lets
    this user make a network namespace; empty otherwise."""
    for prefix in (["unshare", "--net"], ["unshare", "--net", "--map-root-user"]):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
                return prefix
        except OSError:
            return []
    return []


def fresh_env() -> dict:
    """This environment as a new machine's: no hint of an installed SDK; ccache
    as the generated CI sets it, with paths relative to WORK so reruns hit."""
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    for name in ("CMAKE_PREFIX_PATH", "inlet_DIR", "PKG_CONFIG_PATH"):
        env.pop(name, None)
    if shutil.which("ccache"):
        env.update(CMAKE_CXX_COMPILER_LAUNCHER="ccache", CCACHE_BASEDIR=str(WORK),
                   CCACHE_NOHASHDIR="1")
    return env


@pytest.fixture(scope="module")
def published_sdk() -> tuple:
    """(file:// URL, commit) of this tree published with its version's tag."""
    WORK.mkdir(parents=True, exist_ok=True)
    commit = snapshot_commit(WORK)
    publish(WORK / "inlet.git", commit)
    return f"file://{WORK / 'inlet.git'}", commit


@pytest.mark.parametrize("kind", KINDS)
def test_a_bake_builds_and_passes_its_tests_with_the_sdk_fetched_from_its_tag(kind,
                                                                               published_sdk):
    url, commit = published_sdk
    out = WORK / kind
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    env = fresh_env()
    times = {}

    start = time.perf_counter()
    run([VENV_BIN / "cookiecutter", "--no-input", ROOT, "--output-dir", out, f"input_kind={kind}",
         "python_package=no", f"inlet_git_url={url}"], out, env)
    (project,) = out.iterdir()
    times["bake"] = time.perf_counter() - start

    no_network = offline()
    for phase, command in (
            ("configure", ["cmake", "--preset", "dev", "-DCMAKE_DISABLE_FIND_PACKAGE_inlet=ON"]),
            ("build", ["cmake", "--build", "--preset", "dev"]),
            ("ctest", ["ctest", "--preset", "dev", "--output-on-failure"])):
        start = time.perf_counter()
        result = run([*no_network, *command], project, env)
        times[phase] = time.perf_counter() - start
        if phase == "configure":
            # The SDK is the fetched tag, not anything installed.
            fetched = project / "build/dev/_deps/inlet-src"
            head = run(["git", "rev-parse", "HEAD"], fetched).stdout.strip()
            assert head == commit, f"{fetched} is at {head}, not the published v{sdk_version()}"
            cache = (project / "build/dev/CMakeCache.txt").read_text()
            assert not re.search(r"^inlet_DIR:PATH=/", cache, re.MULTILINE), cache
        if phase == "ctest":
            assert re.search(r"100% tests passed, 0 tests failed out of [1-9]", result.stdout), (
                result.stdout)

    times["total"] = sum(times.values())
    record = WORK / "times.json"
    recorded = json.loads(record.read_text()) if record.exists() else {}
    recorded[kind] = {"offline": bool(no_network), **{k: round(v, 1) for k, v in times.items()}}
    record.write_text(json.dumps(recorded, indent=2) + "\n")
    print(f"{kind}: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))
