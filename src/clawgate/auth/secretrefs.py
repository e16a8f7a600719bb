"""Resolve SecretRefs `{source: env|file|exec, provider, id}` through `secrets.providers`."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from clawgate.config.schema import SecretProviderConfig, SecretRef, SecretsConfig
from clawgate.environment import Environment
from clawgate.paths import display_path


@dataclass
class SecretValue:
    value: str | None
    origin: str
    error: str | None = None


class SecretResolver:
    """Looks secrets up by reference; results are cached for the life of one snapshot. Thread-safe: plans are
    made in threads (an `exec` command runs once per snapshot, however many threads ask for it). Blocking — an
    `exec` command runs up to its `timeoutMs` — so an event loop calls it through a thread."""

    def __init__(self, config: SecretsConfig, env: Environment, base_dir: Path) -> None:
        self._config = config
        self._env = env
        self._base = base_dir
        self._cache: dict[tuple[str, str, str], SecretValue] = {}
        self._lock = threading.Lock()

    def resolve(self, ref: SecretRef) -> SecretValue:
        key = (ref.source, ref.provider, ref.id)
        found = self._cache.get(key)
        if found is not None:
            return found
        with self._lock:
            if key not in self._cache:
                self._cache[key] = self._resolve(ref)
            return self._cache[key]

    def _provider(self, ref: SecretRef) -> SecretProviderConfig | None:
        prov = self._config.providers.get(ref.provider)
        if prov is None and ref.provider == "default" and ref.source == "env":
            return SecretProviderConfig(source="env")
        return prov

    def _resolve(self, ref: SecretRef) -> SecretValue:
        prov = self._provider(ref)
        label = f"secret {ref.describe()}"
        if prov is None:
            return SecretValue(None, label, f"secrets.providers.{ref.provider} is not defined")
        if prov.source != ref.source:
            return SecretValue(
                None,
                label,
                f"secrets.providers.{ref.provider} has source {prov.source!r}, ref says {ref.source!r}",
            )
        if prov.allowlist is not None and ref.id not in prov.allowlist:
            return SecretValue(
                None, label, f"id {ref.id!r} is not in secrets.providers.{ref.provider}.allowlist"
            )
        if prov.source == "env":
            var = self._env.var(ref.id)
            if var is None or not var.value:
                return SecretValue(None, f"env:{ref.id}", f"variable {ref.id} is not set")
            return SecretValue(var.value, var.winner.origin)
        if prov.source == "file":
            return self._from_file(ref, prov)
        return self._from_exec(ref, prov)

    def _from_file(self, ref: SecretRef, prov: SecretProviderConfig) -> SecretValue:
        path = Path(os.path.expanduser(prov.path or ""))
        if not path.is_absolute():
            path = self._base / path
        shown = display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            return SecretValue(None, shown, f"cannot read {shown}: {exc.strerror}")
        if (prov.mode or "json") == "singleValue":
            return SecretValue(text[:-1] if text.endswith("\n") else text, shown)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return SecretValue(None, shown, f"{shown} is not JSON: {exc.msg} at line {exc.lineno}")
        value = _pointer(data, ref.id)
        if not isinstance(value, str):
            return SecretValue(None, f"{shown}#{ref.id}", f"{ref.id} not found (or not a string) in {shown}")
        return SecretValue(value, f"{shown}#{ref.id}")

    def _from_exec(self, ref: SecretRef, prov: SecretProviderConfig) -> SecretValue:
        cmd = [os.path.expanduser(prov.command or ""), *prov.args, ref.id]
        origin = f"exec:{Path(cmd[0]).name} {ref.id}"
        request = json.dumps({"protocolVersion": 1, "provider": ref.provider, "ids": [ref.id]})
        try:
            proc = subprocess.run(
                cmd,
                input=request.encode(),
                capture_output=True,
                timeout=prov.timeout_ms / 1000,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return SecretValue(None, origin, f"secret command failed: {type(exc).__name__}")
        if proc.returncode != 0:
            return SecretValue(None, origin, f"secret command exited with status {proc.returncode}")
        out = proc.stdout.decode("utf-8", "replace")
        try:
            data = json.loads(out)
            if isinstance(data, dict) and isinstance(data.get("values"), dict):
                val = data["values"].get(ref.id)
                if isinstance(val, str):
                    return SecretValue(val, origin)
                return SecretValue(None, origin, f"secret command returned no value for {ref.id!r}")
        except ValueError:
            pass
        return SecretValue(out[:-1] if out.endswith("\n") else out, origin)


def _pointer(data: object, ident: str) -> object:
    """A JSON pointer (`/a/b`) or a dotted path (`a.b`) into parsed JSON."""
    parts = ident.lstrip("/").split("/") if ident.startswith("/") else ident.split(".")
    cur = data
    for part in parts:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
    return cur
