"""OAuth subscriptions as credentials: the providers' endpoints, token refresh before expiry (one refresh at a
time across threads and processes, written atomically), GitHub Copilot's token exchange, and the login flows
(`clawgate auth login PROVIDER`: PKCE with a loopback callback or a pasted code, or a device code)."""

from clawgate.auth.oauth.errors import OAuthError
from clawgate.auth.oauth.specs import OAUTH_PROVIDERS, OAuthSpec, spec_for

__all__ = ["OAUTH_PROVIDERS", "OAuthError", "OAuthSpec", "spec_for"]
