"""The one credential resolution order, with every candidate kept (winner first, then what it shadows) — and,
at call time, the order a call tries them in (`order_for_call`: load balancing, and what health and the
providers' rate-limit headers say).

Order: explicit profile pin → config `apiKey` (literal, ${VAR} or SecretRef) → the agent's stored profiles
(in `auth.order`) → the main agent's profiles (only when the agent has none for the provider) → the
provider's conventional environment variables.

A pin is a pin, not a preference: with one, only that profile of that provider is ever used. A pin to a profile
that does not exist, or that belongs to another provider, leaves `pin_error` set and no usable candidate —
the plan refuses the attempt (`auth.pin_invalid`) and no key is sent anywhere.

A key the CLI knows only by the running gateway's fingerprint (`environment.GatewayOnly`: it is in the
gateway's process environment, not readable here) is a `gateway_only` candidate: the winner, as in the gateway,
with what it shadows — but never in the list a call tries (`distinct_usable`), so nothing this CLI runs sends
it or anything it beats.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawgate.auth.keycheck import KeyIssue, check_key
from clawgate.auth.profiles import Profile, ProfileStore
from clawgate.auth.secretrefs import SecretResolver
from clawgate.catalog.presets import Host
from clawgate.catalog.providers import ProviderView
from clawgate.config.schema import SecretRef
from clawgate.config.substitution import env_name_ref, expand
from clawgate.environment import Environment
from clawgate.redaction import fingerprint, register_secret

_THREE_DAYS_MS = 3 * 24 * 3600 * 1000


@dataclass
class Candidate:
    """One possible credential for a provider. `secret()` is the only way to the value."""

    source: str  # "profile:<id>" | "config:models.providers.<id>.apiKey" | "env:<VAR>" | "none"
    origin: str  # file:line, file path, or "process environment"
    kind: str = "api_key"  # api_key | token | oauth
    fingerprint: str | None = None
    usable: bool = False
    issues: list[KeyIssue] = field(default_factory=list)
    ref: str | None = None  # "${VAR}" or a SecretRef description
    profile_id: str | None = None
    agent: str | None = None
    inherited_from: str | None = None  # the main agent whose profile this borrows
    expires: int | None = None
    duplicate_of: str | None = None  # an earlier candidate's source with the same key
    profile_path: Path | None = None  # the store a profile candidate came from (OAuth refresh writes there)
    account_id: str | None = None  # OAuth: the account the token is for (ChatGPT: chatgpt-account-id)
    refreshable: bool = False  # an OAuth profile with a refresh token: an expired access token is renewed
    gateway_only: bool = (
        False  # the running gateway's key, known here by fingerprint only: never sent from here
    )
    order_from: str | None = None  # a profile placed by an order: `auth.order.<id>` or the stored order
    _secret: str | None = field(default=None, repr=False)

    def secret(self) -> str | None:
        return self._secret if self.usable else None

    @property
    def sendable(self) -> bool:
        """Usable, and its value is here (a `gateway_only` key is the gateway's to send)."""
        return self.usable and not self.gateway_only

    @property
    def fatal_reason(self) -> str | None:
        for i in self.issues:
            if i.fatal:
                return i.reason
        return None

    def to_json(self, brief: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "origin": self.origin, "fingerprint": self.fingerprint}
        if brief:
            if not self.usable:
                out["unusable"] = self.fatal_reason
            return out
        out["kind"] = self.kind
        out["usable"] = self.usable
        if self.gateway_only:
            out["gateway_only"] = True
        if self.ref:
            out["ref"] = self.ref
        if self.inherited_from:
            out["inherited_from"] = f"agent:{self.inherited_from}"
        if self.order_from:
            out["order_from"] = self.order_from
        if self.expires is not None:
            out["expires"] = self.expires
        if self.refreshable:
            out["refreshable"] = True
        if self.duplicate_of:
            out["same_key_as"] = self.duplicate_of
        if self.issues:
            out["issues"] = [i.to_json() for i in self.issues]
        return out


@dataclass
class CredentialResolution:
    provider: str
    agent: str
    candidates: list[Candidate]
    checked: list[str]
    optional: bool = False
    pinned: str | None = None  # a profile id (`ref@profile`), or a candidate's source (a probe of one key)
    pin_error: str | None = None  # why the pin cannot be used (no such profile, another provider's)

    def _pin_matches(self, c: Candidate) -> bool:
        return c.profile_id == self.pinned or c.source == self.pinned

    @property
    def winner(self) -> Candidate | None:
        for c in self.candidates:
            if c.usable and (not self.pinned or self._pin_matches(c)):
                return c
        return None

    @property
    def shadowed(self) -> list[Candidate]:
        w = self.winner
        return [c for c in self.candidates if c is not w]

    def distinct_usable(self) -> list[Candidate]:
        """Usable candidates in order, one per distinct key (the executor's auth failover list). Pinned: the
        pinned candidate alone, or nothing."""
        if self.pinned:
            return [c for c in self.candidates if c.sendable and self._pin_matches(c)][:1]
        seen: set[str] = set()
        out = []
        for c in self.candidates:
            if c.sendable and c.fingerprint not in seen:
                seen.add(c.fingerprint or "")
                out.append(c)
        return out

    def to_json(self) -> dict[str, Any]:
        w = self.winner
        out: dict[str, Any]
        if w is None:
            out = {"source": "none", "origin": None, "fingerprint": None}
            if self.optional:
                out["note"] = "not required by this provider"
        else:
            out = {"source": w.source, "origin": w.origin, "fingerprint": w.fingerprint, "kind": w.kind}
            if w.inherited_from:
                out["inherited_from"] = f"agent:{w.inherited_from}"
            if w.order_from:
                out["order_from"] = w.order_from  # why this profile comes before the others
            if w.issues:
                out["issues"] = [i.to_json() for i in w.issues]
        out["shadowed"] = [c.to_json(brief=True) for c in self.shadowed]
        out["checked"] = self.checked
        if self.pinned:
            out["pinned"] = self.pinned
        if self.pin_error:
            out["pin_error"] = self.pin_error
        return out


def order_for_call(
    creds: list[Candidate],
    view: ProviderView | None,
    refused: Callable[[Candidate], bool],
    near_until: Callable[[Candidate], float | None] = lambda c: None,
    busy: Callable[[Candidate], int] = lambda c: 0,
    rng: random.Random | None = None,
) -> list[Candidate]:
    """The order one call tries a provider's distinct usable credentials in. This is the one run-time
    decision of it (the executor only walks the list):

    1. `models.providers.<id>.balance`: `order` keeps the resolution order; `weighted` draws a random order
       where each credential comes first with the share `credentials.<source or profile>.weight` gives it
       (default 1); `least-busy` puts the credential with the fewest tries in flight (in this process) first,
       ties in resolution order.
    2. Then, keeping that order within each group: usable now; near its rate limit by the provider's own
       headers (soonest reset first) — routed around before it answers 429; refused by health last.
    """
    if len(creds) < 2:
        return list(creds)
    strategy = view.balance if view is not None else "order"
    out = list(creds)
    if strategy == "weighted" and view is not None:
        draw = rng or random

        def weight(c: Candidate) -> float:
            t = view.tuning(c.source, c.profile_id)
            return t.weight if t is not None and t.weight else 1.0

        keys = {id(c): draw.random() ** (1.0 / weight(c)) for c in out}
        out.sort(key=lambda c: keys[id(c)], reverse=True)
    elif strategy == "least-busy":
        load = {id(c): busy(c) for c in out}
        out.sort(key=lambda c: load[id(c)])  # stable: ties stay in resolution order
    ready: list[Candidate] = []
    near: list[tuple[float, int, Candidate]] = []
    down: list[Candidate] = []
    for i, c in enumerate(out):
        if refused(c):
            down.append(c)
            continue
        until = near_until(c)
        if until is not None:
            near.append((until, i, c))
        else:
            ready.append(c)
    return ready + [c for _, _, c in sorted(near, key=lambda n: (n[0], n[1]))] + down


def gateway_only_candidates(
    source: str, env: Environment, name: str, kind: str = "api_key"
) -> list[Candidate] | None:
    """`name` as the running gateway has it when its value is known here only by fingerprint: the gateway's
    candidate (winner) and, unusable, each line it beats; None for a variable whose value is here."""
    var = env.var(name)
    if var is None or var.winner.known_fingerprint is None:
        return None
    out = [
        Candidate(
            source=source,
            origin=var.winner.origin,
            kind=kind,
            fingerprint=var.winner.known_fingerprint,
            usable=True,
            ref=None,
            gateway_only=True,
        )
    ]
    for d in var.shadowed:
        if not d.value or not d.effective_in_file:
            continue
        register_secret(d.value)
        out.append(
            Candidate(
                source=source,
                origin=d.origin,
                kind=kind,
                fingerprint=fingerprint(d.value),
                issues=[
                    KeyIssue("env.shadowed", f"shadowed by {name} in the {var.winner.origin}", fatal=True)
                ],
            )
        )
    return out


def _kind_for(value: str, default: str) -> str:
    if default == "api_key" and value.startswith("sk-ant-oat"):
        return "token"
    return default


# Subscription OAuth tokens that only one backend accepts: provider -> (where they work, what to use).
_OAUTH_ELSEWHERE = {
    "openai": "a ChatGPT/Codex OAuth token works only on the ChatGPT backend, not api.openai.com: "
    "use openai-codex/<model> (clawgate moves the profile with: clawgate auth login openai-codex)",
}


def _expiry_issue(p: Profile, now_ms: int) -> KeyIssue | None:
    """Expired or expiring soon. An OAuth token with a refresh token is renewed before use, so it is fine."""
    if p.expires is None or p.type not in ("oauth", "token"):
        return None
    if p.type == "oauth" and p.refresh_present:
        return None
    if p.expires <= now_ms:
        what = "the token has expired" + (" and has no refresh token" if p.type == "oauth" else "")
        return KeyIssue("auth.oauth_expired", what, fatal=True)
    if p.expires - now_ms < _THREE_DAYS_MS:
        hours = (p.expires - now_ms) / 3_600_000
        return KeyIssue("auth.oauth_expired", f"the token expires in {hours:.0f} h", fatal=False)
    return None


def resolve_credentials(
    provider: ProviderView,
    agent: str,
    main_agent: str,
    env: Environment,
    secrets: SecretResolver,
    stores: Callable[[str], ProfileStore],
    config_order: list[str] | None,
    host: Host | None,
    pin: str | None = None,
    now_ms: int | None = None,
) -> CredentialResolution:
    """Every candidate credential for (provider, agent), in the documented order."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    pid = provider.id
    cands: list[Candidate] = []
    checked: list[str] = []

    def finish(c: Candidate, raw: str | None) -> Candidate:
        if raw is None:
            return c
        checked_key = check_key(raw, pid, provider.preset, host)
        c.issues.extend(checked_key.issues)
        if checked_key.value is not None:
            c._secret = checked_key.value
            c.fingerprint = fingerprint(checked_key.value)
            register_secret(checked_key.value)
            register_secret(raw)
            c.kind = _kind_for(checked_key.value, c.kind)
            c.usable = not any(i.fatal for i in c.issues)
        else:
            c.fingerprint = fingerprint(raw.strip()) if raw.strip() else None
            register_secret(raw)
            c.usable = False
        return c

    def from_profile(
        p: Profile, store: ProfileStore, inherited: str | None, order_from: str | None = None
    ) -> Candidate:
        c = Candidate(
            source=f"profile:{p.id}",
            origin=store.display,
            kind=p.type,
            profile_id=p.id,
            agent=store.agent,
            inherited_from=inherited,
            expires=p.expires,
            profile_path=store.path,
            account_id=p.account_id,
            refreshable=p.type == "oauth" and p.refresh_present,
            order_from=order_from,
        )
        if p.error:
            c.issues.append(KeyIssue("auth.profile_invalid", p.error, fatal=True))
            return c
        raw = p.secret
        if p.secret_ref is not None:
            c.ref = p.secret_ref.describe()
            sv = secrets.resolve(p.secret_ref)
            c.origin = f"{store.display} → {sv.origin}"
            if sv.value is None:
                c.issues.append(
                    KeyIssue("env.unresolved_ref", sv.error or "reference did not resolve", fatal=True)
                )
                return c
            raw = sv.value
        expiry = _expiry_issue(p, now_ms)
        if expiry is not None:
            c.issues.append(expiry)
        if p.type == "oauth" and pid in _OAUTH_ELSEWHERE:
            c.issues.append(KeyIssue("auth.key_provider_mismatch", _OAUTH_ELSEWHERE[pid], fatal=True))
        return finish(c, raw)

    agent_store = stores(agent)
    pin_error: str | None = None

    # 1. explicit pin: that profile of this provider, or nothing
    if pin:
        checked.append(f"profile:{pin} (pinned)")
        store = agent_store
        prof = store.profiles.get(pin)
        inherited = None
        if prof is None and agent != main_agent:
            main_store = stores(main_agent)
            prof = main_store.profiles.get(pin)
            store, inherited = main_store, (main_agent if prof else None)
        if prof is None:
            pin_error = f"there is no profile {pin!r} (agent {agent}, {agent_store.display})"
        elif prof.provider != pid:
            pin_error = f"profile {pin!r} belongs to provider {prof.provider or '?'}, not {pid}"
        if pin_error is not None:
            cands.append(
                Candidate(
                    source=f"profile:{pin}",
                    origin=store.display if prof is not None else agent_store.display,
                    profile_id=pin,
                    issues=[KeyIssue("auth.pin_invalid", pin_error, fatal=True)],
                )
            )
        else:
            assert prof is not None
            cands.append(from_profile(prof, store, inherited))

    # 2. config apiKey
    if provider.api_key is not None:
        source = f"config:models.providers.{pid}.apiKey"
        checked.append(source)
        raw_cfg = provider.api_key
        if isinstance(raw_cfg, SecretRef):
            c = Candidate(source=source, origin="", ref=raw_cfg.describe())
            sv = secrets.resolve(raw_cfg)
            c.origin = sv.origin
            if sv.value is None:
                c.issues.append(
                    KeyIssue("env.unresolved_ref", sv.error or "reference did not resolve", fatal=True)
                )
                cands.append(c)
            else:
                cands.append(finish(c, sv.value))
        else:
            exp = expand(raw_cfg, env)
            one = exp.refs[0] if len(exp.refs) == 1 and raw_cfg.strip() == "${" + exp.refs[0] + "}" else None
            whole = one or env_name_ref(raw_cfg)  # the key is one variable's whole value
            gw_only = gateway_only_candidates(source, env, whole) if whole else None
            if gw_only is not None:
                gw_only[0].ref = raw_cfg
                cands.extend(gw_only)
            elif exp.refs:
                c = Candidate(source=source, origin=", ".join(exp.origins.values()) or "config", ref=raw_cfg)
                if not exp.ok:
                    names = ", ".join(exp.missing)
                    c.origin = "unresolved"
                    c.issues.append(
                        KeyIssue(
                            "env.unresolved_ref",
                            f"${{{exp.missing[0]}}} is not set in clawgate's environment"
                            if len(exp.missing) == 1
                            else f"not set: {names}",
                            fatal=True,
                        )
                    )
                    cands.append(c)
                else:
                    cands.append(finish(c, exp.value))
            elif env_name_ref(raw_cfg):
                # OpenClaw reads a bare variable name as a reference to it (`apiKey: "NVIDIA_API_KEY"`)
                name = env_name_ref(raw_cfg) or ""
                var = env.var(name)
                c = Candidate(source=source, origin="unresolved", ref=name)
                if var is None or var.value == "":
                    c.issues.append(
                        KeyIssue(
                            "env.unresolved_ref",
                            f"{name} (a bare variable name, read as ${{{name}}}) is not set in clawgate's "
                            "environment",
                            fatal=True,
                        )
                    )
                    cands.append(c)
                else:
                    c.origin = var.winner.origin
                    cands.append(finish(c, var.value))
            else:
                cands.append(finish(Candidate(source=source, origin="config file (plaintext)"), raw_cfg))

    # 3. the agent's stored profiles
    checked.append(f"profiles of agent {agent} ({agent_store.display})")
    own = agent_store.ranked(pid, config_order)
    for prof, why in own:
        if pin and prof.id == pin:
            continue
        cands.append(from_profile(prof, agent_store, None, why))

    # 4. the main agent's profiles, when this agent has none for the provider
    if not own and agent != main_agent:
        main_store = stores(main_agent)
        checked.append(f"profiles of main agent {main_agent} ({main_store.display})")
        for prof, why in main_store.ranked(pid, config_order):
            if pin and prof.id == pin:
                continue
            cands.append(from_profile(prof, main_store, main_agent, why))

    # 5. conventional environment variables
    for name in provider.env_vars:
        checked.append(f"env:{name}")
        kind = "token" if name.endswith("OAUTH_TOKEN") else "api_key"
        gw_only = gateway_only_candidates(f"env:{name}", env, name, kind)
        if gw_only is not None:  # each line it beats once (a config `${VAR}` of it listed them already)
            known = {(c.origin, c.fingerprint) for c in cands if not c.usable}
            cands.extend(c for c in gw_only if c.usable or (c.origin, c.fingerprint) not in known)
            continue
        var = env.var(name)
        if var is None or var.value == "":
            continue
        c = Candidate(source=f"env:{name}", origin=var.winner.origin, kind=kind)
        cands.append(finish(c, var.value))

    # mark duplicates (same key reached by two routes) so they are not reported as conflicts
    first_by_fp: dict[str, str] = {}
    for c in cands:
        if c.fingerprint and c.usable:
            if c.fingerprint in first_by_fp:
                c.duplicate_of = first_by_fp[c.fingerprint]
            else:
                first_by_fp[c.fingerprint] = c.source
    return CredentialResolution(
        provider=pid,
        agent=agent,
        candidates=cands,
        checked=checked,
        optional=provider.auth_optional,
        pinned=pin,
        pin_error=pin_error,
    )
