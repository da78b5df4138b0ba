"""Shared fixtures: the repository root, the SDK's dev build and its install
tree, the `inlet` Python package installed into the venv, and a connector
module built against the installed SDK."""

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PYTHON_BUILDS = ROOT / "build" / "python-tests"


def _run(command, **kwargs) -> None:
    """Runs `command`; on failure, fails the test with its output."""
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                            **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}")


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture(scope="session")
def dev_build() -> pathlib.Path:
    """The dev preset's build tree, configured and built (a no-op when current)."""
    subprocess.run(["cmake", "--preset", "dev"], cwd=ROOT, check=True, capture_output=True)
    subprocess.run(["cmake", "--build", "--preset", "dev"], cwd=ROOT, check=True,
                   capture_output=True)
    return ROOT / "build" / "dev"


@pytest.fixture(scope="session")
def installed_sdk(dev_build: pathlib.Path) -> pathlib.Path:
    """The dev build installed under a fixed prefix (unchanged files are not
    rewritten, so builds against it stay incremental)."""
    prefix = PYTHON_BUILDS / "prefix"
    _run(["cmake", "--install", dev_build, "--prefix", prefix])
    return prefix


@pytest.fixture(scope="session")
def inlet_package() -> None:
    """The `inlet` package built from this tree (warnings as errors) and
    installed into the running interpreter's environment, as `pip install .`
    does. Its build tree is kept between sessions, apart from the one plain
    `pip install .` uses, so neither rebuilds the other's."""
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
          "--no-build-isolation", "--no-deps",
          f"--config-settings=build-dir={PYTHON_BUILDS / 'wheel'}",
          "--config-settings=cmake.define.INLET_WARNINGS_AS_ERRORS=ON", "."], cwd=ROOT)


@pytest.fixture(scope="session")
def connector_dir(installed_sdk: pathlib.Path, inlet_package) -> pathlib.Path:
    """The directory holding `inlet_test_connector`, a module built from
    tests/python/connector against the installed SDK, as a connector
    repository builds its own. The directory is put on sys.path."""
    build = PYTHON_BUILDS / "connector"
    _run(["cmake", "-S", ROOT / "tests/python/connector", "-B", build, "-G", "Ninja",
          f"-DCMAKE_PREFIX_PATH={installed_sdk}", f"-DPython_EXECUTABLE={sys.executable}"])
    _run(["cmake", "--build", build])
    sys.path.insert(0, str(build))
    return build


@pytest.fixture(scope="module")
def connector(connector_dir):
    """The test connector module (C++ subjects and inputs exported to Python)."""
    import inlet_test_connector

    return inlet_test_connector


@pytest.fixture
def pw(connector):
    """Pathway with an empty graph: each test builds and runs its own."""
    import pathway

    pathway.internals.parse_graph.G.clear()
    yield pathway
    pathway.internals.parse_graph.G.clear()
