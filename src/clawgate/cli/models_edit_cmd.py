"""`clawgate models set|fallbacks|aliases`: the default agent model, its fallbacks and the model aliases,
written to `agents.defaults` (atomically, validated, with a .bak). Attached to the `models` group."""

from __future__ import annotations

from typing import Any

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc
from clawgate.errors import NotFoundError, UsageError


def _resolve(raw: str) -> tuple[str, list[str]]:
    """A model ref or alias -> (provider/model, warnings). An unknown provider is refused."""
    from clawgate.catalog.modelrefs import ModelRefError

    snap = state().snapshot()
    try:
        ref = snap.parse(raw)
    except ModelRefError as exc:
        raise UsageError(exc.message, next_steps=exc.next_steps) from None
    view = snap.catalog.get(ref.provider)
    if view is None:
        raise NotFoundError(
            f"provider {ref.provider!r} is not a preset and not in models.providers; nothing changed",
            next_steps=[
                f"clawgate config set models.providers.{ref.provider}.baseUrl URL",
                "clawgate models list --all",
            ],
        )
    warnings = []
    if ref.model not in view.models and not view.accepts_any_model:
        warnings.append(
            f"{ref.ref} is not in {view.id}'s catalog; saved anyway (new or self-hosted models often are not)"
        )
    return ref.ref, warnings


def _defaults_model(d: dict[str, Any]) -> dict[str, Any]:
    defaults = d.setdefault("agents", {}).setdefault("defaults", {})
    cur = defaults.get("model")
    if not isinstance(cur, dict):
        cur = {"primary": cur} if isinstance(cur, str) else {}
        defaults["model"] = cur
    return cur


def _write(mutate: Any) -> None:
    from clawgate.config.edit import modify_config

    modify_config(state().paths, mutate)


def _shadowed(changed: str) -> list[dict[str, Any]]:
    """After a write to the defaults: the agents whose own setting still beats `changed` (as `config set` says)."""
    from clawgate.plan.shadows import shadow_warnings

    return shadow_warnings(state().snapshot(), changed)


def _written(changed: str, out: dict[str, Any], as_json: bool, headline: str) -> None:
    """After a write of the defaults at `changed`: `out` with what agents shadow it, as JSON or as the headline,
    the catalog's warnings and each shadow with its next commands."""
    out["shadowed"] = shadowed = _shadowed(changed)
    if as_json:
        emit_json(out)
        return
    c = console()
    c.print(headline)
    for w in out.get("warnings", []):
        c.print(f"[yellow]warning:[/] {esc(w)}")
    for w in shadowed:
        c.print(f"[yellow]warning:[/] {esc(w['message'])}")
        for n in w["next"]:
            c.print(f"  next: {esc(n)}")


_PRIMARY = "agents.defaults.model.primary"
_FALLBACKS = "agents.defaults.model.fallbacks"


def _fallbacks() -> list[str]:
    spec = state().snapshot().config.agents.defaults.model
    return list(getattr(spec, "fallbacks", None) or [])


def register(models: click.Group) -> None:
    @models.command("set")
    @click.argument("model")
    @json_option
    def set_cmd(model: str, as_json: bool) -> None:
        """Make MODEL (provider/model or an alias) the default agent model (`agents.defaults.model.primary`)."""
        ref, warnings = _resolve(model)
        _write(lambda d: _defaults_model(d).__setitem__("primary", ref))
        out = {"ok": True, "primary": ref, "warnings": warnings}
        _written(_PRIMARY, out, as_json, f"[green]default model[/] {esc(ref)}")

    @models.group("fallbacks")
    def fallbacks() -> None:
        """`agents.defaults.model.fallbacks`: tried in order when the primary fails."""

    @fallbacks.command("list")
    @json_option
    @click.option("--plain", is_flag=True, help="One ref per line.")
    def fb_list(as_json: bool, plain: bool) -> None:
        refs = _fallbacks()
        if as_json:
            emit_json({"fallbacks": refs})
        elif plain:
            for r in refs:
                click.echo(r)
        else:
            console().print("\n".join(f"{i}. {esc(r)}" for i, r in enumerate(refs, 1)) or "(no fallbacks)")

    @fallbacks.command("add")
    @click.argument("model")
    @json_option
    def fb_add(model: str, as_json: bool) -> None:
        ref, warnings = _resolve(model)

        def mutate(d: dict[str, Any]) -> None:
            cur = _defaults_model(d)
            refs = list(cur.get("fallbacks") or [])
            if ref not in refs:
                refs.append(ref)
            cur["fallbacks"] = refs

        _write(mutate)
        refs = _fallbacks()
        out = {"ok": True, "fallbacks": refs, "warnings": warnings}
        _written(_FALLBACKS, out, as_json, f"[green]fallbacks[/] {esc(', '.join(refs))}")

    @fallbacks.command("remove")
    @click.argument("model")
    @json_option
    def fb_remove(model: str, as_json: bool) -> None:
        ref, _ = _resolve(model)
        if ref not in _fallbacks():
            raise NotFoundError(f"{ref} is not a fallback", next_steps=["clawgate models fallbacks list"])

        def mutate(d: dict[str, Any]) -> None:
            cur = _defaults_model(d)
            cur["fallbacks"] = [r for r in cur.get("fallbacks") or [] if r != ref]

        _write(mutate)
        _written(
            _FALLBACKS, {"ok": True, "fallbacks": _fallbacks()}, as_json, f"[green]removed[/] {esc(ref)}"
        )

    @fallbacks.command("clear")
    @json_option
    def fb_clear(as_json: bool) -> None:
        _write(lambda d: _defaults_model(d).__setitem__("fallbacks", []))
        _written(_FALLBACKS, {"ok": True, "fallbacks": []}, as_json, "[green]no fallbacks[/]")

    @models.group("aliases")
    def aliases() -> None:
        """Model aliases (`agents.defaults.models.<ref>.alias`): short names usable wherever a ref is."""

    @aliases.command("list")
    @json_option
    @click.option("--plain", is_flag=True, help="alias<TAB>ref per line.")
    def al_list(as_json: bool, plain: bool) -> None:
        found = state().snapshot().aliases()
        if as_json:
            emit_json({"aliases": found})
        elif plain:
            for a, r in found.items():
                click.echo(f"{a}\t{r}")
        else:
            console().print("\n".join(f"{esc(a)} → {esc(r)}" for a, r in found.items()) or "(no aliases)")

    @aliases.command("add")
    @click.argument("alias")
    @click.argument("model")
    @json_option
    def al_add(alias: str, model: str, as_json: bool) -> None:
        """ALIAS names MODEL (a ref, or an alias, which is resolved first: aliases never chain)."""
        ref, warnings = _resolve(model)

        def mutate(d: dict[str, Any]) -> None:
            entries = d.setdefault("agents", {}).setdefault("defaults", {}).setdefault("models", {})
            for key, entry in entries.items():
                if isinstance(entry, dict) and entry.get("alias") == alias and key != ref:
                    del entry["alias"]
            entries.setdefault(ref, {})["alias"] = alias

        _write(mutate)
        out = {"ok": True, "alias": alias, "ref": ref, "warnings": warnings}
        emit_json(out) if as_json else console().print(f"[green]alias[/] {esc(alias)} → {esc(ref)}")

    @aliases.command("remove")
    @click.argument("alias")
    @json_option
    def al_remove(alias: str, as_json: bool) -> None:
        found = state().snapshot().aliases()
        if alias not in found:
            raise NotFoundError(f"no alias {alias!r}", next_steps=["clawgate models aliases list"])

        def mutate(d: dict[str, Any]) -> None:
            entries = d["agents"]["defaults"]["models"]
            entry = entries.get(found[alias])
            if isinstance(entry, dict):
                entry.pop("alias", None)

        _write(mutate)
        emit_json({"ok": True, "removed": alias}) if as_json else console().print(
            f"[green]removed[/] {esc(alias)}"
        )
