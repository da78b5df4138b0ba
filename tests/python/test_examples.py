"""The README's example connector is the real, compiled examples/counter.cc,
and the README's commands point at scripts that exist."""

import json
import pathlib
import re
import subprocess


def test_readme_example_is_examples_counter_cc(root: pathlib.Path):
    readme = (root / "README.md").read_text()
    blocks = re.findall(r"```cpp\n(.*?)```", readme, re.S)
    assert (root / "examples/counter.cc").read_text() in blocks


def test_readme_example_runs_and_every_counter_counts_to_five(dev_build: pathlib.Path):
    result = subprocess.run([str(dev_build / "examples/inlet-counter"), "--workers=2"],
                            check=True, capture_output=True, text=True)
    items = sorted(tuple(json.loads(line)) for line in result.stdout.splitlines())
    assert items == [(name, n) for name in "abc" for n in range(5)]
    assert "15 items from 3 partitions" in result.stderr


def test_readme_commands_are_the_scripts(root: pathlib.Path):
    readme = (root / "README.md").read_text()
    assert "bash scripts/main.sh" in readme
    assert "bash scripts/test.sh" in readme
    ci = (root / ".ci/run").read_text()
    assert "scripts/test.sh" in ci
