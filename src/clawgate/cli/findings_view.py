"""Render doctor-style findings for people (the JSON shape lives in clawgate.diagnose.findings)."""

from __future__ import annotations

from typing import Any

from clawgate.cli.output import SEVERITY_STYLE, console, esc

_MARK = {"error": "✗", "warn": "!", "info": "i"}


def render_findings(
    findings: list[dict[str, Any]], header: str | None = None, show_info: bool = True
) -> None:
    c = console()
    if header:
        c.print(f"[dim]{esc(header)}[/]")
    shown = [f for f in findings if show_info or f["severity"] != "info"]
    for f in shown:
        sev = f["severity"]
        style = SEVERITY_STYLE.get(sev, "white")
        subj = ", ".join(
            f"{k} {v if not isinstance(v, list) else ','.join(map(str, v))}" for k, v in f["subject"].items()
        )
        c.print(
            f"[{style}]{_MARK.get(sev, '-')} {sev:<5}[/] [bold]{esc(f['code'])}[/] [dim]owner {esc(f['owner'])}"
            f"{'; ' + esc(subj) if subj else ''}[/]"
        )
        c.print(f"    {esc(f['message'])}")
        for n in f["next"]:
            c.print(f"    [cyan]next:[/] {esc(n)}")
        if f.get("hint"):
            c.print(f"    [dim]hint: {esc(f['hint'])}[/]")
    errors = sum(1 for f in findings if f["severity"] == "error")
    warns = sum(1 for f in findings if f["severity"] == "warn")
    if errors:
        c.print(f"[bold red]{errors} error(s)[/], {warns} warning(s)")
    elif warns:
        c.print(f"[green]no errors[/], [yellow]{warns} warning(s)[/]")
    else:
        c.print("[green]no problems found[/]")
