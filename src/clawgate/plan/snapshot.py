"""The one resolver: (agent, optional model ref) → an ordered plan of attempts, every value with provenance.

Everything that makes a model call — gateway, CLI, probes, subagents, cron, doctor — asks this module.
A `Snapshot` is an immutable view of config + environment + credential stores at one moment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from clawgate.auth.profiles import ProfileStore, load_store
from clawgate.auth.resolve import CredentialResolution, resolve_credentials
from clawgate.auth.secretrefs import SecretResolver
from clawgate.catalog.modelrefs import ModelRef, ModelRefError, parse_ref
from clawgate.catalog.presets import Host, key_variables
from clawgate.catalog.providers import Catalog, ProviderView, build_catalog
from clawgate.catalog.routing import AGENT_PREFIX, RouteMatch, route
from clawgate.config.loader import LoadedConfig, load_config
from clawgate.config.schema import Config, ModelSelection, SecretRef
from clawgate.config.secret_fields import literal_secrets
from clawgate.config.secret_fields import looks_secret_name as looks_secret_name  # re-exported
from clawgate.config.secret_fields import looks_secret_value as looks_secret_value  # re-exported
from clawgate.config.substitution import env_name_ref, expand, references
from clawgate.environment import Environment
from clawgate.envsteps import set_var
from clawgate.errors import NotFoundError
from clawgate.paths import Paths, display_path, normalize_agent_id
from clawgate.plan.cache import PlanCache
from clawgate.plan.types import IMPLICIT_AGENT, AgentInfo, Attempt, ModelChoice, Plan
from clawgate.redaction import mask_url, register_secret, url_userinfo
from clawgate.upstream.apikinds import wire_api


class Snapshot:
    """Config, environment, catalog and credential stores as loaded at one moment."""

    def __init__(self, paths: Paths, loaded: LoadedConfig, env: Environment, cwd: Path | None) -> None:
        self.paths = paths
        self.loaded = loaded
        self.config: Config = loaded.config
        self.env = env
        self.cwd = cwd
        self.catalog: Catalog = build_catalog(self.config)
        self.secrets = SecretResolver(self.config.secrets, env, paths.home)
        self._stores: dict[str, ProfileStore] = {}
        self.plan_cache = PlanCache()
        self._register_config_secrets()

    # -- loading ---------------------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        paths: Paths | None = None,
        environ: Mapping[str, str] | None = None,
        cwd: Path | bool | None = True,
    ) -> Snapshot:
        """Load everything. Raises ConfigParseError/ConfigError for an unusable config file."""
        environ = dict(os.environ if environ is None else environ)
        paths = paths or Paths.discover(environ)
        loaded = load_config(paths)
        env = load_environment(paths, loaded, environ, cwd)
        return cls(paths, loaded, env, Path.cwd() if cwd is True else (cwd or None))

    def _register_config_secrets(self) -> None:
        for found in literal_secrets(self.loaded.data):
            register_secret(found.secret)

    def store(self, agent: str) -> ProfileStore:
        agent = normalize_agent_id(agent)
        if agent not in self._stores:
            self._stores[agent] = load_store(self.paths, agent)
        return self._stores[agent]

    # -- agents ----------------------------------------------------------------------------------------

    def agents(self) -> list[AgentInfo]:
        entries = self.config.agents.entries
        if not entries:
            return [AgentInfo(IMPLICIT_AGENT, None, None, None, is_default=True)]
        default_idx = next((i for i, e in enumerate(entries) if e.default), 0)
        return [
            AgentInfo(normalize_agent_id(e.id), e.name, f"agents.list[{i}]", e, is_default=(i == default_idx))
            for i, e in enumerate(entries)
        ]

    def main_agent(self) -> str:
        return next(a.id for a in self.agents() if a.is_default)

    def agent(self, agent_id: str | None) -> AgentInfo:
        agents = self.agents()
        if agent_id is None:
            return next(a for a in agents if a.is_default)
        norm = agent_id.strip().lower()
        for a in agents:
            if a.id == norm:
                return a
        # Any agent id is allowed to exist implicitly only when no list is configured.
        known = ", ".join(a.id for a in agents)
        raise NotFoundError(
            f"no agent {agent_id!r} in the config (agents: {known})",
            next_steps=[
                "clawgate config get agents.list --json",
                f"clawgate models status --agent {agents[0].id}",
            ],
        )

    # -- models ----------------------------------------------------------------------------------------

    def aliases(self) -> dict[str, str]:
        return {e.alias: ref for ref, e in self.config.agents.defaults.models.items() if e.alias}

    def model_choice(
        self,
        agent: AgentInfo,
        explicit: str | None = None,
        explicit_from: str = "request",
        subagent: bool = False,
    ) -> ModelChoice:
        d = self.config.agents.defaults
        default_primary, default_fallbacks = _split_spec(d.model)
        candidates: list[tuple[str, str]] = []  # (path, ref) in precedence order
        # the fallback lists that are set, in precedence order: (path of the list, refs)
        fb_lists: list[tuple[str, list[str]]] = []
        entry = agent.entry
        if explicit:
            candidates.append((explicit_from, explicit))
        own_fallbacks: dict[str, tuple[str, list[str]]] = {}  # a subagent model's own fallbacks, by its path
        if subagent:
            for spec, base in (
                (
                    entry.subagents.model if entry and entry.subagents else None,
                    f"{agent.path}.subagents.model",
                ),
                (d.subagents.model if d.subagents else None, "agents.defaults.subagents.model"),
            ):
                if spec is None:
                    continue
                p, f = _split_spec(spec)
                if p:
                    path = base if isinstance(spec, str) else f"{base}.primary"
                    candidates.append((path, p))
                    if f is not None:
                        own_fallbacks[path] = (f"{base}.fallbacks", list(f))
        if entry is not None and entry.model is not None:
            p, f = _split_spec(entry.model)
            base = f"{agent.path}.model"
            if p:
                candidates.append((base if isinstance(entry.model, str) else f"{base}.primary", p))
            if f is not None:
                fb_lists.append((f"{base}.fallbacks", list(f)))
        if default_primary:
            candidates.append(
                (
                    "agents.defaults.model" if isinstance(d.model, str) else "agents.defaults.model.primary",
                    default_primary,
                )
            )
        if default_fallbacks is not None:
            fb_lists.append(("agents.defaults.model.fallbacks", list(default_fallbacks)))
        win_path, win_ref = candidates[0] if candidates else ("none", None)
        if win_path in own_fallbacks:  # a subagent model with fallbacks of its own
            fb_lists.insert(0, own_fallbacks[win_path])
        fb_from, fb_refs = fb_lists[0] if fb_lists else ("none", [])
        fallbacks = [(r, f"{fb_from}[{i}]") for i, r in enumerate(fb_refs)]
        fb_shadows = [(p, refs) for p, refs in fb_lists[1:] if refs != fb_refs]
        shadows = [(p, r) for p, r in candidates[1:] if r != win_ref]
        return ModelChoice(win_ref, win_path, shadows, fallbacks, fb_from, fb_shadows)

    def parse(self, ref: str) -> ModelRef:
        return parse_ref(ref, self.catalog, self.aliases())

    # -- plans -----------------------------------------------------------------------------------------

    def host_of(self, provider: ProviderView) -> Host | None:
        """The preset host the provider's (expanded) base URL points at: region/plan key checks need it."""
        if provider.preset is None or not provider.base_url.value:
            return None
        exp = expand(provider.base_url.value, self.env)
        base_url = (exp.value or "").rstrip("/") if exp.ok else ""
        if not base_url:
            return None
        host = provider.preset.host_for(base_url)
        return host or provider.preset.host_by_hostname(urlsplit(base_url).hostname or "")

    def credentials(self, provider: ProviderView, agent: str, pin: str | None = None) -> CredentialResolution:
        """Every credential candidate of `provider` for `agent`, checked against the provider's own host (the
        host is always the plan's: no caller can forget it). A provider with `auth: "none"` whose configured
        header carries the credential has none of its own: the header is sent as written, and named here."""
        if provider.auth_mode == "none":
            from clawgate.config.credential_headers import credential_header

            header = credential_header(provider)
            if header is not None:
                checked = [f'{header[1]} (the credential, sent as written: auth is "none")']
                return CredentialResolution(provider.id, agent, [], checked, optional=True, pinned=pin)
        return resolve_credentials(
            provider,
            agent=agent,
            main_agent=self.main_agent(),
            env=self.env,
            secrets=self.secrets,
            stores=self.store,
            config_order=self.config.auth.order.get(provider.id),
            host=self.host_of(provider),
            pin=pin,
        )

    def plan(
        self,
        agent_id: str | None = None,
        model: str | None = None,
        pin: str | None = None,
        model_from: str = "request",
        subagent: bool = False,
        with_fallbacks: bool | None = None,
    ) -> Plan:
        """The ordered attempts a real call for (agent, model) makes. No network.

        `model` is what a client or command asked for: a `models.routes` rule may rewrite it first, and
        `agent/<id>` (as asked, or as a route's result) means that agent's own plan, fallbacks included."""
        routed: RouteMatch | None = None
        if model:
            routed = route(self.config.models.routes, model.strip())
            if routed is not None:
                model = routed.result
                model_from = f"{model_from} via {routed.describe()}"
            if model.startswith(AGENT_PREFIX):
                agent_id, model, pin = model[len(AGENT_PREFIX) :], None, None
        agent = self.agent(agent_id)
        choice = self.model_choice(agent, model, model_from, subagent=subagent)
        if with_fallbacks is None:
            with_fallbacks = model is None
        refs: list[tuple[str, str, str]] = []
        if choice.ref:
            refs.append((choice.ref, choice.source, "primary"))
        if with_fallbacks:
            refs.extend((r, src, "fallback") for r, src in choice.fallbacks)
        attempts: list[Attempt] = []
        seen: set[str] = set()
        for raw, src, role in refs:
            att = self._attempt(len(attempts), role, raw, src, agent.id, pin if role == "primary" else None)
            key = f"{att.ref}@{pin}" if pin else att.ref
            if key in seen:
                continue
            seen.add(key)
            attempts.append(att)
        return Plan(agent.id, agent.path or "implicit default agent", choice, attempts, routed)

    @staticmethod
    def _unplannable(
        index: int,
        role: str,
        ref: str,
        source: str,
        provider: str,
        model: str,
        message: str,
        next_steps: list[str],
    ) -> Attempt:
        """An attempt that cannot be made at all (an unknown provider or model ref): kept in the plan with
        its error, so callers report it in order instead of silently dropping it."""
        return Attempt(
            index,
            role,
            ref,
            source,
            provider,
            model,
            "",
            "",
            None,
            "",
            0.0,
            None,
            None,
            "unknown",
            error={"code": "model.unknown", "owner": "request", "message": message, "next": next_steps},
        )

    def _attempt(self, index: int, role: str, raw: str, source: str, agent: str, pin: str | None) -> Attempt:
        try:
            mref = self.parse(raw)
        except ModelRefError as exc:
            return self._unplannable(index, role, raw, source, "", "", exc.message, exc.next_steps)
        view = self.catalog.get(mref.provider)
        if view is None:
            known = ", ".join(sorted(self.catalog.providers))
            return self._unplannable(
                index,
                role,
                mref.ref,
                source,
                mref.provider,
                mref.model,
                f"provider {mref.provider!r} is not a preset and not in models.providers (known: {known})",
                [f"clawgate config set models.providers.{mref.provider}.baseUrl URL", "clawgate models list"],
            )
        cm = view.models.get(mref.model)
        if cm is not None:
            status = "listed"
        elif view.accepts_any_model:
            status = "any"
        elif view.preset is None and not view.models:
            status = "no_catalog"
        elif view.preset is None:
            status = "unlisted_strict"
        else:
            status = "unlisted"
        api_kind = (cm.info.api if cm and cm.info.api else None) or view.api.value
        api_from = cm.source if cm and cm.info.api else view.api.source
        api = wire_api(api_kind)  # the dialect on the wire (`ollama` speaks OpenAI chat under /v1)
        base_url: str | None = None
        error = None
        exp = expand(view.base_url.value or "", self.env)
        if not view.base_url.value:
            error = {
                "code": "config.invalid_value",
                "owner": "config",
                "message": f"provider {view.id!r} has no baseUrl",
                "next": [f"clawgate config set models.providers.{view.id}.baseUrl https://HOST/v1"],
            }
        elif not exp.ok:
            error = {
                "code": "env.unresolved_ref",
                "owner": "environment",
                "message": f"baseUrl of {view.id} references unset {', '.join(exp.missing)}",
                "next": ["clawgate env"],
            }
        else:
            base_url = (exp.value or "").rstrip("/")
            if exp.refs:  # a ${VAR} in a URL may be a token (…/t/${TENANT_TOKEN}/v1): never shown whole
                for name in exp.refs:
                    var = self.env.var(name)
                    if var is not None and var.value:
                        register_secret(var.value)
            if url_userinfo(base_url):  # the schema refuses a literal one; this one came from ${VAR}
                error = _userinfo_error(view, base_url)
        host = self.host_of(view) if base_url else None
        if status == "unlisted_strict" and error is None:
            known_models = ", ".join(sorted(view.models))
            error = {
                "code": "model.unknown",
                "owner": "request",
                "message": f"model {mref.model!r} is not in models.providers.{view.id}.models "
                f"(listed: {known_models})",
                "next": [f"clawgate config get models.providers.{view.id}.models --json"],
            }
        headers: dict[str, str] = {}
        header_sources: dict[str, str] = {}
        for name, valued in view.headers.items():
            value = self._header_value(valued.value)
            if value is None:
                if error is None:
                    error = {
                        "code": "env.unresolved_ref",
                        "owner": "environment",
                        "message": f"header {name} of {view.id} references an unset variable or secret",
                        "next": ["clawgate env", "clawgate secrets audit"],
                    }
                continue
            headers[name] = value
            header_sources[name] = valued.source
        cred = self.credentials(view, agent, pin=pin or mref.profile)
        if cred.pin_error and error is None:
            error = self._pin_error(view, mref.model, cred, agent)
        return Attempt(
            index=index,
            role=role,
            ref=mref.ref,
            ref_from=_ref_from(source, mref, view.id),
            provider=view.id,
            model=mref.model,
            api=api,
            api_from=api_from,
            base_url=base_url,
            base_url_from=view.base_url.source,
            timeout=float(view.timeout.value),
            idle_timeout=float(view.idle_timeout.value) if view.idle_timeout.value is not None else None,
            credential=cred,
            model_info=cm,
            catalog_status=status,
            host=host,
            headers=headers,
            header_sources=header_sources,
            error=error,
            view=view,
            api_kind=api_kind,
        )

    def _pin_error(
        self, view: ProviderView, model: str, cred: CredentialResolution, agent: str
    ) -> dict[str, Any]:
        from clawgate.failures.classify.local import pin_invalid

        pin = cred.pinned or ""
        profiles = [
            p.id for p in self.store(agent).for_provider(view.id, self.config.auth.order.get(view.id))
        ]
        prof = self.store(agent).profiles.get(pin) or self.store(self.main_agent()).profiles.get(pin)
        belongs = prof.provider if prof is not None and prof.provider != view.id else None
        f = pin_invalid(
            pin, provider=view.id, model=model, profiles=profiles, belongs_to=belongs, agent=agent
        )
        return {"code": f.code, "owner": f.owner, "message": f.message, "next": f.next_steps}

    def _header_value(self, raw: str | SecretRef) -> str | None:
        if isinstance(raw, SecretRef):
            sv = self.secrets.resolve(raw)
            if sv.value is not None:
                register_secret(sv.value)
            return sv.value
        exp = expand(raw, self.env)
        if exp.refs and exp.value:
            register_secret(exp.value)
        return exp.value


def _ref_from(source: str, mref: ModelRef, provider: str) -> str:
    if mref.via_alias:
        return f"{source} (alias {mref.via_alias})"
    if mref.via_family:
        return f"{source} (bare id in {provider}'s model family {mref.via_family})"
    return source


def _split_spec(spec: str | ModelSelection | None) -> tuple[str | None, list[str] | None]:
    if spec is None:
        return None, None
    if isinstance(spec, str):
        return spec, None
    return spec.primary, spec.fallbacks


def load_environment(
    paths: Paths, loaded: LoadedConfig, environ: Mapping[str, str], cwd: Path | bool | None = True
) -> Environment:
    cfg = loaded.config
    cwd_path = Path.cwd() if cwd is True else (cwd or None)
    return Environment.load(
        process=environ,
        cwd=cwd_path if isinstance(cwd_path, Path) else None,
        home_env_file=paths.env_file,
        config_vars=cfg.env.all_vars(),
        config_file=display_path(paths.config),
        shell_enabled=cfg.env.shell_env.enabled,
        shell_timeout_ms=cfg.env.shell_env.timeout_ms,
        shell_names=_wanted_names(cfg),
    )


def _wanted_names(cfg: Config) -> set[str]:
    from clawgate.catalog.presets import PRESETS

    names = {n for p in PRESETS for n in p.env_vars}
    for pid, pc in cfg.models.providers.items():
        names.update(key_variables(pid))
        if isinstance(pc.api_key, str):
            names.update(references(pc.api_key))
            if env_name_ref(pc.api_key):
                names.add(pc.api_key.strip())
        elif isinstance(pc.api_key, SecretRef) and pc.api_key.source == "env":
            names.add(pc.api_key.id)
        if pc.base_url:
            names.update(references(pc.base_url))
    names.update({"CLAWGATE_GATEWAY_TOKEN", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"})
    return names


def _userinfo_error(view: ProviderView, base_url: str) -> dict[str, Any]:
    """A baseUrl whose expansion carries `user:password@`: nothing is sent (the password would go out beside the
    key's Authorization header, and be shown wherever the URL is)."""
    refs = sorted(set(references(view.base_url.value or "")))
    key = view.env_vars[0] if view.env_vars else None
    return {
        "code": "config.invalid_value",
        "owner": "config",
        "message": f"baseUrl of {view.id} ({view.base_url.source}) expands to {mask_url(base_url)}, which carries "
        "a user name or password; clawgate does not take credentials in a URL — set "
        f"{', '.join(refs) or 'it'} without the user:password@ part and give the key as "
        f"{key + ' (or an auth profile)' if key else 'an auth profile'}",
        "next": [
            *(set_var(n) for n in refs),
            set_var(key) if key else f"clawgate auth add {view.id}",
        ],
    }
