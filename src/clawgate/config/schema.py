"""The strict configuration schema (OpenClaw-compatible key names); unknown keys fail with "did you mean"."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from clawgate.config.base import SecretInput, Strict
from clawgate.config.base import SecretRef as SecretRef  # re-exported: callers import it from here
from clawgate.config.clients_schema import CredentialTuning, GatewayLimitsConfig, PairingConfig, RateLimits
from clawgate.config.observability import ObservabilityConfig
from clawgate.errors import ConfigError, Location
from clawgate.redaction import mask_url, strip_userinfo, url_userinfo

API_KINDS = (
    "openai-completions",
    "openai-responses",
    "anthropic-messages",
    "ollama",
    "openai-codex-responses",
    "openai-chatgpt-responses",
)
# `ollama`: Ollama's host URL (no /v1); `openai-codex-responses` (OpenClaw's newer name:
# `openai-chatgpt-responses`): the ChatGPT backend's Responses endpoint. See clawgate.upstream.apikinds.
ApiKind = Literal[
    "openai-completions",
    "openai-responses",
    "anthropic-messages",
    "ollama",
    "openai-codex-responses",
    "openai-chatgpt-responses",
]
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
URL_CREDENTIALS = "url_credentials"  # the pydantic error type of a baseUrl with user:password@ in it


class SecretProviderConfig(Strict):
    """A named secret source used by SecretRefs (`secrets.providers.<name>`)."""

    source: Literal["env", "file", "exec"]
    path: str | None = None
    mode: Literal["json", "singleValue"] | None = None
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    timeout_ms: int = Field(default=5000, gt=0, le=120_000)
    allowlist: list[str] | None = None

    @model_validator(mode="after")
    def _needs(self) -> SecretProviderConfig:
        if self.source == "file" and not self.path:
            raise ValueError("a file secret provider needs 'path'")
        if self.source == "exec" and not self.command:
            raise ValueError("an exec secret provider needs 'command'")
        return self


class SecretsConfig(Strict):
    providers: dict[str, SecretProviderConfig] = Field(default_factory=dict)


class ShellEnvConfig(Strict):
    enabled: bool = False
    timeout_ms: int = Field(default=15_000, gt=0, le=120_000)


class EnvConfig(BaseModel):
    """`env.vars`, `env.shellEnv`, `env.passThrough`, and (as OpenClaw allows) variables written directly under
    `env`. `passThrough` names the variables the gateway service keeps from the environment of whatever starts
    it (`clawgate gateway start`, the systemd unit); see gateway/service_env.py."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    vars: dict[str, str] = Field(default_factory=dict)
    shell_env: ShellEnvConfig = Field(default_factory=ShellEnvConfig, alias="shellEnv")
    pass_through: list[str] = Field(default_factory=list, alias="passThrough")

    @model_validator(mode="after")
    def _inline_vars(self) -> EnvConfig:
        for key, value in (self.model_extra or {}).items():
            if not _ENV_NAME.match(key) or not key.isupper():
                raise ValueError(f"__unknown_key__:{key}")
            if not isinstance(value, str):
                raise ValueError(f"env.{key} must be a string")
        for key in self.vars:
            if not _ENV_NAME.match(key):
                raise ValueError(f"env.vars: {key!r} is not a valid variable name")
        for key in self.pass_through:
            if not _ENV_NAME.match(key):
                raise ValueError(f"env.passThrough: {key!r} is not a valid variable name")
        return self

    def all_vars(self) -> dict[str, tuple[str, str]]:
        """name -> (value, config key path) for inline and `vars` entries (inline first, as written)."""
        out: dict[str, tuple[str, str]] = {}
        for key, value in (self.model_extra or {}).items():
            out[key] = (value, f"env.{key}")
        for key, value in self.vars.items():
            out.setdefault(key, (value, f"env.vars.{key}"))
        return out


class AuthConfig(Strict):
    order: dict[str, list[str]] = Field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = Field(default_factory=dict)
    cooldowns: dict[str, Any] | None = None


class ModelCost(Strict):
    input: float = 0.0
    output: float = 0.0
    cache_read: float = 0.0
    cache_write: float = 0.0


class ModelConfig(Strict):
    id: str = Field(min_length=1)
    name: str | None = None
    api: ApiKind | None = None
    context_window: int | None = Field(default=None, gt=0)
    max_tokens: int | None = Field(default=None, gt=0)
    input: list[Literal["text", "image", "audio", "video", "document"]] | None = None
    cost: ModelCost | None = None
    reasoning: bool | None = None


class OAuthEndpoints(Strict):
    """Where a provider's OAuth lives (`models.providers.<id>.oauth`); unset fields use the provider's
    published endpoints. Tests and self-hosted proxies point these elsewhere."""

    token_url: str | None = None  # refresh and code exchange
    authorize_url: str | None = None  # PKCE login (browser)
    device_code_url: str | None = None  # device login
    exchange_url: str | None = None  # GitHub Copilot: GitHub token -> Copilot API token
    redirect_uri: str | None = None
    client_id: str | None = None
    scope: str | None = None


class ProviderConfig(Strict):
    base_url: str | None = None
    api_key: SecretInput | None = None
    api: ApiKind | None = None
    auth: Literal["api-key", "token", "oauth", "none"] | None = None
    headers: dict[str, SecretInput] = Field(default_factory=dict)
    timeout_seconds: float | None = Field(default=None, gt=0, le=3600)
    # longest wait for the next piece of an answer (a stream chunk, the body); default 120 s, local 300 s
    idle_timeout_seconds: float | None = Field(default=None, gt=0, le=3600)
    models: list[ModelConfig] | None = None
    oauth: OAuthEndpoints | None = None
    # Request fields this provider's format has no equivalent for: dropped (and named in the response's
    # x-clawgate-omitted header) instead of refused. `true` drops every such field.
    drop_unsupported: bool | list[str] | None = None
    # Anthropic structured outputs: "native" (output_config.format) or "tool" (a forced tool); default by model.
    structured_output: Literal["native", "tool"] | None = None

    # several credentials of this provider: `order` (the resolution order, the next one on failure),
    # `weighted` (spread by `credentials.<c>.weight`), `least-busy` (fewest tries in flight in this process)
    balance: Literal["order", "weighted", "least-busy"] | None = None
    limits: RateLimits | None = None  # per credential of this provider (each its own window)
    credentials: dict[str, CredentialTuning] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _no_userinfo(cls, v: str | None) -> str | None:
        if v is not None and url_userinfo(v):
            # the message (with the provider's key variable) is written by validate(): see _url_credentials
            raise PydanticCustomError(URL_CREDENTIALS, "credentials in the URL")
        return v


class ModelRoute(Strict):
    """`models.routes[i]`: a client's model name matching `match` (a glob; `*` captures) is sent as `to`
    (`provider/model`, an alias, or `agent/<id>`; each `*` in `to` takes the next capture)."""

    match: str = Field(min_length=1)
    to: str = Field(min_length=1)

    @model_validator(mode="after")
    def _captures(self) -> ModelRoute:
        if self.to.count("*") > self.match.count("*"):
            raise ValueError(f"'to' ({self.to!r}) uses more '*' than 'match' ({self.match!r}) captures")
        return self


class ModelsConfig(Strict):
    mode: Literal["merge", "replace"] = "merge"
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    routes: list[ModelRoute] = Field(default_factory=list)

    @field_validator("providers")
    @classmethod
    def _lower_ids(cls, v: dict[str, ProviderConfig]) -> dict[str, ProviderConfig]:
        for key in v:
            if key != key.strip().lower():
                raise ValueError(f"provider id {key!r} must be lowercase (use {key.strip().lower()!r})")
        return v


class ModelSelection(Strict):
    primary: str | None = None
    fallbacks: list[str] | None = None


ModelSpec = str | ModelSelection


class SubagentsConfig(Strict):
    model: ModelSpec | None = None
    max_concurrent: int | None = Field(default=None, gt=0, le=64)


class AliasEntry(Strict):
    alias: str | None = None
    params: dict[str, Any] | None = None


class AgentDefaults(Strict):
    model: ModelSpec | None = None
    models: dict[str, AliasEntry] = Field(default_factory=dict)
    subagents: SubagentsConfig | None = None
    idle_timeout_seconds: float | None = Field(default=None, gt=0)
    run_timeout_seconds: float | None = Field(default=None, gt=0)


class AgentEntry(Strict):
    id: str = Field(min_length=1)
    default: bool = False
    name: str | None = None
    model: ModelSpec | None = None
    subagents: SubagentsConfig | None = None
    idle_timeout_seconds: float | None = Field(default=None, gt=0)
    run_timeout_seconds: float | None = Field(default=None, gt=0)


class AgentsConfig(Strict):
    defaults: AgentDefaults = Field(default_factory=AgentDefaults)
    entries: list[AgentEntry] = Field(default_factory=list, alias="list")

    @field_validator("entries")
    @classmethod
    def _unique_ids(cls, v: list[AgentEntry]) -> list[AgentEntry]:
        seen: set[str] = set()
        for entry in v:
            key = entry.id.strip().lower()
            if key in seen:
                raise ValueError(f"agent id {entry.id!r} appears twice")
            seen.add(key)
        return v


class GatewayAuthConfig(Strict):
    mode: Literal["none", "token"] | None = None  # unset: "token" when a token is available, else "none"
    token: SecretInput | None = None
    max_failures_per_minute: int = Field(default=10, gt=0)
    lockout_seconds: float = Field(default=300.0, ge=0)
    exempt_loopback: bool = True
    # proxies whose X-Forwarded-For is believed (addresses or CIDR ranges); behind them, lockouts key on the
    # client address the proxy saw, so clients behind one proxy do not lock each other out
    trusted_proxies: list[str] = Field(default_factory=list)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        from ipaddress import ip_network

        for item in v:
            try:
                ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or CIDR range (e.g. 10.0.0.5, 10.0.0.0/8)"
                ) from None
        return v


class ResponsesStoreConfig(Strict):
    """Responses clawgate keeps so `previous_response_id` works on providers that cannot store them."""

    ttl_seconds: float = Field(default=7 * 24 * 3600, gt=0)
    max_stored: int = Field(default=10_000, gt=0)


class GatewayConfig(Strict):
    port: int = Field(default=18789, ge=1, le=65535)
    bind: str = "loopback"
    auth: GatewayAuthConfig = Field(default_factory=GatewayAuthConfig)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, gt=0)
    drain_seconds: float = Field(default=10.0, ge=0, le=600)
    max_retry_wait_seconds: float = Field(default=30.0, ge=0, le=3600)
    reload_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    responses: ResponsesStoreConfig = Field(default_factory=ResponsesStoreConfig)
    limits: GatewayLimitsConfig = Field(default_factory=GatewayLimitsConfig)
    pairing: PairingConfig = Field(default_factory=PairingConfig)


class CronJob(Strict):
    id: str = Field(min_length=1)
    agent: str | None = None
    prompt: str
    schedule: str | None = None
    delay_seconds: float | None = Field(default=None, ge=0)
    model: str | None = None
    enabled: bool = True

    @model_validator(mode="after")
    def _one_schedule(self) -> CronJob:
        if (self.schedule is None) == (self.delay_seconds is None):
            raise ValueError("give exactly one of 'schedule' (cron expression) or 'delaySeconds'")
        return self


class CronConfig(Strict):
    jobs: list[CronJob] = Field(default_factory=list)


class SessionsConfig(Strict):
    busy: Literal["queue", "interrupt"] = "queue"  # a message posted while a run is active
    keep_messages: int = Field(default=2000, gt=0)  # per session, oldest trimmed from storage beyond this


class StateConfig(Strict):
    """Where shared state lives (docs/state.md). Unset: SQLite files in the home (one machine, any number of
    processes). The URLs carry passwords: write them as `${VAR}` references or SecretRefs."""

    redis: SecretInput | None = None  # fast shared state: health, lockouts, UI logins, leases, events
    database: SecretInput | None = None  # durable records (PostgreSQL): sessions, messages, runs, attempts
    database_pool_size: int = Field(default=4, ge=1, le=64)


class Config(Strict):
    """The whole `clawgate.json`."""

    schema_: str | None = Field(default=None, alias="$schema")
    env: EnvConfig = Field(default_factory=EnvConfig)
    secrets: SecretsConfig = Field(default_factory=SecretsConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    models: ModelsConfig = Field(default_factory=ModelsConfig)
    agents: AgentsConfig = Field(default_factory=AgentsConfig)
    gateway: GatewayConfig = Field(default_factory=GatewayConfig)
    cron: CronConfig = Field(default_factory=CronConfig)
    sessions: SessionsConfig = Field(default_factory=SessionsConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)


# ---------------------------------------------------------------- validation with good messages


def _model_at(path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The schema class that owns the object at `path` (to list valid keys for "did you mean")."""
    model: Any = Config
    for part in path:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        fields = model.model_fields if isinstance(model, type) and issubclass(model, BaseModel) else {}
        target = None
        for name, info in fields.items():
            if part in (name, info.alias):
                target = info.annotation
                break
        if target is None:
            # dict values (providers.<id>, secrets.providers.<name>): keep the value type
            model = _dict_value_type(model, part)
            continue
        model = _unwrap(target)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    import typing

    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (list, dict):
        return _unwrap(args[-1])
    if args:
        for a in args:
            inner = _unwrap(a)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
        return None
    return annotation


def _dict_value_type(model: Any, key: str) -> Any:
    return model if key else None


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _fmt_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union-branch labels (e.g. 'str', 'SecretRef') from an error location."""
    return tuple(p for p in loc if isinstance(p, int) or not _is_branch_label(str(p)))


def _is_branch_label(part: str) -> bool:
    return part in {
        "str",
        "SecretRef",
        "ModelSelection",
        "function-after[_needs(), SecretProviderConfig]",
    } or (part.startswith(("function-", "tagged-union", "literal[")))


def validate(data: Any, filename: str, text: str | None = None, written: bool = True) -> Config:
    """Validate parsed config; the first problems become one ConfigError naming key, line and fix.

    `written=False`: `data` is a candidate that was not written (an edit being checked): the messages name the
    keys only, never a line of `filename`, and carry no next steps (the edit's caller knows the fix);
    `evidence.problems` holds each problem as {path, message, type, guess}."""
    from clawgate.config.json5io import locate_key

    if not isinstance(data, dict):
        raise ConfigError(
            "the top level must be an object ({ ... })",
            location=Location(file=filename, line=1) if written else None,
            next_steps=["clawgate config validate"] if written else [],
        )
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc)
    else:
        from clawgate.config.credential_headers import check_credential_headers

        check_credential_headers(cfg, filename, text)
        return cfg
    messages: list[str] = []
    first_loc: Location | None = None
    for prob in problems:
        line = locate_key(text, list(prob["loc"])) if text and written else None
        where = (f"{filename}:{line}" if line else filename) + ": " if written else ""
        messages.append(f"{where}{prob['path'] or '(top level)'}: {prob['message']}")
        if first_loc is None:
            first_loc = Location(file=filename, line=line, key=prob["path"] or None)
    body = messages[0] if len(messages) == 1 else "\n  ".join(["invalid configuration:", *messages])
    raise ConfigError(
        body,
        location=None,
        evidence={
            "errors": messages,
            "first": first_loc.to_json() if first_loc and written else {},
            "problems": [{k: v for k, v in p.items() if k != "loc"} for p in problems],
        },
        next_steps=[
            *dict.fromkeys(step for p in problems for step in p.get("steps", ())),
            "clawgate config validate",
            f"edit {filename} (or use: clawgate config set PATH VALUE)",
        ]
        if written
        else [],
    )


def _problems(exc: ValidationError) -> list[dict[str, Any]]:
    """pydantic's errors as {loc, path, message, type, guess}, one per key; a union's branch that failed only
    because another branch fits deeper (`model: {primry: …}` is no string either) is dropped as noise."""
    raw: list[tuple[dict[str, Any], bool]] = []
    for err in exc.errors():
        branch = any(isinstance(p, str) and _is_branch_label(p) for p in err["loc"])
        loc = _clean_loc(tuple(err["loc"]))
        msg = err["msg"]
        etype = err["type"]
        guess: str | None = None
        ctx_err = str((err.get("ctx") or {}).get("error", ""))
        if etype == "extra_forbidden" or "__unknown_key__" in ctx_err:
            etype = "unknown_key"
            if "__unknown_key__" in ctx_err:
                key = ctx_err.split("__unknown_key__:", 1)[1]
                loc = (*loc, key)
            key = str(loc[-1])
            parent = _model_at(loc[:-1])
            allowed = _allowed_keys(parent) if parent else []
            import difflib  # only for this error's hint

            guesses = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            if not guesses:
                lowered = {a.lower(): a for a in allowed}
                if key.lower() in lowered:
                    guesses = [lowered[key.lower()]]
            guess = guesses[0] if guesses else None
            msg = "unknown key" + (f" (did you mean {guess!r}?)" if guess else "")
            if allowed:
                msg += f"; allowed here: {', '.join(allowed)}"
        elif etype == URL_CREDENTIALS:
            msg, steps = _url_credentials(loc, str(err.get("input", "")))
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        prob: dict[str, Any] = {
            "loc": loc,
            "path": _fmt_path(loc),
            "message": msg,
            "type": etype,
            "guess": guess,
        }
        if etype == URL_CREDENTIALS:
            prob["steps"] = steps
        raw.append((prob, branch))
    deeper = [p["loc"] for p, _ in raw]
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for prob, branch in raw:
        loc = prob["loc"]
        if branch and any(len(d) > len(loc) and d[: len(loc)] == loc for d in deeper):
            continue
        if prob["path"] in seen:
            continue
        seen.add(prob["path"])
        out.append(prob)
    return out


def _url_credentials(loc: tuple[Any, ...], url: str) -> tuple[str, list[str]]:
    """The error for `models.providers.<id>.baseUrl` with a user name or password in it, and the fix: the URL
    without them, and the key where clawgate sends it from (a URL's password would be sent as a second
    Authorization and shown wherever the URL is)."""
    from clawgate.catalog.presets import PRESETS_BY_ID, canonical_provider_id, key_variables
    from clawgate.envsteps import set_var
    from clawgate.shellcmd import command

    pid = canonical_provider_id(str(loc[-2])) if len(loc) >= 2 else "PROVIDER"
    path = _fmt_path(loc)
    variables = key_variables(pid, PRESETS_BY_ID.get(pid))
    where = f"{variables[0]} in .env (or an auth profile)" if variables else "an auth profile"
    msg = (
        f"{mask_url(url)} carries a user name or password; clawgate does not take credentials in a URL — "
        f"remove the user:password@ part and give the key as {where}"
    )
    steps = []
    if "${" not in url:
        steps.append(command("config", "set", path, strip_userinfo(url)))
    steps.append(set_var(variables[0]) if variables else f"clawgate auth add {pid}")
    return msg, steps
