"""A configured provider header that carries the credential (`Authorization`; `x-api-key` on Anthropic
Messages): refused by config validation, since it would replace the key clawgate resolves and a rejection would
be blamed on a key that was never sent — unless the provider says `auth: "none"` (clawgate manages no
credential for it), where the header is the credential, sent as written and named as such."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from clawgate.envsteps import set_var
from clawgate.errors import ConfigError, Location

if TYPE_CHECKING:
    from clawgate.catalog.providers import ProviderView


def auth_header_names(apis: Iterable[str | None]) -> frozenset[str]:
    """The header names (lowercase) a credential is sent in on these APIs (see `call.wire.auth_headers`)."""
    names = {"authorization"}
    if "anthropic-messages" in apis:
        names.add("x-api-key")
    return frozenset(names)


def credential_header(view: ProviderView) -> tuple[str, str] | None:
    """(header name, the config key it was set at) of a configured header carrying `view`'s credential."""
    names = auth_header_names([view.api.value, *(m.info.api for m in view.models.values())])
    for name, valued in view.headers.items():
        if name in names and valued.source.startswith("config:"):
            return name, valued.source.removeprefix("config:")
    return None


def check_credential_headers(cfg: Any, filename: str, text: str | None) -> None:
    """Raise ConfigError for the first configured header that would replace a provider's resolved credential."""
    from clawgate.catalog.presets import PRESETS_BY_ID, key_variables
    from clawgate.config.json5io import locate_key

    for pid, pc in cfg.models.providers.items():
        if pc.auth == "none" or not pc.headers:
            continue
        preset = PRESETS_BY_ID.get(pid)
        apis = [pc.api or (preset.api if preset else "openai-completions")]
        apis += [m.api for m in pc.models or ()] + [m.api for m in (preset.models if preset else ())]
        names = auth_header_names(apis)
        header = next((h for h in pc.headers if h.lower() in names), None)
        if header is None:
            continue
        key = f"models.providers.{pid}.headers.{header}"
        var = key_variables(pid)[0]
        line = locate_key(text, ["models", "providers", pid, "headers", header]) if text else None
        raise ConfigError(
            f"this header would replace the credential clawgate sends to {pid} (its key from {var} or an auth "
            "profile), and a rejection would be blamed on that key; keep the key in the .env or an auth profile "
            "instead",
            location=Location(file=filename, line=line, key=key),
            next_steps=[
                f"clawgate config unset {key}",
                set_var(var),
                f"clawgate auth add {pid}",
            ],
            hint=f'if {pid} authenticates by this header alone, set models.providers.{pid}.auth to "none"',
        )
