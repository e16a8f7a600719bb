"""`clawgate onboard`: choose a provider, paste a key or sign in, pick a model, run doctor. Interactive on a
terminal; with `--non-interactive` every answer comes from flags (OpenClaw's `--auth-choice`, `--<provider>-
api-key`, `--token`, `--custom-*`) or the environment, and nothing is asked."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from clawgate.cli import auth_flows
from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc
from clawgate.errors import UsageError
from clawgate.redaction import fingerprint, register_secret

# OpenClaw's --auth-choice values -> (provider, how): key | login | token | none | custom
AUTH_CHOICES: dict[str, tuple[str, str]] = {
    "openai-api-key": ("openai", "key"),
    "apiKey": ("anthropic", "key"),
    "anthropic-api-key": ("anthropic", "key"),
    "openai": ("openai-codex", "login"),
    "openai-codex": ("openai-codex", "login"),
    "anthropic": ("anthropic", "login"),
    "setup-token": ("anthropic", "token"),
    "anthropic-setup-token": ("anthropic", "token"),
    "token": ("anthropic", "token"),
    "github-copilot": ("github-copilot", "login"),
    "openrouter-api-key": ("openrouter", "key"),
    "gemini-api-key": ("gemini", "key"),
    "groq-api-key": ("groq", "key"),
    "deepseek-api-key": ("deepseek", "key"),
    "moonshot-api-key": ("moonshot", "key"),
    "kimi-code-api-key": ("kimi", "key"),
    "zai-api-key": ("zai", "key"),
    "zai-global": ("zai", "key"),
    "zai-coding-global": ("zai", "key"),
    "minimax-api-key": ("minimax", "key"),
    "xai-api-key": ("xai", "key"),
    "mistral-api-key": ("mistral", "key"),
    "cerebras-api-key": ("cerebras", "key"),
    "together-api-key": ("together", "key"),
    "opencode-zen": ("opencode", "key"),
    "qwen-api-key": ("qwen", "key"),
    "ollama": ("ollama", "none"),
    "vllm": ("vllm", "none"),
    "lmstudio": ("lmstudio", "none"),
    "custom-api-key": ("custom", "custom"),
}
_ZAI_HOSTS = {
    "zai-coding-global": "https://api.z.ai/api/coding/paas/v4",
    "zai-global": "https://api.z.ai/api/paas/v4",
}
# `--<flag>` key options, OpenClaw's names: flag -> provider
KEY_FLAGS = {
    "openai-api-key": "openai",
    "anthropic-api-key": "anthropic",
    "openrouter-api-key": "openrouter",
    "gemini-api-key": "gemini",
    "mistral-api-key": "mistral",
    "zai-api-key": "zai",
    "xai-api-key": "xai",
    "cerebras-api-key": "cerebras",
    "together-api-key": "together",
    "opencode-zen-api-key": "opencode",
    "moonshot-api-key": "moonshot",
    "minimax-api-key": "minimax",
    "github-copilot-token": "github-copilot",
}
COMMON = ("openai", "anthropic", "openai-codex", "github-copilot", "openrouter", "gemini", "ollama")


def _ask_provider(snap: Any) -> str:
    ids = list(COMMON) + sorted(p for p in snap.catalog.providers if p not in COMMON)
    c = console()
    for i, pid in enumerate(ids, 1):
        c.print(f"  {i:>2}. {esc(pid):<16} {esc(snap.catalog.providers[pid].name)}")
    raw = click.prompt("provider (number or id)", default="1")
    return ids[int(raw) - 1] if raw.isdigit() and 0 < int(raw) <= len(ids) else raw.strip()


def _ask_model(view: Any) -> str:
    models = list(view.models)
    c = console()
    for i, m in enumerate(models, 1):
        c.print(f"  {i:>2}. {esc(view.id)}/{esc(m)}")
    raw = click.prompt("model (number, or provider/model)", default="1" if models else "")
    if raw.isdigit() and 0 < int(raw) <= len(models):
        return f"{view.id}/{models[int(raw) - 1]}"
    return raw if "/" in raw else f"{view.id}/{raw}"


def _store_key(
    st: Any, provider: str, agent: str, secret: str, mode: str, env_name: str | None
) -> dict[str, Any]:
    from clawgate.auth.keycheck import check_key
    from clawgate.auth.profiles import put_profile

    pid = f"{provider}:default"
    if mode == "ref":
        if not env_name:
            raise UsageError("--secret-input-mode ref needs the key in an environment variable")
        entry: dict[str, Any] = {
            "type": "api_key",
            "provider": provider,
            "keyRef": {"source": "env", "provider": "default", "id": env_name},
        }
        put_profile(st.paths, agent, pid, entry)
        return {"profile": pid, "stored": f"keyRef env:{env_name}", "fingerprint": fingerprint(secret)}
    snap = st.snapshot()
    view = snap.catalog.get(provider)
    checked = check_key(secret, provider, view.preset if view else None)
    fatal = [i.reason for i in checked.issues if i.fatal]
    if fatal or checked.value is None:
        raise UsageError(f"refusing to store this key for {provider}: {'; '.join(fatal)}")
    put_profile(st.paths, agent, pid, {"type": "api_key", "provider": provider, "key": checked.value})
    return {"profile": pid, "stored": "key", "fingerprint": fingerprint(checked.value)}


@click.command("onboard")
@click.option("--provider", "provider_id", help="Provider id (e.g. openai, anthropic, openai-codex).")
@click.option(
    "--auth-choice", help="OpenClaw's auth choice (openai-api-key, apiKey, openai, setup-token, ollama, …)."
)
@click.option(
    "--api-key", help="The API key (prefer the provider's environment variable: shells keep history)."
)
@click.option("--token", help="A token (e.g. from `claude setup-token`).")
@click.option("--token-provider", help="With --auth-choice token: the provider the token is for.")
@click.option("--token-expires-in", help="With a token: when it expires, e.g. 365d.")
@click.option("--model", "model_ref", help="The default model (provider/model).")
@click.option(
    "--agent", "agent_id", help="Agent whose store receives the credential (default: the default agent)."
)
@click.option(
    "--secret-input-mode", type=click.Choice(["plaintext", "ref"]), default="plaintext", show_default=True
)
@click.option("--custom-base-url")
@click.option("--custom-model-id")
@click.option("--custom-api-key")
@click.option("--custom-compatibility", type=click.Choice(["openai", "openai-responses", "anthropic"]))
@click.option(
    "--non-interactive", is_flag=True, help="Ask nothing: answers come from flags and the environment."
)
@click.option("--accept-risk", is_flag=True, hidden=True)
@click.option(
    "--skip-health", "--skip-doctor", "skip_doctor", is_flag=True, help="Do not run doctor at the end."
)
@click.option("--no-browser", is_flag=True, help="For a sign-in: print the URL only.")
@json_option
def onboard(**opts: Any) -> None:
    """Set up a provider and a default model, then run doctor.

    \b
      clawgate onboard
      clawgate onboard --non-interactive --auth-choice openai-api-key   # OPENAI_API_KEY from the environment
      clawgate onboard --non-interactive --provider anthropic --token "$(cat token)" --model anthropic/claude-opus-4-5
    """
    as_json = opts.pop("as_json")
    out = run_onboarding(opts, as_json)
    if as_json:
        emit_json(out)
    if out.get("doctor") and not out["doctor"]["ok"]:
        raise click.exceptions.Exit(1)


for _flag, _prov in KEY_FLAGS.items():
    onboard = click.option(f"--{_flag}", f"key_{_flag.replace('-', '_')}", hidden=True, help=f"{_prov} key")(
        onboard
    )


def run_onboarding(opts: dict[str, Any], as_json: bool) -> dict[str, Any]:
    st = state()
    interactive = not opts["non_interactive"] and sys.stdin is not None and sys.stdin.isatty()
    say = (lambda s: console(stderr=True).print(esc(s))) if as_json else (lambda s: console().print(esc(s)))
    snap = st.snapshot()
    provider, how = opts["provider_id"], None
    key = opts["api_key"] or opts["custom_api_key"]
    for flag, prov in KEY_FLAGS.items():
        value = opts.get(f"key_{flag.replace('-', '_')}")
        if value:
            provider, key = provider or prov, value
            how = "token" if flag.endswith("token") else "key"
    if opts["auth_choice"]:
        if opts["auth_choice"] not in AUTH_CHOICES:
            raise UsageError(
                f"unknown --auth-choice {opts['auth_choice']!r}",
                next_steps=["known: " + ", ".join(sorted(AUTH_CHOICES))],
            )
        provider, how = AUTH_CHOICES[opts["auth_choice"]]
        if opts["auth_choice"] == "token" and opts["token_provider"]:
            provider = opts["token_provider"]
    if opts["token"]:
        how = "token"
    if provider is None:
        if not interactive:
            raise UsageError(
                "onboard --non-interactive needs --provider or --auth-choice",
                next_steps=["clawgate onboard --non-interactive --auth-choice openai-api-key"],
            )
        provider = _ask_provider(snap)
    provider = auth_flows.LOGIN_ALIASES.get(provider, provider) if how == "login" else provider
    result: dict[str, Any] = {"ok": True, "provider": provider}
    if how == "custom" or provider == "custom":
        provider = _custom(st, opts)
        result["provider"] = provider
        snap = st.snapshot()
    view = snap.catalog.get(provider)
    if view is None:
        raise UsageError(f"unknown provider {provider!r}", next_steps=["clawgate models list --all"])
    agent = snap.agent(opts["agent_id"]).id
    if opts["auth_choice"] in _ZAI_HOSTS:
        from clawgate.config.edit import modify_config

        url = _ZAI_HOSTS[opts["auth_choice"]]
        modify_config(
            st.paths,
            lambda d: (
                d.setdefault("models", {})
                .setdefault("providers", {})
                .setdefault("zai", {})
                .__setitem__("baseUrl", url)
            ),
        )
    result["credential"] = _credential(st, view, agent, how, key, opts, interactive, say)
    result["model"] = _model(st, view, opts, interactive)
    if not opts["skip_doctor"]:
        from clawgate.diagnose.run import doctor_for_cli

        run = doctor_for_cli(st.paths, st.environ, None, probe=False, check_gateway=False, cwd=Path.cwd())
        findings = [f.to_json() for f in run.findings]
        result["doctor"] = {"ok": not any(f["severity"] == "error" for f in findings), "findings": findings}
        if not as_json:
            from clawgate.cli.findings_view import render_findings

            console().print("[bold]doctor[/]:")
            render_findings(findings, show_info=False)
    if not as_json:
        console().print(f"[green]onboarded[/] {esc(view.id)}; default model {esc(result['model'])}")
        console().print(f"try it: clawgate infer --model {result['model']} 'hello'")
    return result


def _custom(st: Any, opts: dict[str, Any]) -> str:
    from clawgate.config.edit import modify_config

    base = opts["custom_base_url"]
    if not base:
        raise UsageError("--auth-choice custom-api-key needs --custom-base-url URL")
    api = {
        "openai": "openai-completions",
        "openai-responses": "openai-responses",
        "anthropic": "anthropic-messages",
    }[opts["custom_compatibility"] or "openai"]
    entry: dict[str, Any] = {"baseUrl": base, "api": api}
    if opts["custom_model_id"]:
        entry["models"] = [{"id": opts["custom_model_id"]}]
    modify_config(
        st.paths,
        lambda d: d.setdefault("models", {}).setdefault("providers", {}).__setitem__("custom", entry),
    )
    if opts["custom_model_id"] and not opts["model_ref"]:
        opts["model_ref"] = f"custom/{opts['custom_model_id']}"
    return "custom"


def _credential(
    st: Any,
    view: Any,
    agent: str,
    how: str | None,
    key: str | None,
    opts: dict[str, Any],
    interactive: bool,
    say: Any,
) -> dict[str, Any]:
    from clawgate.auth.oauth import spec_for
    from clawgate.auth.profiles import save_profile

    oauth = spec_for(view.id, view.oauth) is not None
    snap = st.snapshot()
    existing = snap.credentials(view, agent).winner
    if how is None:
        if key:
            how = "key"
        elif view.auth_optional:
            how = "none"
        elif existing is not None and not interactive:
            how = "existing"
        elif interactive:
            choices = (["login"] if oauth else []) + ["key"] + (["token"] if view.id == "anthropic" else [])
            words = {
                "login": "sign in (login)",
                "key": "paste an API key (key)",
                "token": "paste a token (token)",
            }
            how = (
                click.prompt(
                    ", or ".join(words[c] for c in choices) + "?",
                    type=click.Choice(choices),
                    default=choices[0],
                )
                if len(choices) > 1
                else "key"
            )
        else:
            how = "login" if oauth else "key"
    if how == "existing" or (how == "key" and key is None and existing is not None and not interactive):
        assert existing is not None
        return {
            "kind": "existing",
            "source": existing.source,
            "fingerprint": existing.fingerprint,
            "note": f"{view.id} already has a credential ({existing.source}); kept",
        }
    if how == "none":
        return {"kind": "none", "note": f"{view.id} is a local server: no key is needed"}
    if how == "login":
        if not interactive and not sys.stdin:
            raise UsageError(
                f"signing in to {view.id} needs a terminal", next_steps=[f"clawgate auth login {view.id}"]
            )
        out = auth_flows.login(
            st,
            view.id,
            agent=agent,
            profile=None,
            method=None,
            open_browser=not opts["no_browser"],
            set_default=False,
            force=False,
            say=say,
        )
        return {
            "kind": "oauth",
            "profile": out["profile"],
            "fingerprint": out["fingerprint"],
            "expires": out["expires"],
        }
    if how == "token":
        token = opts["token"] or key
        if token is None:
            if not interactive:
                raise UsageError("--token is required with --non-interactive for a token sign-in")
            if view.id == "anthropic":
                say("Run `claude setup-token` on a machine with Claude Code, then paste the token.")
            token = auth_flows.read_secret(f"{view.id} token")
        register_secret(token)
        expires = opts["token_expires_in"]
        exp_ms = int(time.time() * 1000) + auth_flows.parse_duration_ms(expires) if expires else None
        pid = f"{view.id}:default"
        save_profile(st.paths, agent, pid, view.id, "token", token.strip(), expires=exp_ms)
        return {"kind": "token", "profile": pid, "fingerprint": fingerprint(token.strip())}
    env_name = next((n for n in view.env_vars if snap.env.var(n) is not None), None)
    if key is None and env_name and opts["secret_input_mode"] == "ref":
        var = snap.env.var(env_name)
        key = var.value if var is not None else None
    if key is None:
        if not interactive:
            names = " or ".join(view.env_vars) or "--api-key"
            raise UsageError(f"no key for {view.id}: pass --api-key or set {names}")
        key = auth_flows.read_secret(f"{view.id} API key")
    register_secret(key)
    return {"kind": "api_key", **_store_key(st, view.id, agent, key, opts["secret_input_mode"], env_name)}


def _model(st: Any, view: Any, opts: dict[str, Any], interactive: bool) -> str:
    snap = st.snapshot()
    current = snap.config.agents.defaults.model
    primary = current if isinstance(current, str) else getattr(current, "primary", None)
    ref = opts["model_ref"]
    if ref is None and interactive:
        ref = _ask_model(view)
    if ref is None:
        if primary:
            return primary  # onboarding keeps an explicit default (as OpenClaw's does)
        first = next(iter(view.models), None)
        if first is None:
            raise UsageError(f"{view.id} lists no model: pass --model {view.id}/MODEL")
        ref = f"{view.id}/{first}"
    auth_flows.set_primary(st, ref)
    return ref
