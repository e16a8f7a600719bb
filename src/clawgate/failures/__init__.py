"""Failures: the one shape of a failed call (`Failure`), the code registry (`codes`), the reactions per code
(`policy`), and the classifier that turns provider answers and exceptions into them (`classify`).

Build a Failure with `failure(code, message, ...)`: the owner comes from the registry, the reactions from the
policy. `Failure(...)` itself validates a code and owner against the registry."""

from clawgate.failures.codes import CODES, OWNERS, Code
from clawgate.failures.failure import Failure, failure, from_error
from clawgate.failures.policy import FALLBACK_CODES, NEXT_CREDENTIAL_CODES, RETRYABLE_CODES, health_effect

__all__ = [
    "CODES",
    "FALLBACK_CODES",
    "NEXT_CREDENTIAL_CODES",
    "OWNERS",
    "RETRYABLE_CODES",
    "Code",
    "Failure",
    "failure",
    "from_error",
    "health_effect",
]
