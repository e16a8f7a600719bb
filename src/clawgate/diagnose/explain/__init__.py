"""`explain`: classify a pasted error (provider body, clawgate error, another gateway's log line) and check its causes.

Provider bodies go through the one classifier (`clawgate.failures.classify`); this package only finds the
status, the body, the provider and the host in the pasted text (`parse`, `detect`, `status`). Text without a
text without a provider body goes through the classifier's description rules (`failures.describe`), the same owners and codes
(`classify`). With a snapshot of the local setup, each likely cause (`catalogue`) is checked against what the
resolver would really do (`credential_checks`, `setup_checks`; `holds` true / false / null) by `causes`;
`local` ties it together.
"""

from __future__ import annotations

from clawgate.diagnose.explain.causes import check_causes
from clawgate.diagnose.explain.classify import classify_text
from clawgate.diagnose.explain.detect import detect_provider
from clawgate.diagnose.explain.local import explain, local_provider
from clawgate.diagnose.explain.model import Cause, Explanation

__all__ = [
    "Cause",
    "Explanation",
    "check_causes",
    "classify_text",
    "detect_provider",
    "explain",
    "local_provider",
]
