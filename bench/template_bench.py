"""Times the template's promise: from `cookiecutter --no-input` to a green
ctest in the new repository, with the SDK installed (no network).

For each input kind, `--repetitions` times in a fresh directory: generate
with the real cookiecutter, then `cmake --preset dev` (the SDK through
find_package), `cmake --build --preset dev` and `ctest --preset dev`, each
phase timed on the wall clock. Writes the phases and totals as JSON.

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


def one_run(kind: str, sdk_prefix: pathlib.Path) -> dict:
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    with tempfile.TemporaryDirectory(prefix="inlet-template-bench-") as scratch:
        out = pathlib.Path(scratch)
        phases = {"generate": timed([VENV_BIN / "cookiecutter", "--no-input", ROOT,
                                     "--output-dir", out, f"input_kind={kind}"], out, env)}
        project = out / "my-connector"
        phases["configure"] = timed(["cmake", "--preset", "dev",
                                     f"-DCMAKE_PREFIX_PATH={sdk_prefix}",
                                     "-DFETCHCONTENT_FULLY_DISCONNECTED=ON"], project, env)
        phases["build"] = timed(["cmake", "--build", "--preset", "dev"], project, env)
        phases["ctest"] = timed(["ctest", "--preset", "dev"], project, env)
    return {"kind": kind, "phases": phases, "total": sum(phases.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdk-prefix", required=True, type=pathlib.Path,
                        help="where the SDK is installed (cmake --install ... --prefix)")
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--out", required=True, type=pathlib.Path)
    options = parser.parse_args()
    runs = []
    for repetition in range(options.repetitions):
        for kind in KINDS:
            run = one_run(kind, options.sdk_prefix.resolve())
            print(f"{kind}: {run['total']:.1f} s", file=sys.stderr)
            runs.append(run)
    context = {"cores": os.cpu_count(), "python": platform.python_version(),
               "repetitions": options.repetitions}
    options.out.write_text(json.dumps({"context": context, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
