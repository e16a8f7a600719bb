"""The layered environment with provenance: process → ./.env → $CLAWGATE_HOME/.env → config env → login shell.

No source overrides an earlier one. Every definition of a variable is kept (file and line), so the CLI can
show the winner, what it shadows, and duplicates inside one file.

A process value may be a `GatewayOnly`: the CLI's prediction of a running gateway whose value for the name
comes from *its* process environment and cannot be read here (diagnose/prediction.py). It is the winner, as
in the gateway, with the gateway's fingerprint and an empty value: nothing falls back to a shadowed file line,
and nothing can send it (auth/resolve.py makes it a candidate that is never tried).
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv.parser import parse_stream

from clawgate.paths import display_path

# The proxy variables every HTTP client here honours (call/transport.py), lower-case forms included.
PROXY_NAMES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
NO_PROXY_NAMES = ("NO_PROXY", "no_proxy")

SOURCES = ("process", "cwd_dotenv", "home_dotenv", "config", "login_shell")
SOURCE_LABEL = {
    "process": "process environment",
    "cwd_dotenv": ".env in the current directory",
    "home_dotenv": "$CLAWGATE_HOME/.env",
    "config": "config env",
    "login_shell": "login shell",
}


class GatewayOnly(str):
    """A process-environment value known only by its fingerprint (the running gateway's report). Its text is
    empty, so whatever reads it as a string gets no value rather than another one."""

    fingerprint: str
    origin: str

    def __new__(cls, fingerprint: str, origin: str) -> GatewayOnly:
        obj = super().__new__(cls, "")
        obj.fingerprint = fingerprint
        obj.origin = origin
        return obj


@dataclass(frozen=True)
class Definition:
    """One place a variable is defined. `value` is never printed; use the fingerprint or `present`."""

    source: str
    origin: str
    value: str = field(repr=False)
    file: str | None = None
    line: int | None = None
    effective_in_file: bool = True  # False for an earlier duplicate that a later line in the same file beats
    known_fingerprint: str | None = None  # a GatewayOnly value: its fingerprint (the value is not here)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"source": self.source, "origin": self.origin}
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass
class EnvVar:
    """All definitions of one name, winner first."""

    name: str
    definitions: list[Definition]

    @property
    def winner(self) -> Definition:
        return self.definitions[0]

    @property
    def value(self) -> str:
        return self.winner.value

    @property
    def shadowed(self) -> list[Definition]:
        return self.definitions[1:]


@dataclass
class DotenvIssue:
    file: str
    line: int
    message: str


@dataclass
class _Layer:
    source: str
    file: str | None
    # name -> definitions in file order
    defs: dict[str, list[Definition]]


class Environment:
    """Variables as clawgate sees them, with where each came from."""

    def __init__(
        self,
        process: Mapping[str, str],
        layers: list[_Layer],
        issues: list[DotenvIssue],
        shell_error: str | None = None,
    ) -> None:
        self._process = dict(process)
        self._layers = layers
        self.issues = issues
        self.shell_error = shell_error
        self._cache: dict[str, EnvVar | None] = {}

    # -- construction ---------------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        process: Mapping[str, str],
        cwd: Path | None,
        home_env_file: Path | None,
        config_vars: Mapping[str, tuple[str, str]] | None = None,
        config_file: str | None = None,
        shell_enabled: bool = False,
        shell_timeout_ms: int = 15_000,
        shell_names: Iterable[str] = (),
    ) -> Environment:
        layers: list[_Layer] = []
        issues: list[DotenvIssue] = []
        seen_files: set[str] = set()
        home_real = os.path.realpath(home_env_file) if home_env_file else None
        if cwd is not None:
            cwd_file = cwd / ".env"
            real = os.path.realpath(cwd_file)
            # The home .env read from the home directory is the home .env, not a cwd-only one.
            if real != home_real and cwd_file.is_file():
                layers.append(_read_dotenv("cwd_dotenv", cwd_file, issues))
                seen_files.add(real)
        if home_env_file is not None and home_env_file.is_file() and home_real not in seen_files:
            layers.append(_read_dotenv("home_dotenv", home_env_file, issues))
        if config_vars:
            defs: dict[str, list[Definition]] = {}
            for name, (value, keypath) in config_vars.items():
                origin = f"{config_file}: {keypath}" if config_file else keypath
                defs[name] = [Definition("config", origin, value, file=config_file)]
            layers.append(_Layer("config", config_file, defs))
        shell_error = None
        if shell_enabled:
            shell_defs, shell_error = _login_shell(shell_timeout_ms, set(shell_names))
            layers.append(_Layer("login_shell", None, shell_defs))
        return cls(process, layers, issues, shell_error)

    # -- queries ---------------------------------------------------------------------------------------

    def var(self, name: str) -> EnvVar | None:
        if name in self._cache:
            return self._cache[name]
        defs: list[Definition] = []
        if name in self._process:
            v = self._process[name]
            if isinstance(v, GatewayOnly):
                defs.append(Definition("process", v.origin, "", known_fingerprint=v.fingerprint))
            else:
                defs.append(Definition("process", "process environment", v))
        for layer in self._layers:
            for d in reversed(layer.defs.get(name, [])):  # last line in a file wins inside that file
                defs.append(d)
        result = EnvVar(name, defs) if defs else None
        self._cache[name] = result
        return result

    def get(self, name: str) -> str | None:
        v = self.var(name)
        return v.value if v else None

    def file_names(self) -> list[str]:
        """Every name defined in a .env file, config env or login shell (not the whole process env)."""
        names: dict[str, None] = {}
        for layer in self._layers:
            for n in layer.defs:
                names[n] = None
        return list(names)

    def duplicates(self) -> list[tuple[str, list[Definition]]]:
        """Names defined more than once across or within .env files and config env."""
        out = []
        for name in self.file_names():
            defs = [
                d for layer in self._layers if layer.source != "login_shell" for d in layer.defs.get(name, [])
            ]
            if len(defs) > 1:
                out.append((name, defs))
        return out

    @property
    def process(self) -> Mapping[str, str]:
        return self._process

    def dotenv_files(self) -> list[tuple[str, str]]:
        return [
            (layer.source, layer.file) for layer in self._layers if layer.file and layer.source != "config"
        ]


def _read_dotenv(source: str, path: Path, issues: list[DotenvIssue]) -> _Layer:
    shown = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        issues.append(DotenvIssue(shown, 0, f"cannot read: {exc.strerror}"))
        return _Layer(source, shown, {})
    text = raw.decode("utf-8", errors="replace")
    defs: dict[str, list[Definition]] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            issues.append(
                DotenvIssue(shown, binding.original.line, "line does not parse as NAME=value (ignored)")
            )
            continue
        if binding.key is None:
            continue
        key = binding.key.lstrip("\ufeff")
        value = binding.value if binding.value is not None else ""
        line = binding.original.line
        defs.setdefault(key, []).append(Definition(source, f"{shown}:{line}", value, file=shown, line=line))
    # mark earlier duplicates inside the same file as not effective
    for key, lst in defs.items():
        if len(lst) > 1:
            defs[key] = [
                Definition(d.source, d.origin, d.value, d.file, d.line, effective_in_file=(i == len(lst) - 1))
                for i, d in enumerate(lst)
            ]
    return _Layer(source, shown, defs)


def _login_shell(timeout_ms: int, names: set[str]) -> tuple[dict[str, list[Definition]], str | None]:
    shell = os.environ.get("SHELL") or "/bin/sh"
    try:
        proc = subprocess.run(
            [shell, "-l", "-c", "env -0"],
            capture_output=True,
            timeout=timeout_ms / 1000,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {}, f"login shell import from {shell} failed: {type(exc).__name__}"
    if proc.returncode != 0:
        return {}, f"login shell {shell} exited with status {proc.returncode}"
    defs: dict[str, list[Definition]] = {}
    for item in proc.stdout.split(b"\0"):
        if b"=" not in item:
            continue
        k, _, v = item.partition(b"=")
        name = k.decode("utf-8", "replace")
        if names and name not in names:
            continue
        defs[name] = [Definition("login_shell", f"login shell ({shell} -l)", v.decode("utf-8", "replace"))]
    return defs, None
