"""Diagnosis: findings (stable codes from shared/reference/diagnostics.md) computed from the resolver's output."""
