"""The dataflow test_bytewax_parity.py runs in real Bytewax processes
(`python -m bytewax.run bytewax_parity_flow.py ...`): one file source, either
inlet's or Bytewax's own, over the same files.

Configured through the environment:
  PARITY_SOURCE  "inlet" or "bytewax": whose sources read
  PARITY_FILES   files, os.pathsep-separated (FileSource; one Bytewax
                 FileSource per file, since it takes one path)
  PARITY_DIR     a directory (DirSource), with PARITY_GLOB (default "*")
  PARITY_OUT     the output file prefix: each worker appends every item as a
                 JSON line to <prefix>-<pid>-<worker index>.jsonl
Relative paths are relative to the process's working directory, so two
processes started in different directories see different files, as two
machines do.
"""

import json
import os
from pathlib import Path

import bytewax.operators as op
from bytewax.connectors import files as bytewax_files
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition

import inlet.bytewax


class _Lines(StatelessSinkPartition):
    def __init__(self, path: str):
        self._file = open(path, "a", encoding="utf-8")

    def write_batch(self, items) -> None:
        self._file.write("".join(json.dumps(item) + "\n" for item in items))
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class JsonLinesSink(DynamicSink):
    def __init__(self, prefix: str):
        self._prefix = f"{prefix}-{os.getpid()}"

    def build(self, step_id, worker_index, worker_count):
        return _Lines(f"{self._prefix}-{worker_index}.jsonl")


flow = Dataflow("parity")
use_inlet = os.environ["PARITY_SOURCE"] == "inlet"
streams = []
files = [path for path in os.environ.get("PARITY_FILES", "").split(os.pathsep) if path]
if files and use_inlet:
    streams.append(op.input("files", flow, inlet.bytewax.FileSource(files, batch_size=7)))
for number, path in enumerate(files if not use_inlet else []):
    streams.append(op.input(f"file{number}", flow, bytewax_files.FileSource(path, batch_size=7)))
directory = os.environ.get("PARITY_DIR")
if directory:
    pattern = os.environ.get("PARITY_GLOB", "*")
    source = (inlet.bytewax.DirSource(directory, pattern, batch_size=7) if use_inlet
              else bytewax_files.DirSource(Path(directory), pattern, batch_size=7))
    streams.append(op.input("dir", flow, source))
op.output("out", op.merge("all", *streams), JsonLinesSink(os.environ["PARITY_OUT"]))
