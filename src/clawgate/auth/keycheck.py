"""Key hygiene: strip what is safe to strip, refuse what would be sent wrong, flag another provider's shape."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from clawgate.catalog.presets import Host, Preset, provider_for_key_shape

_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\u180e"}
_QUOTES = {
    ('"', '"'),
    ("'", "'"),
    ("`", "`"),
    ("\u201c", "\u201d"),
    ("\u2018", "\u2019"),
    ("\u00ab", "\u00bb"),
}
# A placeholder is a whole value of a typical shape, never a piece of a long random key (which may well contain
# `XxXx` or `your-`): after an optional key prefix (`sk-`, `sk-ant-api03-`, `gsk_`), only x's or *'s, a "your …
# key" phrase of short words, or a stock word; or anywhere, what no real key holds (`...`, `…`, `<…>`, `${…}`).
_KEY_PREFIX = r"(?:[a-z0-9]{1,8}[-_]){0,4}?"
_PHRASE = r"(?:your|my|insert|enter|paste|put)(?:[-_ ][a-z0-9]{1,12}){1,6}|your(?:api)?key"
_STOCK = r"change[-_]?me|replace[-_]?me|placeholder|todo|none|null|undefined|api[-_]?key(?:[-_]?here)?"
_PLACEHOLDER = re.compile(
    rf"^{_KEY_PREFIX}(?:x{{3,}}|\*{{3,}}|{_PHRASE}|{_STOCK})$|^sk-\.*$|\.\.\.|…|<[^>]*>|\$\{{[^}}]*\}}",
    re.IGNORECASE,
)


def looks_placeholder(value: str) -> bool:
    """Is `value` (stripped) a placeholder rather than a key: `sk-xxxx`, `your-api-key`, `<KEY>`, `changeme`?"""
    return _PLACEHOLDER.search(value) is not None


@dataclass
class KeyIssue:
    code: str  # auth.key_malformed | auth.key_provider_mismatch | env.unresolved_ref
    reason: str
    fatal: bool  # True: the key is not used at all

    @property
    def severity(self) -> str:
        return "error" if self.fatal else "warn"

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "severity": self.severity, "reason": self.reason}


@dataclass
class CheckedKey:
    value: str | None  # what would be sent; None when unusable
    issues: list[KeyIssue] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.value is not None


def describe_strip(raw: str, stripped: str) -> str:
    """What `raw.strip()` removed, in words (`leading space and trailing newline`)."""
    lead = raw[: len(raw) - len(raw.lstrip())]
    trail = raw[len(raw.rstrip()) :]

    def name(chunk: str) -> str:
        if not chunk:
            return ""
        kinds = []
        if "\n" in chunk:
            kinds.append("newline")
        if "\r" in chunk:
            kinds.append("carriage return")
        if "\t" in chunk:
            kinds.append("tab")
        if " " in chunk:
            kinds.append("space")
        return "/".join(kinds) or "whitespace"

    parts = []
    if lead:
        parts.append(f"leading {name(lead)}")
    if trail:
        parts.append(f"trailing {name(trail)}")
    return " and ".join(parts)


def check_key(
    raw: str, provider_id: str, preset: Preset | None = None, host: Host | None = None
) -> CheckedKey:
    """Decide whether `raw` can be sent as a credential for `provider_id`, and what is wrong with it."""
    issues: list[KeyIssue] = []
    value = raw.strip()
    if value != raw:
        issues.append(
            KeyIssue(
                "auth.key_malformed",
                f"{describe_strip(raw, value)} removed from the key before use (fix it at its source)",
                fatal=False,
            )
        )
    if not value:
        issues.append(KeyIssue("auth.key_malformed", "the key is empty", fatal=True))
        return CheckedKey(None, issues)

    fatal: list[str] = []
    if "\ufeff" in value:
        fatal.append("contains a byte-order mark (U+FEFF), usually from a file saved as 'UTF-8 with BOM'")
    zw = sorted({c for c in value if c in _ZERO_WIDTH})
    if zw:
        fatal.append(
            "contains invisible zero-width characters (" + ", ".join(f"U+{ord(c):04X}" for c in zw) + ")"
        )
    for q1, q2 in _QUOTES:
        if len(value) >= 2 and value[0] == q1 and value[-1] == q2:
            fatal.append("is wrapped in quotes; store the key without them")
            break
    else:
        if value[0] in "\"'`\u201c\u201d\u2018\u2019" or value[-1] in "\"'`\u201c\u201d\u2018\u2019":
            fatal.append("starts or ends with a quote character")
    if value.lower().startswith("bearer "):
        fatal.append("includes the 'Bearer ' prefix; store only the key, clawgate adds the header")
    if any(c.isspace() for c in value):
        fatal.append("contains whitespace inside the key (a paste that wrapped or joined two lines?)")
    non_ascii = [
        (i, c) for i, c in enumerate(value) if ord(c) > 126 and c not in _ZERO_WIDTH and c != "\ufeff"
    ]
    if non_ascii:
        i, c = non_ascii[0]
        label = unicodedata.name(c, "unknown")
        fatal.append(f"contains a non-ASCII character U+{ord(c):04X} ({label}) at position {i + 1}")
    if looks_placeholder(value):
        fatal.append("looks like a placeholder, not a real key")
    for reason in fatal:
        issues.append(KeyIssue("auth.key_malformed", reason, fatal=True))
    if fatal:
        return CheckedKey(None, issues)

    owner = provider_for_key_shape(value)
    if owner and owner != provider_id:
        issues.append(
            KeyIssue(
                "auth.key_provider_mismatch",
                f"this key has the shape of a {owner} key but is used for {provider_id}",
                fatal=False,
            )
        )
    if host is not None and host.key_prefixes and not value.startswith(host.key_prefixes):
        plan = f"{host.plan} plan " if host.plan else ""
        issues.append(
            KeyIssue(
                "auth.key_provider_mismatch",
                f"{host.base_url} ({plan}host '{host.label}') takes keys starting with "
                f"{' or '.join(host.key_prefixes)}; this key does not",
                fatal=False,
            )
        )
    elif host is not None and host.plan == "payg" and value.startswith("sk-sp-"):
        issues.append(
            KeyIssue(
                "auth.key_provider_mismatch",
                f"sk-sp- keys belong to a Coding/Token Plan host, but {host.base_url} is pay-as-you-go",
                fatal=False,
            )
        )
    return CheckedKey(value, issues)
