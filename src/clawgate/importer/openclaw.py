"""`import openclaw`: read an OpenClaw state dir, write the clawgate home, report what did not map, run doctor."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clawgate.config import json5io
from clawgate.config.schema import validate
from clawgate.errors import UsageError
from clawgate.importer import writer
from clawgate.importer.mapping import map_config
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
    oc = read_openclaw(source)
    _register_secrets(oc)
    if paths.home.resolve() == oc.dir.resolve():
        raise UsageError(
            "the clawgate home and the OpenClaw state dir are the same directory",
            next_steps=["set CLAWGATE_HOME to another directory (default ~/.clawgate)"],
        )
    mapped, unmapped, notes = map_config(oc.config)
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
    from clawgate.plan.snapshot import looks_secret_name, looks_secret_value

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
        if agent.profiles_text is None or agent.profiles_path is None:
            continue
        try:
            aid = normalize_agent_id(agent.id)
        except UsageError as exc:
            skipped.append(f"agents/{agent.id}: not imported ({exc.message})")
            continue
        writes.append(
            writer.FileWrite(
                paths.profiles_file(aid),
                agent.profiles_text.encode(),
                f"profiles:{aid}",
                display_path(agent.profiles_path),
            )
        )
    return writes, skipped


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
        if agent.profiles_path is None:
            continue
        try:
            aid = normalize_agent_id(agent.id)
        except UsageError:
            continue
        report.profiles.append(profile_report(snap.store(aid), display_path(agent.profiles_path)))
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
