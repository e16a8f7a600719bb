"""OpenClaw's verbs and flags around models, credentials, secrets, config, doctor and onboarding, and what
each one is in clawgate: the same command with the same meaning, or a refusal (exit 2) that names the clawgate
command to run instead. docs/openclaw-cli.md is rendered from this table (`render_markdown`), and a test runs
every row.

Gathered from OpenClaw's CLI reference (cli/models.md, cli/secrets.md, cli/config.md, cli/doctor.md,
cli/onboard.md, cli/configure.md, cli/migrate.md; 2026-08)."""

from __future__ import annotations

from dataclasses import dataclass, field

import click


@dataclass(frozen=True)
class Verb:
    openclaw: str  # as OpenClaw documents it
    works: bool  # True: `clawgate <same words>` works with the same meaning
    clawgate: str  # the clawgate command (the same one, or what to run instead)
    note: str = ""
    run: tuple[str, ...] = ()  # the exact arguments the table test runs
    stdin: str | None = None
    exit_code: int = 0  # what `run` exits with in the test's home (refusals: 2)
    needs: tuple[str, ...] = field(default_factory=tuple)  # test fixtures: "emulator", "profiles"


def _same(openclaw: str, run: str, note: str = "", **kw: object) -> Verb:
    return Verb(openclaw, True, "clawgate " + run, note, tuple(run.split()), **kw)  # type: ignore[arg-type]


def _instead(openclaw: str, run: str, clawgate: str, note: str) -> Verb:
    return Verb(openclaw, False, clawgate, note, tuple(run.split()), exit_code=2)


VERBS: tuple[Verb, ...] = (
    # -- models: status ------------------------------------------------------------------------------
    _same("models", "models", "bare `models` is `models status`"),
    _same("models --json", "models --json"),
    _same("models status", "models status"),
    _same("models status --json", "models status --json"),
    _same("models status --plain", "models status --plain"),
    _same("models status --check", "models status --check", "1: missing/expired, 2: expiring within 3 days"),
    _same("models status --probe", "models status --probe", needs=("emulator",)),
    _same(
        "models status --probe-provider <name>", "models status --probe-provider openai", needs=("emulator",)
    ),
    _same(
        "models status --probe-profile <id>",
        "models status --probe-profile anthropic:default",
        "repeat or comma-separate",
        needs=("emulator", "profiles"),
    ),
    _same(
        "models status --probe-timeout <ms>",
        "models status --probe --probe-timeout 30000",
        needs=("emulator",),
    ),
    _same("models status --agent <id>", "models status --agent main"),
    # -- models: list / set ----------------------------------------------------------------------------
    _same("models list", "models list"),
    _same("models list --all", "models list --all"),
    _same("models list --provider <id>", "models list --provider openai"),
    _same("models list --local", "models list --local --all"),
    _same("models list --json", "models list --json"),
    _same("models list --plain", "models list --plain"),
    _same("models set <model>", "models set openai/gpt-4o", "writes agents.defaults.model.primary"),
    _instead(
        "models refresh",
        "models refresh",
        "clawgate models list --all",
        "clawgate's catalog is the built-in presets plus models.providers; there is no hosted catalog to refresh",
    ),
    _instead(
        "models scan",
        "models scan --no-probe",
        "clawgate models list --provider openrouter",
        "clawgate does not rank OpenRouter's free models; list them, then add fallbacks",
    ),
    _instead(
        "models set-image <model>",
        "models set-image openai/gpt-4o",
        "clawgate models set PROVIDER/MODEL",
        "clawgate serves model calls only; it has no separate image-model role",
    ),
    # -- models: aliases / fallbacks -----------------------------------------------------------------
    _same("models aliases list", "models aliases list"),
    _same("models aliases add <alias> <model>", "models aliases add fast openai/gpt-4o-mini"),
    _same("models aliases remove <alias>", "models aliases remove fast", needs=("alias",)),
    _same("models fallbacks list", "models fallbacks list"),
    _same("models fallbacks add <model>", "models fallbacks add anthropic/claude-sonnet-4-5"),
    _same(
        "models fallbacks remove <model>",
        "models fallbacks remove anthropic/claude-sonnet-4-5",
        needs=("fallback",),
    ),
    _same("models fallbacks clear", "models fallbacks clear"),
    _instead(
        "models image-fallbacks list|add|remove|clear",
        "models image-fallbacks list",
        "clawgate models fallbacks list",
        "clawgate has no image-model role; fallbacks apply to every call",
    ),
    # -- models auth -----------------------------------------------------------------------------------
    _same(
        "models auth add",
        "models auth add --provider openrouter",
        stdin="sk-or-v1-test-verbs-00000000000000001",
    ),
    _same("models auth list", "models auth list"),
    _same("models auth list --provider <id>", "models auth list --provider anthropic"),
    _same(
        "models auth login --provider <id>",
        "models auth login --provider github-copilot",
        needs=("emulator",),
    ),
    _same(
        "models auth login --profile-id <id>",
        "models auth login --provider github-copilot --profile-id github-copilot:work",
        needs=("emulator",),
    ),
    _same(
        "models auth login --method <id>",
        "models auth login --provider github-copilot --method device",
        needs=("emulator",),
    ),
    _same(
        "models auth login --device-code",
        "models auth login --provider github-copilot --device-code",
        needs=("emulator",),
    ),
    _same(
        "models auth login --set-default",
        "models auth login --provider github-copilot --set-default",
        needs=("emulator",),
    ),
    _same(
        "models auth login --force",
        "models auth login --provider github-copilot --force",
        needs=("emulator",),
    ),
    _same("models auth login-github-copilot", "models auth login-github-copilot --yes", needs=("emulator",)),
    _same(
        "models auth logout <profileId>", "models auth logout anthropic:default --yes", needs=("profiles",)
    ),
    _same(
        "models auth paste-api-key --provider <id>",
        "models auth paste-api-key --provider openai",
        stdin="sk-test-verbs-paste-000000000000001",
    ),
    _same(
        "models auth setup-token --provider <id>",
        "models auth setup-token --provider anthropic",
        stdin="sk-ant-oat01-test-verbs-setup-00000000001",
    ),
    _same(
        "models auth paste-token --provider <id>",
        "models auth paste-token --provider anthropic",
        stdin="sk-ant-oat01-test-verbs-paste-00000000001",
    ),
    _same(
        "models auth paste-token --expires-in <duration>",
        "models auth paste-token --provider anthropic --expires-in 365d",
        stdin="sk-ant-oat01-test-verbs-expiry-0000000001",
    ),
    _same("models auth order get --provider <id>", "models auth order get --provider anthropic"),
    _same(
        "models auth order set --provider <id> <ids…>",
        "models auth order set --provider anthropic anthropic:default",
        needs=("profiles",),
    ),
    _same("models auth order clear --provider <id>", "models auth order clear --provider anthropic"),
    # -- secrets ---------------------------------------------------------------------------------------
    _same("secrets audit", "secrets audit"),
    _same("secrets audit --check", "secrets audit --check"),
    _same(
        "secrets configure", "secrets configure --yes", "moves literal keys to $CLAWGATE_HOME/.env as ${VAR}"
    ),
    _instead(
        "secrets apply --from <plan>",
        "secrets apply --from plan.json",
        "clawgate secrets configure --yes",
        "clawgate applies its plan directly (and backs the files up); `--plan-out` writes it for review",
    ),
    _instead(
        "secrets reload",
        "secrets reload",
        "clawgate gateway status",
        "the gateway re-reads the config, .env and profiles when they change: nothing to reload",
    ),
    _instead(
        "secrets store set|get|list|rm|import",
        "secrets store list",
        "clawgate auth add PROVIDER",
        "clawgate keeps secrets in $CLAWGATE_HOME/.env, auth profiles and SecretRefs, not a separate store",
    ),
    # -- config ----------------------------------------------------------------------------------------
    _same("config get <path>", "config get agents.defaults"),
    _same("config set <path> <value>", "config set gateway.port 18790"),
    _same("config unset <path>", "config unset gateway.port", needs=("port",)),
    _same("config validate", "config validate"),
    _same("config file", "config file"),
    _same("config schema", "config schema --json"),
    _instead(
        "config patch --file <patch>",
        "config patch --file patch.json5",
        "clawgate config set PATH VALUE",
        "clawgate edits one key path at a time (validated, atomic, with a .bak)",
    ),
    # -- doctor ----------------------------------------------------------------------------------------
    _same("doctor", "doctor"),
    _same("doctor --json", "doctor --json"),
    _same("doctor --fix", "doctor --fix --yes", "also spelled --repair"),
    _same("doctor --deep", "doctor --deep", "probes every credential live", needs=("emulator",)),
    _same("doctor --non-interactive", "doctor --non-interactive"),
    _same("doctor --lint", "doctor --lint", "read-only; exit 1 on an error finding"),
    _same("doctor --generate-gateway-token", "doctor --generate-gateway-token", "into $CLAWGATE_HOME/.env"),
    # -- onboarding ------------------------------------------------------------------------------------
    _same("onboard", "onboard --non-interactive --auth-choice openai-api-key", "interactive on a terminal"),
    _same("onboard --non-interactive", "onboard --non-interactive --provider openai"),
    _same("onboard --auth-choice <choice>", "onboard --non-interactive --auth-choice apiKey"),
    _instead(
        "configure",
        "configure --section model",
        "clawgate onboard",
        "clawgate's guided setup is `onboard`; single settings: clawgate config set",
    ),
    _instead(
        "migrate",
        "migrate --from hermes",
        "clawgate import openclaw",
        "clawgate imports OpenClaw homes (all eras); other tools' state is not read",
    ),
)


def refusal(words: str) -> click.Command | None:
    """The hidden command that answers a replaced OpenClaw verb (`words` as typed after `clawgate`)."""
    verb = next((v for v in VERBS if not v.works and " ".join(v.run[: len(words.split())]) == words), None)
    if verb is None:
        return None
    name = words.split()[-1]

    @click.command(
        name,
        hidden=True,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    )
    @click.pass_context
    def cmd(ctx: click.Context) -> None:
        from clawgate.errors import UsageError

        raise UsageError(
            f"`openclaw {verb.openclaw}` has no clawgate equivalent: {verb.note}",
            next_steps=[verb.clawgate],
        )

    return cmd


def install(group: click.Group, prefix: str) -> None:
    """Add the hidden refusals for `prefix <verb>` (e.g. prefix "models") to `group`."""
    depth = len(prefix.split()) if prefix else 0
    for verb in VERBS:
        if verb.works or len(verb.run) <= depth or " ".join(verb.run[:depth]) != prefix:
            continue
        words = " ".join(verb.run[: depth + 1])
        name = verb.run[depth]
        if name in group.commands:
            continue
        cmd = refusal(words)
        if cmd is not None:
            group.add_command(cmd, name)


def render_markdown() -> str:
    works = sum(1 for v in VERBS if v.works)
    lines = [
        "# OpenClaw's commands in clawgate",
        "",
        "<!-- generated from src/clawgate/cli/openclaw_verbs.py (render_markdown); tests/cli/test_openclaw_verbs.py "
        "checks it -->",
        "",
        f"OpenClaw's verbs and flags for models, credentials, secrets, config, doctor and onboarding: {len(VERBS)} "
        f"rows. {works} work in clawgate with the same meaning (`clawgate` + the same words); "
        f"{len(VERBS) - works} exit 2 and name the clawgate command to run instead.",
        "",
        "| OpenClaw | in clawgate | note |",
        "|---|---|---|",
    ]
    for v in VERBS:
        where = f"works: `{v.clawgate}`" if v.works else f"exit 2 → `{v.clawgate}`"
        lines.append(f"| `openclaw {v.openclaw}` | {where} | {v.note.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
