"""inlet: streaming input connectors written in C++, run from Python.

A connector is a C++ ``inlet::PartitionedInput`` or ``inlet::DynamicInput``
exported to a nanobind module with ``inlet/python/export.h``, or an
``inlet::ConnectorSubject`` exported with ``inlet/python/export_subject.h``.
The engine adapters live in submodules, one per engine, each importing its
engine only when imported: :mod:`inlet.bytewax` runs inputs as Bytewax
sources, :mod:`inlet.pathway` reads subjects into Pathway tables.

Every failure of a connector's C++ method raises :class:`ConnectorError`.
"""

from inlet._errors import ConnectorError

__all__ = ["ConnectorError"]
