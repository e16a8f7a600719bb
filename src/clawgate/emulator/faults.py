"""Scripted faults: the Fault value, match rules, the consumable script queue and the model-name trigger."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Faults answered with an error status instead of a reply.
STATUS_KINDS = frozenset(
    {
        "missing_key",
        "wrong_key",
        "billing",
        "forbidden",
        "rate_limit",
        "overloaded",
        "server_error",
        "unknown_model",
        "context_length",
        "custom",
    }
)
# Faults that shape a successful reply (mostly its stream).
SHAPE_KINDS = frozenset(
    {
        "none",
        "slow_first_byte",
        "slow_chunks",
        "cut_mid_stream",
        "inband_error",
        "keepalive",
        "hang",
        "extra_done",
        "no_done",
    }
)
KINDS = STATUS_KINDS | SHAPE_KINDS
AUTH_KINDS = frozenset({"missing_key", "wrong_key"})

# Defaults that depend on the kind.
DEFAULT_FIRST_BYTE_MS = 1000
DEFAULT_CHUNK_DELAY_MS = 100
DEFAULT_AFTER = {"cut_mid_stream": 2, "inband_error": 2, "hang": 0}
DEFAULT_RETRY_AFTER = 1.0


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault to apply to one request; unset fields take the kind's default."""

    kind: str
    status: int | None = None  # override the HTTP status of a status fault
    retry_after: float | None = None  # `retry-after` seconds (rate_limit defaults to 1)
    retry_after_ms: int | None = None  # `retry-after-ms`
    no_retry: bool = False  # send no retry headers at all
    first_byte_ms: int | None = (
        None  # delay before the first byte (headers, or first data for keep-alive dialects)
    )
    chunk_delay_ms: int | None = None  # delay between stream events
    keepalive_ms: int = 100  # interval of keep-alive lines while a first byte is delayed
    after: int | None = None  # content chunks sent before cut / hang / in-band error
    chunks: int | None = None  # number of content chunks for this request
    variant: str | None = None  # dialect-specific shape variant (Responses in-band error: "flat")
    body: Any = None  # custom: the body (str, bytes or JSON value)
    headers: Mapping[str, str] | None = None  # custom: extra headers; any other kind: on the normal answer
    content_type: str = "application/json"  # custom: content type

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(sorted(KINDS))}")
        for name in ("after", "chunks", "first_byte_ms", "chunk_delay_ms", "retry_after_ms"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"fault {name} must be a non-negative integer, got {value!r}")
        if self.status is not None and not (isinstance(self.status, int) and 100 <= self.status <= 599):
            raise ValueError(f"fault status must be an HTTP status code, got {self.status!r}")
        if self.chunks is not None and self.chunks < 1:
            raise ValueError("fault chunks must be >= 1")
        if self.keepalive_ms < 1:
            raise ValueError("fault keepalive_ms must be >= 1")
        if self.kind == "custom" and self.status is None:
            raise ValueError("a custom fault needs a status")

    # Effective values -----------------------------------------------------------------
    @property
    def is_status(self) -> bool:
        return self.kind in STATUS_KINDS

    def effective_first_byte_ms(self) -> int:
        if self.first_byte_ms is not None:
            return self.first_byte_ms
        return DEFAULT_FIRST_BYTE_MS if self.kind == "slow_first_byte" else 0

    def effective_chunk_delay_ms(self) -> int:
        if self.chunk_delay_ms is not None:
            return self.chunk_delay_ms
        return DEFAULT_CHUNK_DELAY_MS if self.kind == "slow_chunks" else 0

    def effective_after(self) -> int:
        return self.after if self.after is not None else DEFAULT_AFTER.get(self.kind, 0)

    def retry_headers(self, default_seconds: float | None = DEFAULT_RETRY_AFTER) -> dict[str, str]:
        """`retry-after` / `retry-after-ms` headers for this fault (default: seconds only)."""
        if self.no_retry:
            return {}
        out: dict[str, str] = {}
        seconds = self.retry_after
        if seconds is None and self.retry_after_ms is None:
            seconds = default_seconds
        if seconds is not None:
            out["retry-after"] = _num(seconds)
        if self.retry_after_ms is not None:
            out["retry-after-ms"] = str(self.retry_after_ms)
        return out

    def retry_seconds(self) -> float:
        """The retry delay in seconds that an error message should quote."""
        if self.retry_after is not None:
            return self.retry_after
        if self.retry_after_ms is not None:
            return self.retry_after_ms / 1000
        return DEFAULT_RETRY_AFTER

    # (De)serialisation -----------------------------------------------------------------
    @classmethod
    def from_value(cls, value: Fault | str | Mapping[str, Any]) -> Fault:
        """A Fault from a Fault, a kind name, or a JSON object (`ms` is accepted as in triggers)."""
        if isinstance(value, Fault):
            return value
        if isinstance(value, str):
            return cls(kind=value)
        if not isinstance(value, Mapping):
            raise ValueError(f"a fault must be a kind name or an object, got {type(value).__name__}")
        data = dict(value)
        kind = data.pop("kind", None)
        if not isinstance(kind, str):
            raise ValueError("a fault object needs a string 'kind'")
        if "ms" in data:
            data[_ms_field(kind)] = data.pop("ms")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault field(s) {', '.join(unknown)}")
        if "retry_after" in data and data["retry_after"] is not None:
            data["retry_after"] = float(data["retry_after"])
        return cls(kind=kind, **data)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if v is not None and k != "keepalive_ms"}
        if self.keepalive_ms != 100:
            out["keepalive_ms"] = self.keepalive_ms
        if not self.no_retry:
            out.pop("no_retry", None)
        if self.kind != "custom":
            out.pop("content_type", None)
        if isinstance(self.body, bytes):
            out["body"] = self.body.decode("utf-8", "replace")
        return out


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _ms_field(kind: str) -> str:
    return "first_byte_ms" if kind == "slow_first_byte" else "chunk_delay_ms"


# Model-name triggers -------------------------------------------------------------------
TRIGGER_PREFIX = "fault-"
_INT_PARAMS = {
    "retryms": "retry_after_ms",
    "status": "status",
    "after": "after",
    "chunks": "chunks",
    "fb": "first_byte_ms",
    "gap": "chunk_delay_ms",
    "ka": "keepalive_ms",
}
# Longest names first so "retryms" wins over "retry".
_PARAM_NAMES = sorted([*_INT_PARAMS, "retry", "ms"], key=len, reverse=True)
_trigger_cache: dict[str, Fault] = {}


class TriggerError(ValueError):
    """A model name that starts like a fault trigger but does not parse."""


def parse_model_trigger(model: str) -> Fault | None:
    """The Fault named by `model` (`[prefix/]fault-<kind>[-<param><value>]...`), or None."""
    cached = _trigger_cache.get(model)
    if cached is not None:
        return cached
    name = model.rsplit("/", 1)[-1]
    if not name.startswith(TRIGGER_PREFIX):
        return None
    parts = name[len(TRIGGER_PREFIX) :].split("-")
    kind, params = parts[0], parts[1:]
    if kind not in KINDS or kind == "custom":
        raise TriggerError(f"unknown fault kind {kind!r} in model trigger {model!r}")
    values: dict[str, Any] = {}
    for token in params:
        if token == "noretry":
            values["no_retry"] = True
            continue
        pname = next((p for p in _PARAM_NAMES if token.startswith(p)), None)
        raw = token[len(pname) :] if pname else ""
        try:
            if pname == "retry":
                values["retry_after"] = float(raw)
            elif pname == "ms":
                values[_ms_field(kind)] = int(raw)
            elif pname is not None:
                values[_INT_PARAMS[pname]] = int(raw)
            else:
                raise ValueError
        except ValueError:
            raise TriggerError(f"bad parameter {token!r} in model trigger {model!r}") from None
    try:
        fault = Fault(kind=kind, **values)
    except ValueError as exc:
        raise TriggerError(f"{exc} (model trigger {model!r})") from None
    if len(_trigger_cache) > 512:
        _trigger_cache.clear()
    _trigger_cache[model] = fault
    return fault


# The script ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Match:
    """Which requests a rule applies to; unset fields match anything."""

    dialect: str | None = None
    region: str | None = None
    path_suffix: str | None = None
    model: str | None = None
    key: str | None = None
    stream: bool | None = None

    def matches(self, req: RequestFacts) -> bool:
        return (
            (self.dialect is None or self.dialect == req.dialect)
            and (self.region is None or self.region == req.region)
            and (self.path_suffix is None or req.path.endswith(self.path_suffix))
            and (self.model is None or self.model == req.model)
            and (self.key is None or self.key == req.key)
            and (self.stream is None or self.stream == req.stream)
        )

    @classmethod
    def from_value(cls, value: Match | Mapping[str, Any] | None) -> Match:
        if value is None:
            return cls()
        if isinstance(value, Match):
            return value
        unknown = sorted(set(value) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown match field(s) {', '.join(unknown)}")
        return cls(**value)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(slots=True)
class RequestFacts:
    """What a rule can match on."""

    dialect: str
    region: str | None
    path: str
    model: str | None
    key: str | None
    stream: bool


@dataclass(slots=True)
class FaultRule:
    """A scripted fault: applies to the next `times` matching requests (None = forever)."""

    fault: Fault
    match: Match = field(default_factory=Match)
    times: int | None = 1

    def __post_init__(self) -> None:
        if self.times is not None and (not isinstance(self.times, int) or self.times < 1):
            raise ValueError(f"rule times must be a positive integer or null, got {self.times!r}")

    @classmethod
    def from_value(cls, value: FaultRule | Mapping[str, Any]) -> FaultRule:
        if isinstance(value, FaultRule):
            return cls(fault=value.fault, match=value.match, times=value.times)
        if not isinstance(value, Mapping):
            raise ValueError("a fault rule must be an object")
        unknown = sorted(set(value) - {"fault", "match", "times"})
        if unknown:
            raise ValueError(f"unknown rule field(s) {', '.join(unknown)}")
        if "fault" not in value:
            raise ValueError("a fault rule needs a 'fault'")
        return cls(
            fault=Fault.from_value(value["fault"]),
            match=Match.from_value(value.get("match")),
            times=value.get("times", 1),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"match": self.match.to_dict(), "fault": self.fault.to_dict(), "times": self.times}


class FaultScript:
    """An ordered, thread-safe queue of rules; the first rule matching a request is consumed."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._rules)

    def add(self, rules: Iterable[FaultRule | Mapping[str, Any]]) -> None:
        parsed = [FaultRule.from_value(r) for r in rules]
        with self._lock:
            self._rules.extend(parsed)

    def replace(self, rules: Iterable[FaultRule | Mapping[str, Any]]) -> None:
        parsed = [FaultRule.from_value(r) for r in rules]
        with self._lock:
            self._rules = parsed

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [FaultRule(r.fault, r.match, r.times) for r in self._rules]

    def take(self, req: RequestFacts, auth_ok: bool) -> Fault | None:
        """Consume and return the first matching rule's fault.

        When the request already fails authentication, only an auth fault is consumed: the real service
        would have rejected the request before any other fault could happen.
        """
        with self._lock:
            for i, rule in enumerate(self._rules):
                if not rule.match.matches(req):
                    continue
                if not auth_ok and rule.fault.kind not in AUTH_KINDS:
                    return None
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times == 0:
                        del self._rules[i]
                return rule.fault
        return None
