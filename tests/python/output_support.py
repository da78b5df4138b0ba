"""What the output-identity and disk-fault tests share: a workspace for the
real `inlet-read-files` program with a recovery file and a file output,
input written in generations of files, and the checks of exactly-once output.
"""

import json
import pathlib
import sqlite3
import subprocess

from crash_support import RUN_TIMEOUT, assert_same_lines, read_json_strings

PROGRAM = "inlet-read-files"


class Workspace:
    """An input directory filled in generations, a recovery file and an output."""

    def __init__(self, program: pathlib.Path, tmp_path: pathlib.Path):
        self.program = program
        self.input = tmp_path / "in"
        self.input.mkdir()
        self.db = tmp_path / "recovery.db"
        self.out = tmp_path / "out.jsonl"
        self.lines: list[str] = []
        self.generations = 0

    def add_generation(self, files: int, lines_per_file: int) -> list[str]:
        """Writes `files` new input files; returns their lines."""
        generation = self.generations
        self.generations += 1
        added = []
        for f in range(files):
            stem = f"g{generation}-f{f:04d}"
            lines = [f"{stem}-{i:06d}" for i in range(lines_per_file)]
            (self.input / f"{stem}.txt").write_text("".join(line + "\n" for line in lines))
            added += lines
        self.lines += added
        return added

    def command(self, *extra: str, db=None, out=None) -> list[str]:
        return [str(self.program), "--recovery-db", str(db or self.db), "--output",
                str(out or self.out), "--epoch-interval=5ms", *extra, str(self.input / "*.txt")]

    def run(self, *extra: str, db=None, out=None, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*extra, db=db, out=out), capture_output=True,
                              text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL, **kwargs)


def committed_marker(db: pathlib.Path) -> dict:
    """The sink marker of the latest epoch in the recovery file `db`."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        row = connection.execute(
            "SELECT sink_marker FROM epochs ORDER BY epoch DESC LIMIT 1").fetchone()
    assert row is not None, f"{db} holds no epoch"
    return json.loads(row[0])


def assert_exactly_once(out: pathlib.Path, lines: list[str]):
    """`out` holds each of `lines` once as a JSON string, and nothing else."""
    assert_same_lines(out, read_json_strings(out), lines)
