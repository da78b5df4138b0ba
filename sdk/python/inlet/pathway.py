"""Read inlet ConnectorSubjects into Pathway tables.

A subject written in C++ (``inlet::ConnectorSubject``) and exported with
``inlet/python/export_subject.h`` becomes a Pathway table::

    import pathway as pw
    import inlet.pathway
    import my_connector

    orders = inlet.pathway.read(my_connector.Orders("https://example.com/orders"))
    pw.io.jsonlines.write(orders, "orders.jsonl")
    pw.run()

The C++ subject runs on a thread of its own, through the same adapter as on
the embedded runtime: its messages become rows, and its commits (``Commit``,
autocommit, ``Close`` or the end of ``Run``) become Pathway commits, whole
(one Pathway commit may hold several), so a transaction of a change-data
source reaches Pathway at one time. A failure raises
:class:`inlet.ConnectorError` from ``pw.run`` once the rows committed before
it were delivered.

``session_type`` is Pathway's: ``"native"`` inserts every message as a new
row, ``"upsert"`` makes a message replace the row with the same primary key.

Supports Pathway 0.33 (see :mod:`inlet._pathway_compat`); importing this
module with another version raises ImportError.

Pathway 0.33 never tells a subject what became durable (its ``seek`` and
``on_persisted_run`` come once, before ``run``), so under Pathway a C++
subject's ``OnCommitted`` and ``Seek`` are never called.

Pathway never asks a Python subject to stop: when ``pw.run`` fails or is
interrupted, a subject that has not ended keeps running. inlet asks every
such C++ subject to stop when the interpreter exits, so the process does not
wait for it forever.
"""

import threading
import time
import warnings
from typing import Any, Callable, Dict, List, Literal, Optional, Type

import pathway as pw

from inlet import _pathway_compat

__all__ = ["read", "schema_of"]

# How Pathway types the fields of a C++ schema.
_DTYPES: Dict[str, Any] = {
    "bool": bool,
    "int": int,
    "float": float,
    "string": str,
    "bytes": bytes,
    "json": pw.Json,
}

# The `data` column of a subject without a schema, per format.
_DATA_DTYPES: Dict[str, Any] = {"json": pw.Json, "raw": str, "bytes": bytes}

# How long a subject's thread waits in C++ for messages before it looks at
# whether it should stop; bounds the delay of a stop at interpreter exit.
_POLL_SECONDS = 0.1

# The default of `read`'s `max_commit_size`: 16 default backlogs.
_MAX_COMMIT_SIZE = 1 << 20

# Pathway 0.33 may drop the rows of the last commits before an exception
# from `run` when its engine reads them together with the exception. Before
# raising, `run` waits until the engine has taken every event, then this
# long for it to process them.
_SETTLE_SECONDS = 0.1


def _native_schema(subject: Any) -> List[Dict[str, Any]]:
    schema = getattr(subject, "schema", None)
    if not hasattr(subject, "open") or not isinstance(schema, list):
        msg = (f"{type(subject).__name__} is not a subject exported with "
               "inlet::python::ExportConnectorSubject")
        raise TypeError(msg)
    return schema


def _default_value(field: Dict[str, Any]) -> Any:
    value = field["default"]
    if field["type"] == "json":
        return pw.Json(value)
    if field["type"] == "bytes" and isinstance(value, str):
        return value.encode()
    return value


def schema_of(subject: Any) -> Type[pw.Schema]:
    """The Pathway schema of the rows ``subject`` produces.

    With a C++ schema, one column per field, in order: bool, int, float,
    string, bytes and json fields become ``bool``, ``int``, ``float``,
    ``str``, ``bytes`` and ``pw.Json`` columns, with the field's default and
    primary key. Without one, a single column ``data``: ``pw.Json`` for the
    JSON format, ``str`` for raw, ``bytes`` for bytes.

    Raises TypeError when ``subject`` is not an exported subject.
    """
    fields = _native_schema(subject)
    columns = {}
    for field in fields:
        definition = {"dtype": _DTYPES[field["type"]], "primary_key": field["primary_key"]}
        if "default" in field:
            definition["default_value"] = _default_value(field)
        columns[field["name"]] = pw.column_definition(**definition)
    if not fields:
        columns["data"] = pw.column_definition(dtype=_DATA_DTYPES[subject.format])
    return pw.schema_builder(columns, name=f"{type(subject).__name__}Schema")


def _row_maker(subject: Any, explicit_schema: bool,
               name: str) -> Callable[[Any, int], Dict[str, Any]]:
    """How one message's value (and its number) becomes the keyword
    arguments of a row."""
    if subject.schema or (explicit_schema and subject.format == "json"):
        def as_fields(value: Any, number: int) -> Dict[str, Any]:
            if not isinstance(value, dict):
                msg = (f'subject "{name}": message {number}: a row needs a JSON object, got '
                       f"{type(value).__name__}")
                raise ValueError(msg)
            return value
        return as_fields
    return lambda value, number: {"data": value}


class _Running:
    """The subjects whose ``run`` has not returned. When the interpreter
    exits, before it joins non-daemon threads, each is asked to stop and
    waited for: Pathway runs subjects on daemon threads, which the
    interpreter would kill in the middle of C++ code."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subjects: set = set()
        self._hooked = False

    def add(self, subject: "_Subject") -> None:
        with self._lock:
            if not self._hooked:
                register = getattr(threading, "_register_atexit", None)
                if register is not None:
                    register(self._stop_all)
                self._hooked = True
            self._subjects.add(subject)

    def discard(self, subject: "_Subject") -> None:
        with self._lock:
            self._subjects.discard(subject)

    def _stop_all(self) -> None:
        with self._lock:
            subjects = list(self._subjects)
        for subject in subjects:
            subject._stop.set()
        for subject in subjects:
            subject._done.wait()


_running = _Running()


class _Subject(_pathway_compat.ConnectorSubject):
    """Pathway's side of one C++ subject: ``run`` hands each batch of
    whole commits to Pathway as rows and one commit."""

    def __init__(self, reader: Any, make_row: Callable[[Any, int], Dict[str, Any]],
                 max_backlog: Optional[int], session_type: str, name: str):
        super().__init__(session_type)
        self._reader = reader
        self._make_row = make_row
        self._max_backlog = max_backlog
        self._name = name
        self._warned = False  # Of a commit cut by max_commit_size.
        self._stop = threading.Event()  # Set to stop the C++ subject.
        self._done = threading.Event()  # Set once it is stopped and joined.

    def run(self) -> None:
        """Called by Pathway on a thread of its own: runs the C++ subject
        until it ends, fails or the interpreter exits, then stops and joins
        it. Raises :class:`inlet.ConnectorError` when it fails."""
        _running.add(self)
        next_batch, make_row, next_row = self._reader.next_batch, self._make_row, self.next
        number = 0
        try:
            while not self._stop.is_set():
                try:
                    values = next_batch(_POLL_SECONDS)
                except StopIteration:
                    return
                if not values:
                    continue
                if self._reader.cut_commits and not self._warned:
                    self._warn_of_a_cut_commit()
                # Every row first, so that a message that is not one fails
                # before any row of its commit reaches Pathway.
                rows = []
                for value in values:
                    number += 1
                    rows.append(make_row(value, number))
                for row in rows:
                    next_row(**row)
                self.commit()
                self._wait_for_room()
        except Exception:
            self._let_pathway_take_what_was_committed()
            raise
        finally:
            next_batch = None
            try:
                self._close()
            finally:
                _running.discard(self)
                self._done.set()

    def _warn_of_a_cut_commit(self) -> None:
        self._warned = True
        warnings.warn(f'subject "{self._name}": a commit was larger than max_commit_size and '
                      "reaches Pathway in parts", RuntimeWarning, stacklevel=2)

    def _close(self) -> None:
        """Stops the C++ subject and drops the reader: Pathway keeps its
        subjects until the interpreter exits."""
        reader, self._reader = self._reader, None
        reader.close()

    def _let_pathway_take_what_was_committed(self) -> None:
        while _pathway_compat.queued_events(self) > 0 and not self._stop.is_set():
            time.sleep(0.001)
        time.sleep(_SETTLE_SECONDS)

    def _wait_for_room(self) -> None:
        """Takes no more from C++ while Pathway holds ``max_backlog`` rows
        it has not read, so the backlog bounds memory end to end."""
        if self._max_backlog is None:
            return
        while (_pathway_compat.queued_events(self) > self._max_backlog
               and not self._stop.is_set()):
            time.sleep(0.001)


def read(
    subject: Any,
    *,
    schema: Optional[Type[pw.Schema]] = None,
    name: Optional[str] = None,
    autocommit_duration_ms: Optional[int] = None,
    max_backlog_size: Optional[int] = None,
    session_type: Literal["native", "upsert"] = "native",
    max_commit_size: int = _MAX_COMMIT_SIZE,
) -> pw.Table:
    """Reads a C++ subject into a Pathway table, with ``pw.io.python.read``.

    Call it while building the pipeline; the subject runs once ``pw.run``
    starts, and a subject runs once: reading it again raises ValueError.

    Args:
        subject: An instance of a class exported with
            ``inlet::python::ExportConnectorSubject``.
        schema: The table's schema. Default: :func:`schema_of` the subject.
            Given, the rows must fit it (Pathway checks them): with the JSON
            format each message must be an object whose fields are columns.
        name: Names the subject in errors (default: the name its export
            gives) and, when given, the Pathway connector (``name`` of
            ``pw.io.python.read``, which must then be unique).
        autocommit_duration_ms: When the subject does not commit, its
            messages become rows at the latest this long after the first of
            them. Default: the export's ``autocommit_duration`` (1500 ms
            unless it says otherwise). Pathway's own autocommit is off, so a
            commit of the subject is never split (but see
            ``max_commit_size``).
        max_backlog_size: At most this many messages wait in C++ (a ``Next``
            call beyond blocks the subject), and no more are taken while
            Pathway holds this many rows unread. Default: the export's
            ``max_backlog`` (65536 unless it says otherwise) and no bound on
            Pathway's side.
        session_type: Pathway's session type. ``"native"``: every message is
            a new row, and two rows with one primary key are an error of
            Pathway's (``KeyError: 'duplicated entries for key ...'`` from
            ``pw.debug.table_to_pandas``). ``"upsert"``: a message replaces
            the row with the same primary key, as with
            ``pw.io.python.ConnectorSubject(session_type="upsert")``; the
            schema needs a primary key (Pathway raises ValueError). A C++
            subject has no deletions.
        max_commit_size: A commit larger than the backlog reaches C++'s
            reader in parts, which are held, in C++, until the commit ends,
            so that it reaches Pathway whole: memory then holds up to this
            many messages beyond the backlog. A commit larger than this is
            handed to Pathway in parts of this size, with a RuntimeWarning
            naming the subject. Default: 1,048,576.

    Returns:
        The table of the subject's messages, one row per message.
    """
    _native_schema(subject)
    if autocommit_duration_ms is not None and autocommit_duration_ms < 0:
        msg = f"autocommit_duration_ms must not be negative, got {autocommit_duration_ms}"
        raise ValueError(msg)
    if max_backlog_size is not None and max_backlog_size < 1:
        raise ValueError(f"max_backlog_size must be at least 1, got {max_backlog_size}")
    if max_commit_size < 1:
        raise ValueError(f"max_commit_size must be at least 1, got {max_commit_size}")
    if session_type not in ("native", "upsert"):
        raise ValueError(f"session_type must be 'native' or 'upsert', got {session_type!r}")
    table_schema = schema if schema is not None else schema_of(subject)
    subject_name = name if name is not None else subject.name
    make_row = _row_maker(subject, schema is not None, subject_name)
    reader = subject.open(
        name=subject_name,
        autocommit_seconds=(None if autocommit_duration_ms is None
                            else autocommit_duration_ms / 1000),
        max_backlog=max_backlog_size, max_commit_size=max_commit_size)
    python_subject = _Subject(reader, make_row, max_backlog_size, session_type, subject_name)
    return pw.io.python.read(python_subject, schema=table_schema, autocommit_duration_ms=None,
                             name=name)
