"""The `clawgate` command line: one module per command group, sharing output and context helpers."""
