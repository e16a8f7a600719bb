"""Failures: the one shape of a failed call (`Failure`), the code registry, the failover policy, and the
classifier that turns provider answers and exceptions into them."""

from clawgate.failures.failure import CODES, FALLBACK_CODES, NEXT_CREDENTIAL_CODES, OWNERS, Failure

__all__ = ["CODES", "FALLBACK_CODES", "NEXT_CREDENTIAL_CODES", "OWNERS", "Failure"]
