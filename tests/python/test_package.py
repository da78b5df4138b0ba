"""The SDK installs as a CMake package and a pkg-config module that a separate
project can build against."""

import fnmatch
import os
import pathlib
import re
import subprocess
import tarfile
import textwrap

import pytest

CONSUMER = textwrap.dedent("""\
    #include <string>
    #include "inlet/counting_sink.h"
    #include "inlet/run.h"
    #include "inlet/testing/testing.h"

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
    for library in ("inlet", "inlet_connectors", "inlet_main", "inlet_testing"):
        assert list(prefix.glob(f"lib*/lib{library}.a")), library
    for module in ("inlet", "inlet-connectors", "inlet-main"):
        assert list(prefix.glob(f"lib*/pkgconfig/{module}.pc")), module


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
        find_package(inlet 0.1 CONFIG REQUIRED COMPONENTS connectors testing)
        find_package(GTest CONFIG REQUIRED)
        add_executable(consumer_conformance main.cc)
        target_link_libraries(consumer_conformance PRIVATE
          inlet::connectors inlet::testing GTest::gtest_main)
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


OWN_OUTPUT_FLAG = textwrap.dedent("""\
    #include <string>
    #include "absl/flags/flag.h"
    #include "absl/flags/parse.h"
    #include "inlet/counting_sink.h"
    #include "inlet/run.h"
    #include "inlet/testing/testing.h"

    ABSL_FLAG(std::string, output, "mine", "The consumer's own --output.");

    int main(int argc, char** argv) {
      absl::ParseCommandLine(argc, argv);
      auto input = inlet::TestingSource<std::string>::FromItems({"a", "b"});
      inlet::CountingSink<std::string> sink;
      auto report = inlet::Run(input, sink);
      return report.ok() && absl::GetFlag(FLAGS_output) == "theirs" ? 0 : 1;
    }
    """)


def test_core_library_has_no_flags_so_a_consumer_defines_its_own_output(
        prefix: pathlib.Path, tmp_path: pathlib.Path):
    """inlet::inlet carries no command line: a program linking it alone can
    define --output itself, and no inlet flag is linked in."""
    (tmp_path / "main.cc").write_text(OWN_OUTPUT_FLAG)
    (tmp_path / "CMakeLists.txt").write_text(textwrap.dedent("""\
        cmake_minimum_required(VERSION 3.25)
        project(consumer LANGUAGES CXX)
        find_package(inlet 0.1 CONFIG REQUIRED)
        add_executable(consumer main.cc)
        target_link_libraries(consumer PRIVATE inlet::inlet absl::flags absl::flags_parse)
        """))
    build = tmp_path / "build"
    subprocess.run(["cmake", "-S", str(tmp_path), "-B", str(build), "-G", "Ninja",
                    f"-DCMAKE_PREFIX_PATH={prefix}"], check=True, capture_output=True)
    built = subprocess.run(["cmake", "--build", str(build)], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    subprocess.run([str(build / "consumer"), "--output=theirs"], check=True)
    core = next(prefix.glob("lib*/libinlet.a"))
    symbols = subprocess.run(["nm", "-C", str(core)], check=True, capture_output=True,
                             text=True).stdout
    assert "FLAGS_" not in symbols and "absl::flags_internal" not in symbols


def test_find_package_components_main_and_testing(prefix: pathlib.Path, tmp_path: pathlib.Path):
    (tmp_path / "main.cc").write_text(textwrap.dedent("""\
        #include "inlet/run_main.h"
        #include "inlet/testing/testing.h"

        int main(int argc, char** argv) {
          auto input = inlet::TestingSource<int>::FromItems({1, 2, 3});
          return inlet::RunMain(argc, argv, input);
        }
        """))
    (tmp_path / "CMakeLists.txt").write_text(textwrap.dedent("""\
        cmake_minimum_required(VERSION 3.25)
        project(consumer LANGUAGES CXX)
        find_package(inlet 0.1 CONFIG REQUIRED COMPONENTS main testing)
        add_executable(consumer main.cc)
        target_link_libraries(consumer PRIVATE inlet::main inlet::testing)
        """))
    build = tmp_path / "build"
    subprocess.run(["cmake", "-S", str(tmp_path), "-B", str(build), "-G", "Ninja",
                    f"-DCMAKE_PREFIX_PATH={prefix}"], check=True, capture_output=True)
    built = subprocess.run(["cmake", "--build", str(build)], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    ran = subprocess.run([str(build / "consumer"), "--progress=never"], capture_output=True,
                         text=True, check=True)
    assert ran.stdout.split() == ["1", "2", "3"]


def test_pkg_config_inlet_main_links_run_main_and_its_metrics_endpoint(prefix: pathlib.Path,
                                                                      tmp_path: pathlib.Path):
    """inlet-main.pc brings cpp-httplib (RunMain's --metrics-address) along."""
    (tmp_path / "main.cc").write_text(textwrap.dedent("""\
        #include "inlet/run_main.h"
        #include "inlet/testing/testing.h"

        int main(int argc, char** argv) {
          auto input = inlet::TestingSource<int>::FromItems({1, 2, 3});
          return inlet::RunMain(argc, argv, input);
        }
        """))
    env = dict(os.environ, PKG_CONFIG_PATH=":".join(
        str(p.parent) for p in prefix.glob("lib*/pkgconfig/inlet.pc")))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "inlet-main"], env=env,
                           check=True, capture_output=True, text=True).stdout.split()
    assert "-lcpp-httplib" in flags, flags
    testing = [str(next(prefix.glob("lib*/libinlet_testing.a"))), "-lgtest"]
    compiled = subprocess.run(
        ["c++", str(tmp_path / "main.cc"), "-o", str(tmp_path / "consumer"), *testing, *flags],
        capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr
    ran = subprocess.run([str(tmp_path / "consumer"), "--progress=never",
                          "--metrics-address=127.0.0.1:0"], capture_output=True, text=True,
                         check=True)
    assert ran.stdout.split() == ["1", "2", "3"]
    assert "metrics at http://127.0.0.1:" in ran.stderr, ran.stderr


def test_find_package_rejects_an_unknown_component(prefix: pathlib.Path, tmp_path: pathlib.Path):
    (tmp_path / "CMakeLists.txt").write_text(textwrap.dedent("""\
        cmake_minimum_required(VERSION 3.25)
        project(consumer LANGUAGES CXX)
        find_package(inlet 0.1 CONFIG REQUIRED COMPONENTS no_such_part)
        """))
    configured = subprocess.run(["cmake", "-S", str(tmp_path), "-B", str(tmp_path / "build"),
                                 f"-DCMAKE_PREFIX_PATH={prefix}"], capture_output=True, text=True)
    assert configured.returncode != 0
    assert "no_such_part" in configured.stdout + configured.stderr


def test_cpack_packages_hold_the_install_tree(dev_build: pathlib.Path, tmp_path: pathlib.Path):
    """The release's packages: a tarball and a Debian package of what
    `cmake --install` installs (libraries, headers, CMake config, pkg-config)."""
    made = subprocess.run(["cpack", "--config", str(dev_build / "CPackConfig.cmake"),
                           "-B", str(tmp_path)], capture_output=True, text=True)
    assert made.returncode == 0, made.stdout + made.stderr
    wanted = ["include/inlet/run.h", "include/inlet/testing/conformance.h",
              "lib*/libinlet.a", "lib*/libinlet_main.a", "lib*/libinlet_testing.a",
              "lib*/cmake/inlet/inletConfig.cmake", "lib*/cmake/inlet/inletConfigVersion.cmake",
              "lib*/pkgconfig/inlet.pc"]

    (tarball,) = tmp_path.glob("inlet-sdk-0.1.0-*.tar.gz")
    with tarfile.open(tarball) as archive:
        names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    for pattern in wanted:
        assert fnmatch.filter(names, pattern), (pattern, names)
    assert not fnmatch.filter(names, "*test*.cc") and not fnmatch.filter(names, "bin/*"), names

    (deb,) = tmp_path.glob("inlet-sdk_0.1.0_*.deb")
    listing = subprocess.run(["dpkg-deb", "--contents", str(deb)], check=True,
                             capture_output=True, text=True).stdout
    paths = [line.split()[-1].removeprefix("./usr/") for line in listing.splitlines()]
    for pattern in wanted:
        assert fnmatch.filter(paths, pattern), (pattern, paths)
    fields = subprocess.run(["dpkg-deb", "--field", str(deb), "Package", "Version", "Depends"],
                            check=True, capture_output=True, text=True).stdout
    assert "Package: inlet-sdk" in fields and "Version: 0.1.0" in fields, fields
    assert "libabsl-dev" in fields and "libsqlite3-dev" in fields, fields
    assert "libcpp-httplib-dev" in fields, fields
