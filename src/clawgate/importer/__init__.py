"""Import another gateway's state dir into a clawgate home and diagnose the result (OpenClaw today)."""

from clawgate.importer.openclaw import default_source, import_openclaw
from clawgate.importer.report import ImportReport

__all__ = ["ImportReport", "default_source", "import_openclaw"]
