"""A person's terminal, for tests that run what clawgate tells them to run.

Each command runs in bash exactly as printed, with this terminal's environment and working directory carried
from one command to the next (so `unset X` holds for the next command, as it would at a prompt). `clawgate` is
the venv's console script on PATH. Every command is bounded by a timeout; nothing is left running (a command
that starts a gateway in the background is the test's to stop, by the pid its pidfile names).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clawgate.diagnose.commands import is_runnable, placeholders

VENV_BIN = Path(sys.executable).parent
_SHELL_OWN = ("_", "SHLVL", "PWD", "OLDPWD")


@dataclass
class Ran:
    command: str
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Terminal:
    def __init__(self, env: dict[str, str], cwd: Path, scratch: Path) -> None:
        self.env = dict(env)
        self.env["PATH"] = f"{VENV_BIN}:{self.env.get('PATH', '/usr/bin:/bin')}"
        self.cwd = cwd
        self.scratch = scratch
        scratch.mkdir(parents=True, exist_ok=True)
        self.history: list[Ran] = []

    def run(self, command: str, stdin: str | None = None, timeout: float = 120.0) -> Ran:
        env_out, cwd_out = self.scratch / "env", self.scratch / "cwd"
        script = (
            f"{command}\n__rc=$?\nenv -0 > {shlex.quote(str(env_out))}\n"
            f"pwd > {shlex.quote(str(cwd_out))}\nexit $__rc\n"
        )
        p = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", script],
            env=self.env,
            cwd=str(self.cwd),
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if env_out.exists():
            pairs = [kv.split("=", 1) for kv in env_out.read_text().split("\0") if "=" in kv]
            self.env = {k: v for k, v in pairs if k not in _SHELL_OWN}
            self.cwd = Path(cwd_out.read_text().strip())
        ran = Ran(command, p.returncode, p.stdout, p.stderr)
        self.history.append(ran)
        return ran

    def clawgate(self, *args: str, stdin: str | None = None) -> Ran:
        return self.run(shlex.join(["clawgate", *args]), stdin)

    def doctor(self, *args: str) -> tuple[int, dict[str, Any]]:
        ran = self.clawgate("doctor", "--json", *args)
        assert ran.code in (0, 1), (ran.out, ran.err)
        return ran.code, ran.json()


def problems(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in data["findings"] if f["severity"] in ("error", "warn")]


def errors(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in data["findings"] if f["severity"] == "error"]


def follow(
    term: Terminal,
    data: dict[str, Any],
    fill: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> list[str]:
    """Run every `next` command of every error and warning doctor printed, once each, in order, as a person
    would: each must be runnable as printed; a placeholder `<NAME>` is filled from `fill`; a command that
    prompts for a secret (`clawgate env set NAME`, `clawgate auth add PROVIDER`) gets `typed[NAME or PROVIDER]`
    typed at its prompt. Returns the commands run."""
    fill, typed = fill or {}, typed or {}
    done: list[str] = []
    for f in problems(data):
        for cmd in f["next"]:
            assert is_runnable(cmd), f"not runnable as printed: {cmd!r} ({f['code']})"
            if cmd in done:
                continue
            line = cmd
            for name in placeholders(cmd):
                assert name in fill, f"{cmd!r} asks for <{name}> (hint: {f.get('hint')})"
                line = line.replace(f"<{name}>", shlex.quote(fill[name]))
            words = shlex.split(line)
            stdin = None
            if words[:3] in (["clawgate", "env", "set"], ["clawgate", "auth", "add"]):
                assert words[3] in typed, f"{cmd!r} prompts for a secret the test did not give"
                stdin = typed[words[3]] + "\n"  # typed at the prompt, then Enter
            ran = term.run(line, stdin)
            ok = ran.code in (0, 1) if words[:2] == ["clawgate", "doctor"] else ran.code == 0
            assert ok, f"{cmd!r} failed ({ran.code}): {ran.out}{ran.err}"
            done.append(cmd)
    return done


def assert_clean(term: Terminal, *doctor_args: str) -> dict[str, Any]:
    """The next doctor run: exit 0, no error and no warning."""
    code, data = term.doctor(*doctor_args)
    assert code == 0 and not problems(data), problems(data)
    return data
