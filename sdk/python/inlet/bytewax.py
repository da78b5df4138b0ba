"""Run inlet connectors as Bytewax sources.

Wrap an input exported from C++ (``inlet/python/export.h``) and give it to
``bytewax.operators.input``::

    import bytewax.operators as op
    from bytewax.dataflow import Dataflow
    import inlet.bytewax

    flow = Dataflow("orders")
    lines = op.input("read", flow, inlet.bytewax.FileSource(["orders-1.txt"]))

:class:`PartitionedSource` is a genuine
:class:`bytewax.inputs.FixedPartitionedSource`: Bytewax assigns its
partitions to workers across processes and keeps each partition's snapshot in
its own recovery store. :class:`DynamicSource` is a genuine
:class:`bytewax.inputs.DynamicSource`: one source per worker, no state.

The C++ runs with the GIL released; a failure raises
:class:`inlet.ConnectorError`, which stops the dataflow.
"""

import os
from datetime import datetime, timedelta
from typing import Any, Generic, Iterable, List, Optional, TypeVar, Union

from bytewax import inputs

X = TypeVar("X")
S = TypeVar("S")

Paths = Union[str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]]]


class _NativePartition:
    """Forwards Bytewax's partition calls to a partition exported from C++."""

    def __init__(self, native: Any):
        self._native = native

    def next_batch(self) -> List[Any]:
        """Calls ``NextBatch``: the items ready now; StopIteration at the end."""
        return self._native.next_batch()

    def next_awake(self) -> Optional[datetime]:
        """Calls ``NextAwake``: an aware UTC datetime, or None."""
        return self._native.next_awake()

    def close(self) -> None:
        """Calls ``Close``."""
        self._native.close()


class _StatefulPartition(_NativePartition, inputs.StatefulSourcePartition[X, S]):
    """One live partition of a :class:`PartitionedSource`."""

    def snapshot(self) -> S:
        """Calls ``Snapshot``: the state (a plain value) that resumes right
        after the last item returned."""
        return self._native.snapshot()


class _StatelessPartition(_NativePartition, inputs.StatelessSourcePartition[X]):
    """The source of one worker of a :class:`DynamicSource`."""


class PartitionedSource(inputs.FixedPartitionedSource[X, S], Generic[X, S]):
    """A C++ ``inlet::PartitionedInput`` as a Bytewax FixedPartitionedSource.

    ``native_input`` is an instance of a class exported with
    ``inlet::python::ExportPartitionedInput``. Resume states are the JSON of
    the C++ ``State`` as plain Python values, so Bytewax pickles them into
    its recovery store.
    """

    def __init__(self, native_input: Any):
        if not hasattr(native_input, "build_part"):
            msg = (f"{type(native_input).__name__} is not an input exported with "
                   "inlet::python::ExportPartitionedInput")
            raise TypeError(msg)
        self._input = native_input

    def list_parts(self) -> List[str]:
        """Calls ``ListParts``: the partitions this process can reach."""
        return self._input.list_parts()

    def build_part(
        self, step_id: str, for_part: str, resume_state: Optional[S]
    ) -> inputs.StatefulSourcePartition[X, S]:
        """Calls ``BuildPart``; ``resume_state`` None starts from the beginning."""
        return _StatefulPartition(self._input.build_part(step_id, for_part, resume_state))


class DynamicSource(inputs.DynamicSource[X]):
    """A C++ ``inlet::DynamicInput`` as a Bytewax DynamicSource.

    ``native_input`` is an instance of a class exported with
    ``inlet::python::ExportDynamicInput``.
    """

    def __init__(self, native_input: Any):
        if not hasattr(native_input, "build"):
            msg = (f"{type(native_input).__name__} is not an input exported with "
                   "inlet::python::ExportDynamicInput")
            raise TypeError(msg)
        self._input = native_input

    def build(
        self, step_id: str, worker_index: int, worker_count: int
    ) -> inputs.StatelessSourcePartition[X]:
        """Calls ``Build`` for this worker."""
        return _StatelessPartition(self._input.build(step_id, worker_index, worker_count))


def _path_list(paths: Paths) -> List[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(path) for path in paths]


class _FileLinesSource(PartitionedSource[X, int]):
    """The file sources' shared constructor: which files, and how to read them.

    ``batch_size`` is the most lines one batch holds. With ``follow``, a
    partition never ends: at the end of its file it looks for appended lines
    every ``poll_interval``, and a last line without its newline waits for it.
    """

    _native_type: str  # The class of inlet._inlet that reads the files.

    def __init__(
        self,
        files: Paths,
        *,
        batch_size: int = 1000,
        follow: bool = False,
        poll_interval: timedelta = timedelta(milliseconds=100),
    ):
        from inlet import _inlet

        native_type = getattr(_inlet, self._native_type)
        super().__init__(native_type(
            self._files_argument(files), follow=follow,
            poll_interval_seconds=poll_interval.total_seconds(), batch_size=batch_size))

    @staticmethod
    def _files_argument(files: Paths) -> Any:
        return _path_list(files)


class FileSource(_FileLinesSource[str]):
    """Lines of text files (a path or a list of paths), one partition per
    file, read in C++.

    Yields each line as a str without its trailing newline (the bytes must be
    UTF-8), like ``bytewax.connectors.files.FileSource``; the state is the
    byte offset after the last line. A partition is named by its path as
    given. See ``inlet/connectors/file_input.h`` for every error. Keyword arguments as
    described in :class:`_FileLinesSource`.
    """

    _native_type = "FileInput"


class DirSource(_FileLinesSource[str]):
    """Lines of every regular file matching a glob pattern, as
    :class:`FileSource` reads them; the pattern is evaluated when Bytewax
    lists the partitions. See ``inlet/connectors/directory_input.h``."""

    _native_type = "DirectoryInput"
    _files_argument = staticmethod(os.fspath)


class JsonLinesSource(_FileLinesSource[Any]):
    """JSON lines of text files, parsed in C++: each line becomes a dict,
    list, str, number, bool or None. Otherwise as :class:`FileSource`; a line
    that is not JSON raises :class:`inlet.ConnectorError` (INVALID_ARGUMENT).
    """

    _native_type = "JsonLinesInput"
