"""What doctor may print as a `next` command: a shell command that runs as printed.

A next command is one of

- `clawgate …` (a known command group),
- `printf '%s' "$NAME" | clawgate …` (a secret this shell already holds, piped, never echoed),
- `unset NAME …` (drop a variable from this shell),
- `chmod 600 PATH`,

with no comment, no `&&` and no prose. What the user must supply is a placeholder `<NAME>` (upper case, in
angle brackets: `clawgate config set models.providers.qwen.baseUrl <BASE_URL>`); a key is never a placeholder —
the command prompts for it (hidden) or reads it from stdin. Prose — alternatives, what a placeholder stands for —
goes in the finding's `hint`. `split_steps` keeps the commands and turns anything else into hint text, so a
message written elsewhere (a classifier's next steps) can never put prose in a `next`.
"""

from __future__ import annotations

import re
import shlex

PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9_]*)>")
_PIPED_SECRET = re.compile(r"""^printf '%s' "\$[A-Za-z_][A-Za-z0-9_]*" \| (clawgate .+)$""")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_GROUPS = frozenset(
    {
        "auth",
        "chat",
        "config",
        "cron",
        "dashboard",
        "devices",
        "doctor",
        "env",
        "explain",
        "gateway",
        "health",
        "import",
        "infer",
        "keys",
        "logs",
        "models",
        "secrets",
        "spend",
        "status",
        "tui",
    }
)


def _words(command: str) -> list[str] | None:
    try:
        words = shlex.split(command)
        if shlex.split(command, comments=True) != words:
            return None  # a `# comment`
    except ValueError:
        return None
    if any(w in ("&&", "||", ";", "|") or w.startswith("#") for w in words):
        return None
    return words


def is_runnable(command: str) -> bool:
    """True when `command` runs as printed (placeholders `<NAME>` aside)."""
    command = command.strip()
    piped = _PIPED_SECRET.match(command)
    if piped:
        command = piped.group(1)
    words = _words(command)
    if not words:
        return False
    head = words[0]
    if head == "clawgate":
        return len(words) >= 2 and (words[1] in _GROUPS or words[1].startswith("-"))
    if piped:
        return False
    if head == "unset":
        return len(words) >= 2 and all(_NAME.match(w) for w in words[1:])
    if head == "chmod":
        return len(words) == 3 and words[1] == "600"
    return False


def split_steps(steps: list[str]) -> tuple[list[str], list[str]]:
    """(the runnable commands, the rest as prose). `cmd   # why` keeps `cmd` and moves `why` to the prose."""
    commands: list[str] = []
    prose: list[str] = []
    for step in steps:
        text = step.strip()
        if not text:
            continue
        cmd, sep, why = text.partition("   #")
        if sep and is_runnable(cmd):
            commands.append(cmd.strip())
            prose.append(f"{cmd.strip()}: {why.strip()}")
        elif is_runnable(text):
            commands.append(text)
        else:
            prose.append(text)
    return commands, prose


def after_probe(steps: list[str]) -> tuple[list[str], list[str]]:
    """(the steps, the probe commands among them) for a failure a probe just found: running the probe again is
    not a next step there — only the check once it is fixed."""
    again = [s for s in steps if " --probe" in s]
    return [s for s in steps if s not in again], again


def placeholders(command: str) -> list[str]:
    """The `<NAME>` placeholders a next command asks the user to fill."""
    return PLACEHOLDER.findall(command)
