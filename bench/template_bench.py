"""Times the template's promise: from `cookiecutter --no-input` to a green
ctest in the new repository, by the two ways a repository gets the SDK.

- `installed`: the SDK installed under `--sdk-prefix`, found by find_package
  (FetchContent disconnected: no network).
- `fetchcontent`: no SDK installed (find_package of inlet disabled); CMake
  clones the SDK's `vX.Y.Z` tag from a bare repository holding this
  checkout's HEAD (a `file://` URL, as a release publishes it) and builds it
  with the connector. ccache is kept out, as on a machine's first build.

For each path and input kind, `--repetitions` times in a fresh directory:
generate with the real cookiecutter, then `cmake --preset dev`,
`cmake --build --preset dev` and `ctest --preset dev`, each phase timed on
the wall clock. Writes the phases and totals as JSON.

    python bench/template_bench.py --sdk-prefix PREFIX --out template.json
"""

import argparse
import json
import os
import pathlib
import platform
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
VENV_BIN = pathlib.Path(sys.executable).parent
KINDS = ("partitioned", "dynamic", "subject")
PATHS = ("installed", "fetchcontent")


def timed(command, cwd, env) -> float:
    start = time.perf_counter()
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env,
                            capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}")
    if command[0] == "ctest" and not re.search(r"100% tests passed", result.stdout):
        sys.exit(f"ctest did not pass:\n{result.stdout}")
    return elapsed


def publish_head(bare: pathlib.Path) -> str:
    """A bare repository holding HEAD as the version's tag; its file:// URL."""
    version = re.search(r"^project\(inlet VERSION (\d+\.\d+\.\d+)",
                        (ROOT / "CMakeLists.txt").read_text(), re.MULTILINE).group(1)
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    subprocess.run(["git", "push", "-q", str(bare), "HEAD:refs/heads/main",
                    f"HEAD:refs/tags/v{version}"], cwd=ROOT, check=True)
    return f"file://{bare}"


def one_run(path: str, kind: str, sdk_prefix, sdk_url: str) -> dict:
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    for name in ("CMAKE_PREFIX_PATH", "CMAKE_CXX_COMPILER_LAUNCHER"):
        env.pop(name, None)
    if path == "installed":
        configure = [f"-DCMAKE_PREFIX_PATH={sdk_prefix}", "-DFETCHCONTENT_FULLY_DISCONNECTED=ON"]
    else:
        configure = ["-DCMAKE_DISABLE_FIND_PACKAGE_inlet=ON"]
    with tempfile.TemporaryDirectory(prefix="inlet-template-bench-") as scratch:
        out = pathlib.Path(scratch)
        phases = {"generate": timed([VENV_BIN / "cookiecutter", "--no-input", ROOT,
                                     "--output-dir", out, f"input_kind={kind}",
                                     f"inlet_git_url={sdk_url}"], out, env)}
        project = out / "my-connector"
        phases["configure"] = timed(["cmake", "--preset", "dev", *configure], project, env)
        phases["build"] = timed(["cmake", "--build", "--preset", "dev"], project, env)
        phases["ctest"] = timed(["ctest", "--preset", "dev"], project, env)
        fetched = (project / "build/dev/_deps/inlet-src").is_dir()
        if fetched != (path == "fetchcontent"):
            sys.exit(f"{path}: the SDK was {'' if fetched else 'not '}fetched")
    return {"path": path, "kind": kind, "phases": phases, "total": sum(phases.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdk-prefix", type=pathlib.Path,
                        help="where the SDK is installed (cmake --install ... --prefix); "
                             "needed by the installed path")
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--paths", default=",".join(PATHS),
                        help=f"comma-separated, among {', '.join(PATHS)}")
    parser.add_argument("--out", required=True, type=pathlib.Path)
    options = parser.parse_args()
    paths = options.paths.split(",")
    if not set(paths) <= set(PATHS):
        parser.error(f"--paths {options.paths!r}: choose among {', '.join(PATHS)}")
    if "installed" in paths and options.sdk_prefix is None:
        parser.error("--sdk-prefix is required by the installed path")
    sdk_prefix = options.sdk_prefix.resolve() if options.sdk_prefix else None
    runs = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="inlet-template-bench-sdk-") as sdk_repo:
        sdk_url = publish_head(pathlib.Path(sdk_repo) / "inlet.git")
        for repetition in range(options.repetitions):
            for path in paths:
                for kind in KINDS:
                    run = one_run(path, kind, sdk_prefix, sdk_url)
                    print(f"{path} {kind}: {run['total']:.1f} s", file=sys.stderr)
                    runs.append(run)
    context = {"cores": os.cpu_count(), "python": platform.python_version(),
               "repetitions": options.repetitions,
               "load_before": load_before, "load_after": os.getloadavg()[0]}
    options.out.write_text(json.dumps({"context": context, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
