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

Bytewax never tells a source what became durable (no callback follows its
recovery store's commit; a resume starts from the lowest frontier of all
workers), so under Bytewax a source's ``Committed`` is never called: an
ack-based source is read at least once and leaves redelivery to its system.
A source's waker is not bound either: a partition whose ``NextAwake`` says
"when woken" is polled again 1 ms later, and a followed file is polled every
``poll_interval``. docs/reliability.md gives the details.
"""

import glob
import os
import pathlib
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
        """Calls ``ListParts``: the partitions this process can reach.

        Bytewax 0.21 calls ``list_parts()`` on every worker with no argument:
        nothing tells it which worker (or how many) is asking (bytewax issue
        #379). It need not list every partition, only those this process can
        reach; Bytewax then gives each partition to one of the workers that
        listed it. So a partition is bound to a machine by what is listed
        there, never to a worker. Work that must know the worker belongs in
        a :class:`DynamicSource` (``build`` receives ``worker_index`` and
        ``worker_count``); one big file is spread over workers by listing it
        as byte ranges (:class:`JsonLinesSource` ``split_bytes``).
        """
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


class _FileLinesSource(inputs.FixedPartitionedSource[X, int], Generic[X]):
    """What the file sources share: one partition per file, read in C++ by
    ``_native_type`` of ``inlet._inlet``, named by its path; the state is
    the byte offset after the last line handed out."""

    _native_type: str  # The class of inlet._inlet that reads the files.
    _text = True  # Lines end as in Python's text mode and must be UTF-8.

    def __init__(self, batch_size: int, follow: bool, poll_interval: timedelta):
        self._options = dict(
            follow=follow, poll_interval_seconds=poll_interval.total_seconds(),
            batch_size=batch_size, universal_newlines=self._text, require_utf8=self._text)

    def _native(self, paths: List[str]) -> Any:
        """A C++ input of ``paths`` with this source's options."""
        from inlet import _inlet

        return getattr(_inlet, self._native_type)(paths, **self._options)

    def _present(self, paths: List[str]) -> List[str]:
        """The partitions among ``paths`` that this process can read: the
        files that exist here, checked by the C++ input (regular files, none
        twice)."""
        present = [path for path in paths if os.path.exists(path)]
        return self._native(present).list_parts() if present else []

    def build_part(
        self, step_id: str, for_part: str, resume_state: Optional[int]
    ) -> inputs.StatefulSourcePartition[X, int]:
        """Opens the file ``for_part`` (a name :meth:`list_parts` returned),
        at the byte offset ``resume_state`` (None: from its start)."""
        native = self._native([for_part]).build_part(step_id, for_part, resume_state)
        return _StatefulPartition(native)


class _FilesSource(_FileLinesSource[X]):
    """A file source given its paths: one partition per path that exists."""

    def __init__(
        self,
        files: Paths,
        batch_size: int = 1000,
        *,
        follow: bool = False,
        poll_interval: timedelta = timedelta(milliseconds=100),
    ):
        super().__init__(batch_size, follow, poll_interval)
        self._paths = _path_list(files)
        if not self._paths:
            raise ValueError(f"{type(self).__name__} needs at least one path")

    def list_parts(self) -> List[str]:
        """The paths that exist on this machine, as given; raises
        :class:`inlet.ConnectorError` for one that is not a regular file or
        names a file listed before."""
        return self._present(self._paths)

    def build_part(
        self, step_id: str, for_part: str, resume_state: Optional[int]
    ) -> inputs.StatefulSourcePartition[X, int]:
        """Opens the path ``for_part`` at the byte offset ``resume_state``
        (None: from its start); :class:`inlet.ConnectorError` (NOT_FOUND)
        for a name that is not one of the paths."""
        native = self._native(self._paths).build_part(step_id, for_part, resume_state)
        return _StatefulPartition(native)


class FileSource(_FilesSource[str]):
    """Lines of text files, read in C++: one partition per file, named by
    its path as given. ``files`` is a path or a list of paths.

    ``batch_size`` is the most lines one batch holds. With ``follow``, a
    partition never ends: at the end of its file it looks for appended lines
    every ``poll_interval``, and a last line without its ending waits for it.

    Yields what ``bytewax.connectors.files.FileSource`` yields for the same
    file: each line as a str without its ending, where ``"\\r\\n"``, a lone
    ``"\\r"`` and ``"\\n"`` each end a line (Python's universal newlines),
    blank lines are kept and a last line without an ending is yielded. The
    state is the byte offset after the last line (Bytewax's is the opaque
    ``tell()`` of a text file), so resuming neither repeats nor skips a line,
    even from a snapshot taken between the ``"\\r"`` and the ``"\\n"`` of a
    line ending.

    :meth:`list_parts` lists the files that exist on this machine, as
    Bytewax's does: in a cluster where each machine holds some of the files,
    each file is read once, by a worker of a machine that has it, and a file
    no machine has is read by none.

    Where it deliberately differs from Bytewax's:

    - The bytes must be UTF-8 (Bytewax decodes with the locale's encoding).
      A line that is not raises :class:`inlet.ConnectorError` from
      ``next_batch`` naming the file (``partition``), the method
      (``NextBatch``) and the offset of the first bad byte, e.g.
      ``...: NextBatch: orders.txt: invalid UTF-8 at byte 1234 (0xff)``,
      after the lines before it were yielded; the snapshot then points at
      the start of that line. Bytewax raises ``UnicodeDecodeError`` and
      loses the good lines of the batch.
    - Several files in one source; ``follow`` and ``poll_interval``; a
      partition is named by its path, and there is no ``get_fs_id``: the
      same path listed by two machines is one partition.
    - A path that is a directory, a FIFO or a device fails ``list_parts``
      (``inlet/connectors/file_input.h`` lists every error).
    """

    _native_type = "FileInput"


class DirSource(_FileLinesSource[str]):
    """Lines of every regular file of ``dir_path`` that matches
    ``glob_pat``, each read as :class:`FileSource` reads it: the signature
    and the matching of ``bytewax.connectors.files.DirSource``.

    The pattern is evaluated by ``pathlib.Path(dir_path).glob(glob_pat)``
    each time Bytewax lists the partitions (so ``"**/*.log"`` recurses),
    on each machine; a partition is named ``<dir_path>/<relative path>``.
    A directory that does not exist on this machine gives no partition.

    Where it deliberately differs from Bytewax's (besides those of
    :class:`FileSource`): a missing ``dir_path`` is not an error when the
    source is made, since in a cluster the directory need only exist on the
    machines that hold files (Bytewax raises ValueError); matches that are
    not regular files (directories) are skipped, where Bytewax fails to open
    them. A glob in ``dir_path`` itself, as ``DirSource("logs/*.log")`` read
    before inlet 0.1, raises ValueError saying to pass ``glob_pat``.
    """

    _native_type = "FileInput"

    def __init__(
        self,
        dir_path: Union[str, "os.PathLike[str]"],
        glob_pat: str = "*",
        batch_size: int = 1000,
        *,
        follow: bool = False,
        poll_interval: timedelta = timedelta(milliseconds=100),
    ):
        super().__init__(batch_size, follow, poll_interval)
        self._dir = pathlib.Path(dir_path)
        if glob.has_magic(os.fspath(dir_path)) and not self._dir.is_dir():
            msg = (f"DirSource takes a directory and a pattern, as Bytewax's does: "
                   f"DirSource({os.fspath(self._dir.parent)!r}, "
                   f"glob_pat={self._dir.name!r}); got the directory {os.fspath(dir_path)!r}")
            raise ValueError(msg)
        self._glob_pat = glob_pat

    def list_parts(self) -> List[str]:
        """The regular files of the directory that match the pattern now,
        sorted; none when the directory does not exist here."""
        if not self._dir.is_dir():
            return []
        return self._present(sorted(
            os.fspath(path) for path in self._dir.glob(self._glob_pat) if path.is_file()))


class JsonLinesSource(_FilesSource[Any]):
    """JSON lines of text files, parsed in C++: each line becomes a dict,
    list, str, number, bool or None. Partitions, state, ``list_parts`` and
    arguments as :class:`FileSource`; lines end at ``"\\n"`` (a ``"\\r"``
    before it is JSON whitespace). A line that is not JSON raises
    :class:`inlet.ConnectorError` (INVALID_ARGUMENT) naming the file.
    """

    _native_type = "JsonLinesInput"
    _text = False

    def __init__(
        self,
        files: Paths,
        batch_size: int = 1000,
        *,
        follow: bool = False,
        poll_interval: timedelta = timedelta(milliseconds=100),
        split_bytes: int = 0,
    ):
        """``split_bytes`` > 0 reads each file larger than that as byte ranges
        of that size, each a partition of its own (named
        ``<path>@<start>-<end>``), so Bytewax spreads one big file over its
        workers: a range reads the lines that start in it, so every line is
        read once, and ranges resume and rescale like files. A file must not
        change while it is read in ranges, and a run resumes only with the
        same ``split_bytes``; not with ``follow``."""
        super().__init__(files, batch_size, follow=follow, poll_interval=poll_interval)
        if split_bytes < 0:
            raise ValueError(f"split_bytes must not be negative, got {split_bytes}")
        if split_bytes and follow:
            raise ValueError("split_bytes cannot be used with follow: a followed file grows, "
                             "and its ranges are fixed when it is listed")
        self._options["split_bytes"] = split_bytes
