"""The SDK installs as a CMake package and a pkg-config module that a separate
project can build against."""

import os
import pathlib
import re
import subprocess
import textwrap

import pytest

CONSUMER = textwrap.dedent("""\
    #include <string>
    #include "inlet/counting_sink.h"
    #include "inlet/run.h"
    #include "inlet/testing.h"

    int main() {
      auto input = inlet::TestingSource<std::string>::FromItems({"a", "b", "c"});
      inlet::CountingSink<std::string> sink;
      auto report = inlet::Run(input, sink, {.workers = 2});
      return report.ok() && sink.items() == 3 ? 0 : 1;
    }
    """)

@pytest.fixture(scope="module")
def prefix(dev_build: pathlib.Path, tmp_path_factory) -> pathlib.Path:
    prefix = tmp_path_factory.mktemp("prefix")
    subprocess.run(["cmake", "--install", str(dev_build), "--prefix", str(prefix)], check=True,
                   capture_output=True)
    return prefix


def test_install_tree_holds_headers_library_config_and_pkgconfig(prefix: pathlib.Path):
    assert (prefix / "include/inlet/run.h").is_file()
    assert (prefix / "include/inlet/internal/erased_input.h").is_file()
    assert list(prefix.glob("lib*/libinlet.a"))
    assert list(prefix.glob("lib*/cmake/inlet/inletConfig.cmake"))
    assert list(prefix.glob("lib*/cmake/inlet/inletConfigVersion.cmake"))
    assert list(prefix.glob("lib*/pkgconfig/inlet.pc"))


def test_find_package_gives_inlet_target(prefix: pathlib.Path, tmp_path: pathlib.Path):
    (tmp_path / "main.cc").write_text(CONSUMER)
    (tmp_path / "CMakeLists.txt").write_text(textwrap.dedent("""\
        cmake_minimum_required(VERSION 3.25)
        project(consumer LANGUAGES CXX)
        find_package(inlet 0.1 CONFIG REQUIRED)
        add_executable(consumer main.cc)
        target_link_libraries(consumer PRIVATE inlet::inlet)
        """))
    build = tmp_path / "build"
    subprocess.run(["cmake", "-S", str(tmp_path), "-B", str(build), "-G", "Ninja",
                    f"-DCMAKE_PREFIX_PATH={prefix}"], check=True, capture_output=True)
    built = subprocess.run(["cmake", "--build", str(build)], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    subprocess.run([str(build / "consumer")], check=True)


def test_pkg_config_compiles_and_links_a_program(prefix: pathlib.Path, tmp_path: pathlib.Path):
    (tmp_path / "main.cc").write_text(CONSUMER)
    env = dict(os.environ, PKG_CONFIG_PATH=":".join(
        str(p.parent) for p in prefix.glob("lib*/pkgconfig/inlet.pc")))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "inlet"], env=env, check=True,
                           capture_output=True, text=True).stdout.split()
    compiled = subprocess.run(
        ["c++", str(tmp_path / "main.cc"), "-o", str(tmp_path / "consumer"), *flags],
        capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr
    subprocess.run([str(tmp_path / "consumer")], check=True)


def test_conformance_kit_builds_and_runs_against_the_installed_sdk(root: pathlib.Path,
                                                                    prefix: pathlib.Path,
                                                                    tmp_path: pathlib.Path):
    """The SDK's own conformance instantiations, built as a consumer would build
    its connector's: with GoogleTest found by the consumer."""
    (tmp_path / "main.cc").write_text((root / "tests/conformance_test.cc").read_text())
    (tmp_path / "CMakeLists.txt").write_text(textwrap.dedent("""\
        cmake_minimum_required(VERSION 3.25)
        project(consumer LANGUAGES CXX)
        find_package(inlet 0.1 CONFIG REQUIRED)
        find_package(GTest CONFIG REQUIRED)
        add_executable(consumer_conformance main.cc)
        target_link_libraries(consumer_conformance PRIVATE
          inlet::inlet GTest::gtest GTest::gtest_main)
        """))
    build = tmp_path / "build"
    subprocess.run(["cmake", "-S", str(tmp_path), "-B", str(build), "-G", "Ninja",
                    f"-DCMAKE_PREFIX_PATH={prefix}"], check=True, capture_output=True)
    built = subprocess.run(["cmake", "--build", str(build)], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    ran = subprocess.run([str(build / "consumer_conformance")], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert re.search(r"\[  PASSED  \] \d+ tests", ran.stdout), ran.stdout
    assert "FAILED" not in ran.stdout, ran.stdout
