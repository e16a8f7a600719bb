"""The one error an OAuth exchange raises: which provider, which endpoint, and the provider's own words."""

from __future__ import annotations

from clawgate.errors import ClawgateError


class OAuthError(ClawgateError):
    """A token endpoint refused (or could not be reached). `provider_message` is what the provider said."""

    owner = "provider_auth"
    code = "auth.oauth_refresh_failed"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        provider_message: str | None = None,
        next_steps: list[str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code or self.code, next_steps=next_steps or ())
        self.provider = provider
        self.status = status
        self.provider_message = provider_message
