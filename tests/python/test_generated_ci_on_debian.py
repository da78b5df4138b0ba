"""The generated repository's Linux CI job, run as written on a fresh Debian.

A partitioned connector without Python is baked, and the `build-and-test`
job of its .github/workflows/ci.yml (the matrix's Ubuntu entry) is executed
step by step in a new Debian bookworm root made by debootstrap, as root
through chroot, with /proc mounted:

- The root holds only what the job takes from GitHub's Ubuntu runner image
  without installing it (RUNNER_IMAGE below), with debconf non-interactive as
  on that image. Nothing the job's own `apt-get install` names is there, so a
  package missing from that line fails the test.
- `run:` steps run in order with `bash --noprofile --norc -eo pipefail`, as
  GitHub runs them, in the workspace, with the workflow's, the job's and the
  step's `env:`; the expressions `github.*`, `matrix.*` and `runner.os` are
  resolved, and a step whose `if:` is false on Linux is skipped.
- Of the `uses:` steps, only `actions/checkout` is emulated (the baked
  repository is copied into the workspace); `actions/cache` steps are
  skipped, so the job runs with a cold cache. Any other action fails the test.
- There is no GitHub inside the root: the SDK is this tree published with its
  version's tag as a bare repository in the root (file:///srv/inlet.git),
  which the bake names as `inlet_git_url`.

The base root (a tarball) and apt's package lists and downloads are kept
under ~/.cache/inlet-test/, so only a machine's first run downloads them.
Needs root (chroot, mount) and debootstrap (scripts/install.sh installs it).
"""

import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from published_sdk import publish, snapshot_commit

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = pathlib.Path(sys.executable).parent
CACHE = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "inlet-test"
WORK = ROOT / "build" / "debian-ci"
SUITE, MIRROR = "bookworm", "http://deb.debian.org/debian"
# What the job uses from GitHub's ubuntu-24.04 image without installing it:
# sudo for its apt-get lines, the compiler, CMake, and git for FetchContent.
RUNNER_IMAGE = ("sudo", "build-essential", "cmake", "git", "ca-certificates")
WORKSPACE = "/home/runner/work/my-connector/my-connector"
JOB = "build-and-test"
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="chroot and mount need root")


def run(command, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                            **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} failed:\n{result.stdout[-4000:]}\n"
                    f"{result.stderr[-4000:]}")
    return result


def base_tarball() -> pathlib.Path:
    """The debootstrapped root with RUNNER_IMAGE, made once per machine."""
    if not shutil.which("debootstrap"):
        pytest.fail("debootstrap is not installed; run scripts/install.sh")
    key = hashlib.sha256(f"{SUITE} {MIRROR} {' '.join(RUNNER_IMAGE)}".encode()).hexdigest()[:12]
    tarball = CACHE / f"debootstrap-{SUITE}-{key}.tar"
    if tarball.exists():
        return tarball
    staging = CACHE / f"debootstrap-{SUITE}-{key}.staging"
    if staging.exists():
        shutil.rmtree(staging)
    (CACHE / "debootstrap-debs").mkdir(parents=True, exist_ok=True)
    run(["debootstrap", "--variant=minbase", f"--include={','.join(RUNNER_IMAGE)}",
         f"--cache-dir={CACHE / 'debootstrap-debs'}", SUITE, staging, MIRROR], timeout=3600)
    run(["chroot", staging, "sh", "-c",
         "echo 'debconf debconf/frontend select Noninteractive' | debconf-set-selections"])
    run(["tar", "-C", staging, "-cf", f"{tarball}.part", "."])
    os.replace(f"{tarball}.part", tarball)
    shutil.rmtree(staging)
    return tarball


def mounts_under(path: pathlib.Path) -> list:
    points = [line.split()[1] for line in pathlib.Path("/proc/self/mounts").read_text().splitlines()]
    return [p for p in points if p == str(path) or p.startswith(f"{path}/")]


def remove_root(root: pathlib.Path) -> None:
    """Removes a root once nothing is mounted inside it (never through a mount)."""
    for point in sorted(mounts_under(root), reverse=True):
        subprocess.run(["umount", "-l", point], check=False)
    if mounts_under(root):
        pytest.fail(f"still mounted under {root}: {mounts_under(root)}; not removing it")
    if root.exists():
        shutil.rmtree(root)


class Expressions:
    """Resolves the `${{ ... }}` expressions a Linux job uses."""

    def __init__(self, values: dict):
        self.values = values

    def value(self, name: str) -> str:
        if name not in self.values:
            pytest.fail(f"the workflow uses ${{{{ {name} }}}}, which this test does not resolve")
        return self.values[name]

    def substitute(self, text: str) -> str:
        return re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: self.value(m.group(1)), str(text))

    def condition(self, text) -> bool:
        if text is None:
            return True
        match = re.fullmatch(r"(?:\$\{\{)?\s*([\w.]+)\s*(==|!=)\s*'([^']*)'\s*(?:\}\})?", str(text))
        if not match:
            pytest.fail(f"the workflow has the condition {text!r}, which this test does not "
                        f"evaluate")
        equal = self.value(match.group(1)) == match.group(3)
        return equal if match.group(2) == "==" else not equal


def linux_job(workflow: dict) -> tuple:
    """(job, its matrix entry) for the job's Ubuntu runner."""
    job = workflow["jobs"][JOB]
    runs_on = str(job["runs-on"])
    matrix = {}
    if "matrix.os" in runs_on:
        (os_name,) = [o for o in job["strategy"]["matrix"]["os"] if o.startswith("ubuntu")]
        matrix = {"os": os_name}
    else:
        assert runs_on.startswith("ubuntu"), runs_on
    return job, matrix


@pytest.fixture
def debian_root():
    """A fresh root from the cached base, with /proc and apt's caches mounted."""
    tarball = base_tarball()
    root = WORK / "root"
    remove_root(root)
    root.mkdir(parents=True)
    run(["tar", "-C", root, "-xf", tarball])
    shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")
    run(["mount", "-t", "proc", "proc", root / "proc"])
    for cached, inside in (("apt-lists", "var/lib/apt/lists"),
                           ("apt-archives", "var/cache/apt/archives")):
        (CACHE / cached / "partial").mkdir(parents=True, exist_ok=True)
        run(["mount", "--bind", CACHE / cached, root / inside])
    try:
        yield root
    finally:
        for point in sorted(mounts_under(root), reverse=True):
            subprocess.run(["umount", point], check=False)
        remove_root(root)  # The failure message holds the step's output.


def test_the_linux_ci_job_passes_as_written_on_a_fresh_debian(debian_root, tmp_path):
    root = debian_root
    commit = snapshot_commit(tmp_path)
    publish(root / "srv/inlet.git", commit)
    run([VENV_BIN / "cookiecutter", "--no-input", ROOT, "--output-dir", tmp_path / "out",
         "input_kind=partitioned", "python_package=no", "inlet_git_url=file:///srv/inlet.git"],
        env=dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"))
    (project,) = (tmp_path / "out").iterdir()
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    job, matrix = linux_job(workflow)
    expressions = Expressions({"github.workspace": WORKSPACE, "github.sha": commit,
                               "github.ref": "refs/heads/main", "github.workflow": "ci",
                               "runner.os": "Linux",
                               **{f"matrix.{k}": v for k, v in matrix.items()}})
    job_env = {k: expressions.substitute(v)
               for k, v in {**workflow.get("env", {}), **job.get("env", {})}.items()}
    scripts = root / "github/steps"
    scripts.mkdir(parents=True)

    ran, log = [], []
    for number, step in enumerate(job["steps"], 1):
        name = step.get("name") or step.get("uses") or f"step {number}"
        if not expressions.condition(step.get("if")):
            log.append(f"skipped (if): {name}")
            continue
        if "uses" in step:
            action = step["uses"].split("@")[0]
            if action == "actions/checkout":
                shutil.copytree(project, root / WORKSPACE.lstrip("/"), symlinks=True)
                log.append(f"emulated: {name}")
            elif action == "actions/cache":
                log.append(f"skipped (cache): {name}")
                continue
            else:
                pytest.fail(f"step {name!r} uses {action}, which this test does not emulate")
            ran.append(name)
            continue
        script = scripts / f"{number}.sh"
        script.write_text(expressions.substitute(step["run"]))
        env = {"PATH": BASE_PATH, "HOME": "/root", "LANG": "C.UTF-8", "CI": "true",
               "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": WORKSPACE, "RUNNER_OS": "Linux",
               **job_env,
               **{k: expressions.substitute(v) for k, v in step.get("env", {}).items()}}

        def enter(root=root):
            os.chroot(root)
            os.chdir(WORKSPACE)

        result = subprocess.run(["/bin/bash", "--noprofile", "--norc", "-eo", "pipefail",
                                 f"/github/steps/{number}.sh"], env=env, preexec_fn=enter,
                                capture_output=True, text=True, timeout=3600)
        log.append(f"ran: {name} (exit {result.returncode})")
        assert result.returncode == 0, (
            f"step {name!r} failed (exit {result.returncode}):\n{step['run']}\n"
            f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}\nsteps so far: {log}")
        ran.append(name)
        last_output = result.stdout

    assert any(str(s.get("uses", "")).startswith("actions/checkout@") for s in job["steps"])
    assert re.search(r"100% tests passed, 0 tests failed out of [1-9]", last_output), (
        last_output[-4000:])
    # The SDK came from the published tag, fetched inside the root.
    fetched = root / WORKSPACE.lstrip("/") / "build/dev/_deps/inlet-src"
    head = run(["git", "-c", f"safe.directory={fetched}", "-C", fetched, "rev-parse",
                "HEAD"]).stdout.strip()
    assert head == commit
    print("\n".join(log))
