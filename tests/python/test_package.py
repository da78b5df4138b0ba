"""The SDK installs as a CMake package and a pkg-config module that a separate
project can build against."""

import os
import pathlib
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

CONFORMANCE_CONSUMER = textwrap.dedent("""\
    #include <cstdint>
    #include <filesystem>
    #include <memory>
    #include <string>
    #include <vector>
    #include "inlet/conformance.h"
    #include "inlet/testing.h"

    class Harness {
     public:
      using Input = inlet::TestingSource<std::string>;
      static constexpr inlet::conformance::Capabilities kCapabilities = {.many_partitions = false};
      absl::Status CreateDataSet(const std::filesystem::path&, int) {
        items_.clear();
        return absl::OkStatus();
      }
      std::string MakeItem(int, int64_t index) { return std::to_string(index); }
      absl::Status Write(int, const std::vector<std::string>& items) {
        items_.insert(items_.end(), items.begin(), items.end());
        return absl::OkStatus();
      }
      std::unique_ptr<Input> NewInput() {
        return std::make_unique<Input>(std::vector<Input::Entry>(items_.begin(), items_.end()));
      }

     private:
      std::vector<std::string> items_;
    };

    INLET_CONFORMANCE_TEST(Consumer, Harness);
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


def test_conformance_kit_builds_and_runs_against_the_installed_sdk(prefix: pathlib.Path,
                                                                    tmp_path: pathlib.Path):
    (tmp_path / "main.cc").write_text(CONFORMANCE_CONSUMER)
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
    assert "[  PASSED  ] 10 tests" in ran.stdout, ran.stdout
    assert "[  SKIPPED ] 1 test" in ran.stdout, ran.stdout
