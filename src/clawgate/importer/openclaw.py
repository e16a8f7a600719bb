"""`import openclaw`: read an OpenClaw state dir, write the clawgate home, report what did not map, run doctor."""

from __future__ import annotations

import copy
import json
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clawgate.config import json5io
from clawgate.config.schema import validate
from clawgate.errors import UsageError
from clawgate.importer import eras, writer
from clawgate.importer.mapping import Unmapped, map_config
from clawgate.importer.models_json import stale_keys
from clawgate.importer.profiles import profile_report
from clawgate.importer.report import ImportReport
from clawgate.importer.source import OpenClawHome, default_dir, read_openclaw
from clawgate.paths import Paths, display_path, normalize_agent_id
from clawgate.redaction import register_secret


def default_source(environ: Mapping[str, str]) -> Path:
    return default_dir(environ)


def import_openclaw(
    source: Path,
    paths: Paths,
    environ: Mapping[str, str],
    *,
    dry_run: bool = False,
    force: bool = False,
    cwd: Path | None = None,
) -> ImportReport:
    """Import `source` into `paths` (or, with dry_run, into a scratch copy) and diagnose the result."""
    oc = read_openclaw(source, environ)
    _register_secrets(oc)
    if paths.home.resolve() == oc.dir.resolve():
        raise UsageError(
            "the clawgate home and the OpenClaw state dir are the same directory",
            next_steps=["set CLAWGATE_HOME to another directory (default ~/.clawgate)"],
        )
    prepared, era, era_notes, entry_ids = prepare_config(oc)
    mapped, unmapped, notes = map_config(prepared)
    notes = era_notes + notes + _source_notes(oc)
    unmapped = [u for u in _rename_entries(unmapped, entry_ids)] + [
        Unmapped(path, f"$include not followed: {why}") for path, why in oc.includes.problems
    ]
    validate(mapped, display_path(paths.config))  # the strict schema, as `clawgate config validate` runs it
    writes, skipped = _plan(oc, mapped, paths)
    notes.extend(skipped)
    conflicts = writer.check_conflicts(writes)
    report = ImportReport(
        source=oc.display,
        home=display_path(paths.home),
        config=display_path(paths.config),
        dry_run=dry_run,
        files=[w.to_json() for w in writes],
        mapped=sorted(mapped),
        unmapped=[u.to_json() for u in unmapped],
        notes=notes,
        era={"version": era.version, "strict_agent_models": era.strict_agent_models, "from": era.why},
        sources=_sources(oc),
    )
    if conflicts and not force:
        if not dry_run:
            raise writer.refuse(conflicts)
        report.refused = [display_path(w.target) for w in conflicts]
    if dry_run:
        with tempfile.TemporaryDirectory(prefix="clawgate-import-") as tmp:
            scratch = Paths(Path(tmp), "dry-run", Path(tmp) / "clawgate.json", "dry-run")
            writer.copy_existing(paths, scratch)
            writer.apply(writer.rebase(writes, paths, scratch), scratch, backup=False)
            _diagnose(report, oc, scratch, environ, cwd, shown=paths)
    else:
        report.backups = [display_path(b) for b in writer.apply(writes, paths, backup=True)]
        _diagnose(report, oc, paths, environ, cwd, shown=paths)
    return report


def _register_secrets(oc: OpenClawHome) -> None:
    """Secret-looking values read from .env are registered with the redactor before anything is printed."""
    from clawgate.config.secret_fields import looks_secret_name, looks_secret_value

    if oc.env_bytes:
        for line in oc.env_bytes.decode("utf-8", "replace").splitlines():
            name, sep, value = line.partition("=")
            value = value.strip().strip("'\"")
            if sep and value and (looks_secret_name(name) or looks_secret_value(value)):
                register_secret(value)


def _plan(oc: OpenClawHome, mapped: dict[str, Any], paths: Paths) -> tuple[list[writer.FileWrite], list[str]]:
    writes = [
        writer.FileWrite(paths.config, json5io.dumps(mapped).encode(), "config", display_path(oc.config_path))
    ]
    skipped: list[str] = []
    if oc.config_text is None:
        skipped.append(f"{display_path(oc.config_path)} does not exist: the config is written empty")
    if oc.env_bytes is not None:
        writes.append(writer.FileWrite(paths.env_file, oc.env_bytes, "env", display_path(oc.env_path)))
    for agent in oc.agents:
        store = agent.store
        if store.raw_text is None and not store.profiles and not store.data.get("order"):
            continue
        try:
            aid = normalize_agent_id(agent.id)
        except UsageError as exc:
            skipped.append(f"agents/{agent.id}: not imported ({exc.message})")
            continue
        data = store.raw_text if store.raw_text is not None else json.dumps(store.data, indent=2) + "\n"
        writes.append(
            writer.FileWrite(
                paths.profiles_file(aid), data.encode(), f"profiles:{aid}", " + ".join(store.sources) or "-"
            )
        )
    return writes, skipped


def prepare_config(oc: OpenClawHome) -> tuple[dict[str, Any], eras.Era, list[str], dict[int, str]]:
    """The source config with its era's changes applied (see importer.eras): what map_config reads."""
    raw = copy.deepcopy(oc.config)
    notes: list[str] = []
    era = eras.detect(raw, oc.has_sqlite)
    agents = raw.get("agents") if isinstance(raw.get("agents"), dict) else {}
    entry_ids: dict[int, str] = {}
    if isinstance(agents, dict) and isinstance(agents.get("entries"), dict):
        entry_ids = dict(enumerate(agents["entries"]))
    eras.entries_to_list(raw, notes)
    eras.strict_models(raw, era, notes, from_entries=bool(entry_ids))
    eras.codex_provider(raw, [a.store for a in oc.agents], _env_names(oc), notes)
    return raw, era, notes, entry_ids


def _env_names(oc: OpenClawHome) -> set[str]:
    names: set[str] = set()
    if oc.env_bytes:
        for line in oc.env_bytes.decode("utf-8", "replace").splitlines():
            name, sep, value = line.strip().removeprefix("export ").partition("=")
            if sep and value.strip():
                names.add(name.strip())
    env = oc.config.get("env")
    if isinstance(env, dict):
        names.update(k for k in env if k.isupper())
        names.update((env.get("vars") or {}) if isinstance(env.get("vars"), dict) else {})
    return names


def _rename_entries(unmapped: list[Unmapped], entry_ids: dict[int, str]) -> list[Unmapped]:
    """Report `agents.list[i].x` as the source spelled it: `agents.entries.<id>.x`."""
    if not entry_ids:
        return unmapped
    out = []
    for u in unmapped:
        m = re.match(r"^agents\.list\[(\d+)\](.*)$", u.path)
        if m and int(m.group(1)) in entry_ids:
            u = Unmapped(f"agents.entries.{entry_ids[int(m.group(1))]}{m.group(2)}", u.reason)
        out.append(u)
    return out


def _source_notes(oc: OpenClawHome) -> list[str]:
    from clawgate.auth.profiles import IGNORED_FIELDS

    notes = list(oc.notes)
    if oc.config_from == "OPENCLAW_CONFIG_PATH":
        notes.append(f"config read from {display_path(oc.config_path)} (OPENCLAW_CONFIG_PATH)")
    for inc in oc.includes.files:
        notes.append(f"$include {display_path(inc)} followed and merged")
    for agent in oc.agents:
        notes.extend(agent.store.notes)
        for pid, prof in agent.store.profiles.items():
            if not isinstance(prof, dict):
                continue
            for fld in prof:
                if fld in IGNORED_FIELDS:
                    notes.append(
                        f"agent {agent.id} profile {pid}: {fld} kept in the profile, not used: {IGNORED_FIELDS[fld]}"
                    )
    return notes


def _sources(oc: OpenClawHome) -> dict[str, Any]:
    return {
        "config": display_path(oc.config_path),
        "config_from": oc.config_from,
        "includes": [display_path(p) for p in oc.includes.files],
        "agents": {a.id: a.store.sources for a in oc.agents},
    }


def _diagnose(
    report: ImportReport,
    oc: OpenClawHome,
    target: Paths,
    environ: Mapping[str, str],
    cwd: Path | None,
    shown: Paths,
) -> None:
    from clawgate.diagnose.findings import order
    from clawgate.diagnose.offline import offline_findings
    from clawgate.plan.snapshot import Snapshot

    snap = Snapshot.load(target, environ, cwd=cwd if cwd is not None else False)
    for agent in oc.agents:
        if agent.store.raw_text is None and not agent.store.profiles:
            continue
        try:
            aid = normalize_agent_id(agent.id)
        except UsageError:
            continue
        report.profiles.append(profile_report(snap.store(aid), " + ".join(agent.store.sources)))
    report.summary = _summary(snap, report)
    known = {a.id for a in snap.agents()}
    for agent in oc.agents:
        if agent.models_path is None:
            continue
        shown_file = display_path(agent.models_path)
        if agent.models_error:
            report.notes.append(f"{shown_file} was not read: {agent.models_error}")
            continue
        aid = agent.id.lower()
        if aid not in known:
            aid = snap.main_agent()
        report.models_json.extend(stale_keys(snap, aid, agent.models, shown_file))
    findings = [f.to_json() for f in order(offline_findings(snap))]
    report.findings = _reshow(findings, target, shown)
    report.profiles = _reshow(report.profiles, target, shown)
    report.models_json = _reshow(report.models_json, target, shown)


def _reshow(obj: Any, scratch: Paths, real: Paths) -> Any:
    """Show a dry run's scratch paths as the real home's."""
    if scratch == real:
        return obj
    pairs = [(str(scratch.config), display_path(real.config)), (str(scratch.home), display_path(real.home))]
    if isinstance(obj, str):
        for a, b in pairs:
            obj = obj.replace(a, b)
        return obj
    if isinstance(obj, list):
        return [_reshow(x, scratch, real) for x in obj]
    if isinstance(obj, dict):
        return {k: _reshow(v, scratch, real) for k, v in obj.items()}
    return obj


def _summary(snap: Any, report: ImportReport) -> dict[str, Any]:
    """What came over: each agent with its model (and whether it keeps default fallbacks) and profiles."""
    agents = []
    for info in snap.agents():
        choice = snap.model_choice(info)
        store = snap.store(info.id)
        agents.append(
            {
                "id": info.id,
                "default": info.is_default,
                "model": choice.ref,
                "model_from": choice.source,
                "fallbacks": [r for r, _ in choice.fallbacks],
                "profiles": sorted(store.profiles),
            }
        )
    return {
        "agents": agents,
        "profiles": sum(p["profiles"] for p in report.profiles),
        "invalid_profiles": sum(len(p["invalid"]) for p in report.profiles),
        "unmapped": len(report.unmapped),
    }
