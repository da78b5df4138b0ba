"""inlet: streaming input connectors written in C++, run from Python.

A connector is a C++ ``inlet::PartitionedInput`` or ``inlet::DynamicInput``
exported to a nanobind module with ``inlet/python/export.h``. The engine
adapters live in submodules, one per engine: :mod:`inlet.bytewax`.

Every failure of a connector's C++ method raises :class:`ConnectorError`.
"""

from inlet._errors import ConnectorError

__all__ = ["ConnectorError"]
