"""Shared fixtures: the repository root and the SDK's dev build."""

import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


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
