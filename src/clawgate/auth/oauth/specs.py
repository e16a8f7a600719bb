"""Each OAuth provider's published endpoints and client, and how a config's `models.providers.<id>.oauth`
overrides them (tests point them at the emulator; a proxy may front them).

Facts: OpenAI's Codex sign-in (PKCE on auth.openai.com, loopback callback on port 1455, form-encoded token
requests); Anthropic's Claude sign-in (PKCE on claude.ai with a pasted `code#state`, JSON token requests on
console.anthropic.com); GitHub's device flow for Copilot (github.com/login/device) and the Copilot token
exchange (api.github.com/copilot_internal/v2/token)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from clawgate.config.schema import OAuthEndpoints


@dataclass(frozen=True)
class OAuthSpec:
    provider: str
    name: str
    flow: Literal["pkce", "device"]
    client_id: str
    token_url: str
    token_body: Literal["form", "json"] = "form"
    authorize_url: str | None = None
    redirect_uri: str | None = None
    scope: str | None = None
    device_code_url: str | None = None
    exchange_url: str | None = None  # Copilot: GitHub token -> API token
    authorize_extra: tuple[tuple[str, str], ...] = ()
    paste_code: bool = False  # the redirect lands on the provider's page, which shows a code to paste


OAUTH_PROVIDERS: dict[str, OAuthSpec] = {
    "openai-codex": OAuthSpec(
        provider="openai-codex",
        name="ChatGPT (OpenAI Codex)",
        flow="pkce",
        client_id="app_EMoamEEZ73f0CkXaXp7hrann",
        token_url="https://auth.openai.com/oauth/token",
        authorize_url="https://auth.openai.com/oauth/authorize",
        redirect_uri="http://localhost:1455/auth/callback",
        scope="openid profile email offline_access",
        authorize_extra=(
            ("id_token_add_organizations", "true"),
            ("codex_cli_simplified_flow", "true"),
            ("originator", "clawgate"),
        ),
    ),
    "anthropic": OAuthSpec(
        provider="anthropic",
        name="Claude (Anthropic Pro/Max)",
        flow="pkce",
        client_id="9d1c250a-e61b-44d9-88ed-5944d1962f5e",
        token_url="https://console.anthropic.com/v1/oauth/token",
        token_body="json",
        authorize_url="https://claude.ai/oauth/authorize",
        redirect_uri="https://console.anthropic.com/oauth/code/callback",
        scope="org:create_api_key user:profile user:inference",
        authorize_extra=(("code", "true"),),
        paste_code=True,
    ),
    "github-copilot": OAuthSpec(
        provider="github-copilot",
        name="GitHub Copilot",
        flow="device",
        client_id="Iv1.b507a08c87ecfe98",
        token_url="https://github.com/login/oauth/access_token",
        device_code_url="https://github.com/login/device/code",
        exchange_url="https://api.github.com/copilot_internal/v2/token",
        scope="read:user",
    ),
}


def spec_for(provider: str, overrides: OAuthEndpoints | None = None) -> OAuthSpec | None:
    """The provider's spec with `models.providers.<id>.oauth` applied; None when it has no OAuth."""
    spec = OAUTH_PROVIDERS.get(provider)
    if spec is None or overrides is None:
        return spec
    changes: dict[str, str] = {
        name: value
        for name, value in (
            ("token_url", overrides.token_url),
            ("authorize_url", overrides.authorize_url),
            ("device_code_url", overrides.device_code_url),
            ("exchange_url", overrides.exchange_url),
            ("redirect_uri", overrides.redirect_uri),
            ("client_id", overrides.client_id),
            ("scope", overrides.scope),
        )
        if value
    }
    return replace(spec, **changes) if changes else spec  # type: ignore[arg-type]
