"""Read the evidence in a pasted error: the HTTP status wherever it is stated, SDK exception forms (Python,
Node, Go), AWS/Azure/Google error codes outside a JSON body, and the message those forms carry.

Nothing here decides an owner: the evidence is handed to `clawgate.failures.classify` (a status, a body, the
error's type names). Each piece records where it was read, so `explain` can say what it based its answer on
and how sure it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http import HTTPStatus

_REASONS = sorted(
    {s.phrase for s in HTTPStatus if s.value >= 400} | {"Authorization Required", "Payment Required"},
    key=len,
    reverse=True,
)
# (pattern, how it reads) — a status *stated* by the text, in the forms SDKs, gateways and logs print it.
_STATED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bHTTP(?:/\d(?:\.\d)?)?(?:\s+status(?:\s+code)?)?[\s:]+([1-5]\d\d)\b", re.I), "HTTP {0}"),
    (
        re.compile(
            r"\b(?:status[ _-]?code|statusCode|httpStatusCode|response_status_code|status)[\"']?\s*[=:]?\s*"
            r"[\"']?([1-5]\d\d)\b",
            re.I,
        ),
        "status {0}",
    ),
    (re.compile(r"\berror[ _]code:?\s*([1-5]\d\d)\b", re.I), "error code {0}"),
    (re.compile(r"\b(?:error response|api error|error|returned)\s+([1-5]\d\d)\b", re.I), "error {0}"),
    (
        re.compile(r"\b([1-5]\d\d)\s+(?:" + "|".join(re.escape(r) for r in _REASONS) + r")\b", re.I),
        "{0} reason",
    ),
    (re.compile(r"\b([1-5]\d\d)\s*\((?:PermissionDenied|[A-Z][A-Za-z]+)\)"), "{0} (code)"),
)
# A bare 4xx/5xx at the start of a phrase ("401 Invalid Authentication", "Error: 402 Insufficient Balance").
_BARE = re.compile(r"(?:^|[\s=(\[\"'])([45]\d\d)(?=[ \t]*[:\-]?[ \t]+[A-Za-z\"'{\[]|[\"']?\s*$)", re.M)
_PHRASE_STATUS = {s.phrase: s.value for s in HTTPStatus if s.value >= 400}
_HOST_PORT = re.compile(r"(?:[\w\-]\.[A-Za-z]{2,}|\d|localhost)$", re.I)

# SDK exception forms: a class name, optionally with its module path.
_EXC = re.compile(
    r"(?<![\w.])((?:[A-Za-z_][\w]*\.)*)([A-Z][A-Za-z0-9]*(?:Error|Exception)|PermissionDenied|InvalidArgument"
    r"|ResourceExhausted|Unauthenticated|NotFound|DeadlineExceeded|ServiceUnavailable|TooManyRequests)\b"
)
# Exception classes of the official SDKs (openai, anthropic, groq, together, mistralai, cohere, google-api-core,
# litellm, the Vercel AI SDK) → the HTTP status they stand for.
_CLASS_STATUS = {
    "badrequesterror": 400,
    "invalidrequesterror": 400,
    "invalidargument": 400,
    "contentpolicyviolationerror": 400,
    "contextwindowexceedederror": 400,
    "authenticationerror": 401,
    "unauthorizederror": 401,
    "unauthenticated": 401,
    "permissiondeniederror": 403,
    "permissionerror": 403,
    "permissiondenied": 403,
    "forbiddenerror": 403,
    "notfounderror": 404,
    "notfound": 404,
    "conflicterror": 409,
    "unprocessableentityerror": 422,
    "ratelimiterror": 429,
    "toomanyrequestserror": 429,
    "resourceexhausted": 429,
    "toomanyrequests": 429,
    "internalservererror": 500,
    "serviceunavailableerror": 503,
    "serviceunavailable": 503,
    "gatewaytimeouterror": 504,
    "deadlineexceeded": 504,
}
# The type name a class itself carries (litellm's ContextWindowExceededError says what a 400 alone does not).
_CLASS_LABEL = {"contextwindowexceedederror": "context_length_exceeded"}
# AWS SDKs: botocore's "An error occurred (Code) when calling the Op operation: message", and the JS/Swift forms.
_AWS_OP = re.compile(
    r"An error occurred \((\w+)\) when calling the \w+ operation(?: \(reached max retries: \d+\))?:\s*([^\n]*)"
)
_AWS_CODE = re.compile(
    r"\b((?:Unrecognized\w*|InvalidSignature|ExpiredToken|AccessDenied|Throttling|ServiceQuotaExceeded|Validation"
    r"|ResourceNotFound|ModelNotReady|ServiceUnavailable|InternalServer|ModelTimeout|ModelError|ModelStreamError)"
    r"Exception)\b",
    re.I,
)
_LABELS = (
    re.compile(r"\bErrorCode:\s*([A-Za-z_][\w.]*)"),  # Azure .NET RequestFailedException
    re.compile(r"\bStatusCode\.([A-Z_]+)\b"),  # gRPC
    re.compile(r"\bstatus:\s*'?([A-Z][A-Z_]{3,})\b"),  # Google RPC status printed bare
    re.compile(r"\b\d{3}\s+([A-Z][A-Z_]{3,})\b"),  # google-genai "429 RESOURCE_EXHAUSTED."
    re.compile(r"\"?reason\"?\s*[:=]\s*\"?([A-Z][A-Z_]{3,})\b"),  # Google ErrorInfo reason outside JSON
    re.compile(
        r"(?:^|\s)([a-z]+(?:_[a-z]+)*_error):\s"
    ),  # Anthropic SDK string form "invalid_request_error: …"
)
_CLAWGATE_CODE = re.compile(r"""['"]code['"]\s*:\s*['"]([a-z_]+\.[a-z_]+)['"]""")
_CLAWGATE_OWNER = re.compile(r"""['"]owner['"]\s*:\s*['"]([a-z_]+)['"]""")
# the tail of a clawgate error message (dialects/envelope.client_message), as CLIs that show only the message
# print it: "… [clawgate owner: provider_auth, code: auth.rejected; next: …]"
_CLAWGATE_TAIL = re.compile(r"\[clawgate owner: ([a-z_]+), code: ([a-z_]+\.[a-z_]+)[;\]]")


@dataclass
class Evidence:
    """What the text states, each piece with where it was read."""

    status: int | None = None
    status_read: str | None = None
    exc_class: str | None = None  # the SDK exception class (lower-cased)
    exc_module: str | None = None
    implied_status: int | None = None  # the status the exception class stands for
    labels: list[str] = field(default_factory=list)  # error type/code names read outside a JSON body
    message: str | None = None  # the message the exception form carries
    clawgate: tuple[str, str] | None = None  # (owner, code) of a clawgate error quoted in the text
    notes: list[str] = field(default_factory=list)


def _after_host(text: str, pos: int) -> bool:
    """True when the number at `pos` is a port (`api.openai.com:443`, `port=443`)."""
    before = text[max(0, pos - 40) : pos]
    if re.search(r"port[=:\s]*$", before, re.I):
        return True
    return before.endswith(":") and _HOST_PORT.search(before[:-1]) is not None


def _stated_status(text: str) -> tuple[int, str] | None:
    best: tuple[int, int, str] | None = None
    for rx, how in _STATED:
        for m in rx.finditer(text):
            if _after_host(text, m.start(1)):
                continue
            if best is None or m.start() < best[0]:
                best = (m.start(), int(m.group(1)), how.format(m.group(1)))
            break
    if best is not None:
        return best[1], best[2]
    for m in _BARE.finditer(text):
        if not _after_host(text, m.start(1)):
            return int(m.group(1)), f"{m.group(1)} at the start of the message"
    return None


def gather(text: str, prefix: str) -> Evidence:
    """The evidence in `text`; `prefix` is the part before any JSON body (where a status line belongs)."""
    ev = Evidence()
    found = _stated_status(prefix) or _stated_status(text)
    if found:
        ev.status, ev.status_read = found
    chosen: re.Match[str] | None = None
    for m in _EXC.finditer(text):
        if text[m.end() : m.end() + 1] == "(" and not text[m.end() :].startswith("(properties"):
            continue  # `raise ResponseError(...)`: code in a traceback, not the exception line
        chosen = m
        if m.group(2).lower() in _CLASS_STATUS:
            break  # the SDK class that names the status wins; otherwise the last (a traceback's final line)
    if chosen is not None:
        cls = chosen.group(2).lower()
        ev.exc_class, ev.exc_module = cls, (chosen.group(1) or "").rstrip(".").lower() or None
        line = text[chosen.end() :].lstrip(" :-]").split("\n", 1)[0].strip()
        line = re.sub(r"^\[?AI_\w+\]?:?\s*", "", line)
        ev.message = line or None
        if cls in _CLASS_STATUS:
            ev.implied_status = _CLASS_STATUS[cls]
            if cls in _CLASS_LABEL:
                ev.labels.append(_CLASS_LABEL[cls])
        elif line.rstrip(".") in _PHRASE_STATUS:  # "APICallError: Unauthorized"
            ev.implied_status = _PHRASE_STATUS[line.rstrip(".")]
    op = _AWS_OP.search(text)
    if op:
        ev.labels.append(op.group(1))
        ev.message = op.group(2).strip() or ev.message
        ev.notes.append(f"AWS error code {op.group(1)}")
    else:
        for m in _AWS_CODE.finditer(text):
            ev.labels.append(m.group(1))
            after = text[m.end() :].lstrip(" :(")
            if after and not after.startswith(("properties", "{")):
                ev.message = after.split("\n", 1)[0].strip() or ev.message
            ev.notes.append(f"AWS error code {m.group(1)}")
            break
    for rx in _LABELS:
        for m in rx.finditer(text):
            ev.labels.append(m.group(1))
    cg_code = _CLAWGATE_CODE.search(text)
    cg_owner = _CLAWGATE_OWNER.search(text)
    if cg_code and cg_owner:
        ev.clawgate = (cg_owner.group(1), cg_code.group(1))
    elif (tail := _CLAWGATE_TAIL.search(text)) is not None:
        ev.clawgate = (tail.group(1), tail.group(2))
    return ev


def synthetic_body(ev: Evidence, text: str) -> str | None:
    """An error body built from what the text states outside JSON, for the classifier to read."""
    import json

    if not ev.labels and not ev.message:
        return None
    msg = ev.message or " ".join(text.split())[:500]
    err: dict[str, str] = {"message": msg}
    if ev.labels:
        err["type"] = ev.labels[0]
        if len(ev.labels) > 1:
            err["code"] = ev.labels[1]
    return json.dumps({"error": err})
