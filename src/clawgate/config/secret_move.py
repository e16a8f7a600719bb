"""Move a literal secret out of the config file into `$CLAWGATE_HOME/.env`, leaving a `${VAR}` reference.

`clawgate secrets move PATH`, `secrets configure` and `doctor --fix` use it. For `models.providers.<id>.apiKey`,
`models.providers.<id>.headers.<name>`, `gateway.auth.token`, `state.redis`/`state.database` (the whole URL) and
`observability.otlp.headers.<name>` the config keeps `${VAR}`; for an `env` entry
(`env.vars.X`, `env.X`) the variable itself moves and the entry goes. The value is never printed, and a
variable that already holds a *different* value in the .env is left alone (moving would change the key in use).

The backups clawgate wrote of the config (`clawgate.json.bak`, `backups/<stamp>/clawgate.json`) would still hold
the literal: it is replaced there by the same `${VAR}`, and a backup folder's copy of the .env gets the moved
line, so a restored backup uses the same key without holding it in the config.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from clawgate.atomicfile import atomic_write, locked, read_text_if_exists
from clawgate.catalog.presets import key_variables
from clawgate.config.edit import get_path, is_missing, modify_config, parse_path, set_path, unset_path
from clawgate.envfile import defines, dotenv_line
from clawgate.errors import NotFoundError, UsageError
from clawgate.paths import Paths, display_path
from clawgate.redaction import fingerprint, register_secret
from clawgate.shellcmd import command


def default_variable(path: str, preset_env: str | None = None) -> str | None:
    """The variable a literal at `path` moves to when none is given."""
    parts = parse_path(path)
    if parts[:2] == ["models", "providers"] and len(parts) == 4 and parts[3] == "apiKey":
        return preset_env or key_variables(str(parts[2]))[0]
    if parts[:2] == ["models", "providers"] and len(parts) == 5 and parts[3] == "headers":
        return re.sub(r"[^A-Z0-9_]", "_", f"{parts[2]}_{parts[4]}".upper())
    if parts == ["gateway", "auth", "token"]:
        return "CLAWGATE_GATEWAY_TOKEN"
    if parts in (["state", "redis"], ["state", "database"]):
        return f"CLAWGATE_{str(parts[1]).upper()}_URL"
    if parts[:3] == ["observability", "otlp", "headers"] and len(parts) == 4:
        return re.sub(r"[^A-Z0-9_]", "_", f"OTLP_{parts[3]}".upper())
    if parts[:1] == ["env"] and len(parts) in (2, 3) and isinstance(parts[-1], str):
        return parts[-1]
    return None


def move_literal(
    paths: Paths, path: str, var: str | None = None, preset_env: str | None = None
) -> dict[str, Any]:
    """Move the literal string at config `path` into the home .env as `var`."""
    from clawgate.config.loader import load_config

    parts = parse_path(path)
    name = var or default_variable(path, preset_env)
    if name is None:
        raise UsageError(
            f"{path} is not a place clawgate reads a secret from",
            next_steps=["clawgate secrets audit"],
            hint="movable: models.providers.<id>.apiKey, models.providers.<id>.headers.<name>, "
            "gateway.auth.token, state.redis, state.database, observability.otlp.headers.<name>, env.vars.<NAME>",
        )
    value = get_path(load_config(paths).data, parts)
    if is_missing(value) or not isinstance(value, str) or not value.strip() or "${" in value:
        raise NotFoundError(f"{path} holds no literal secret", next_steps=["clawgate secrets audit"])
    register_secret(value)
    is_env_entry = parts[0] == "env"
    env_file = paths.env_file
    env_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    from clawgate.environment import Environment

    with locked(env_file):
        existing = Environment.load(process={}, cwd=None, home_env_file=env_file).get(name)
        key = value.strip()
        if existing is not None and existing.strip() != key:
            raise UsageError(
                f"{name} in {display_path(env_file)} already holds a different value ({fingerprint(existing)}); "
                f"moving {path} there would change which key is used",
                next_steps=[command("secrets", "move", path, "--to", f"{name}_2")],
                hint=f"or, if the .env value is the right one: {command('config', 'unset', path)}",
            )
        if existing is None:
            text = read_text_if_exists(env_file) or ""
            if text and not text.endswith("\n"):
                text += "\n"
            atomic_write(env_file, text + dotenv_line(name, key))

    def mutate(data: dict[str, Any]) -> None:
        if is_env_entry:
            unset_path(data, parts)
        else:
            set_path(data, parts, "${" + name + "}")

    modify_config(paths, mutate)
    scrubbed = scrub_backups(paths, key, name)
    return {
        "ok": True,
        "path": path,
        "variable": name,
        "file": display_path(env_file),
        "config": "removed" if is_env_entry else "${" + name + "}",
        "fingerprint": fingerprint(key),
        "backups_scrubbed": [display_path(p) for p in scrubbed],
    }


def scrub_backups(paths: Paths, key: str, name: str) -> list[Path]:
    """Replace the literal `key` with `${name}` in every config backup clawgate wrote; returns those changed.
    Only whole string values are replaced (a quoted `key`, spaces around it allowed), never object keys."""
    ref = "${" + name + "}"
    forms = "|".join(re.escape(f) for f in sorted({key, json.dumps(key)[1:-1]}, key=len, reverse=True))
    literal = re.compile(rf"([\"'])\s*(?:{forms})\s*\1(?!\s*:)")
    changed: list[Path] = []

    def scrub(file: Path) -> bool:
        try:
            text = read_text_if_exists(file)
        except (OSError, UnicodeDecodeError):
            return False
        if text is None:
            return False
        new = literal.sub(lambda m: m.group(1) + ref + m.group(1), text)
        if new == text:
            return False
        atomic_write(file, new)
        changed.append(file)
        return True

    with locked(paths.config):  # the .bak is written under the config's lock
        scrub(paths.config_backup)
    try:
        stamps = sorted(d for d in paths.backups_dir.iterdir() if d.is_dir())
    except OSError:
        stamps = []
    for stamp in stamps:
        if scrub(paths.backup_copy(stamp, paths.config)):
            env_copy = paths.backup_copy(stamp, paths.env_file)
            text = read_text_if_exists(env_copy)
            if text is not None and not defines(text, name):
                atomic_write(
                    env_copy,
                    text + ("" if not text or text.endswith("\n") else "\n") + dotenv_line(name, key),
                )
    return changed
