"""What inlet.pathway relies on beyond Pathway's documented API, in one
place, with the Pathway versions it was tested with.

Importing this module checks ``pathway.__version__`` and raises ImportError
on a version outside :data:`TESTED`, naming both: each item below may change
in another release without notice.

- ``ConnectorSubject.__init__(..., session_type=...)``: the keyword is new in
  Pathway 0.33 (0.32 has none; its session was fixed by overriding the
  private ``_session_type`` property).
- ``ConnectorSubject._buffer``: the private queue between a subject's
  ``next``/``commit`` calls and Pathway's engine, whose length
  :func:`queued_events` reads.
- ``ConnectorSubject.end`` and ``_exception``: ``end`` (which Pathway's
  engine calls) raises what ``run`` raised, kept in ``_exception``;
  :class:`ConnectorSubject` forgets it once raised.
"""

from typing import Any, Tuple

import pathway

# The Pathway releases inlet.pathway is tested with: (major, minor).
TESTED: Tuple[int, int] = (0, 33)
TESTED_TEXT = f"{TESTED[0]}.{TESTED[1]}.x"


def check_version(version: str) -> None:
    """Raises ImportError unless ``version`` is a release of :data:`TESTED`."""
    parts = version.split(".")
    try:
        found = (int(parts[0]), int(parts[1]))
    except (IndexError, ValueError):
        found = None
    if found != TESTED:
        msg = (f"inlet.pathway supports pathway {TESTED_TEXT}; found {version}: inlet reads C++ "
               f"subjects through parts of Pathway that other versions may change (listed in "
               f"{__name__}). Install pathway=={TESTED[0]}.{TESTED[1]}.* beside this inlet.")
        raise ImportError(msg)


check_version(pathway.__version__)


class ConnectorSubject(pathway.io.python.ConnectorSubject):
    """``pw.io.python.ConnectorSubject`` with the session type inlet asks
    for."""

    def __init__(self, session_type: str):
        super().__init__(session_type=session_type)

    def end(self) -> None:
        """Joins ``run``'s thread and raises what ``run`` raised, then drops
        it. Pathway keeps its subjects until the interpreter exits; a kept
        error's traceback reaches the frames that called ``pw.run`` and
        their globals, so the native objects those hold would outlive
        their modules (nanobind reports them as leaked)."""
        try:
            super().end()
        finally:
            self._exception = None


def queued_events(subject: ConnectorSubject) -> int:
    """How many of ``subject``'s rows, commits and end marker Pathway's
    engine has not taken yet."""
    buffer: Any = subject._buffer
    return buffer.qsize()
