"""The exception a connector's C++ code raises in Python."""

from typing import Optional


class ConnectorError(RuntimeError):
    """A connector's C++ method returned a non-OK status or threw.

    ``str(error)`` reads as the embedded runtime's messages do, e.g.
    ``step "orders" partition "part-3": NextBatch: connection reset``, or
    for a subject ``subject "orders": Run: connection reset``.

    Attributes:
        step: The step id, or None when unknown (``list_parts`` is called
            before Bytewax names the step) or for a subject.
        partition: The partition's name (``"worker-N"`` for a dynamic
            input's source; the subject's name for a subject), or None for
            ``list_parts``.
        method: The C++ method that failed: ``ListParts``, ``BuildPart``,
            ``Build``, ``NextBatch``, ``NextAwake``, ``Snapshot`` or
            ``Close``; for a subject ``Run``, ``Seek`` or ``OnStop``, or
            ``Next`` for a message its format or schema rejects.
        message: The status message alone (``exception: <what>`` for a
            C++ exception; a subject's exception gives ``<what>``).
        code: The status code's name, e.g. ``"NOT_FOUND"``; ``"UNKNOWN"``
            for an exception.
    """

    def __init__(
        self,
        text: str,
        step: Optional[str],
        partition: Optional[str],
        method: str,
        message: str,
        code: str,
    ):
        super().__init__(text, step, partition, method, message, code)
        self.step = step
        self.partition = partition
        self.method = method
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.args[0]
