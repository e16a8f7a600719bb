"""Chat surfaces' shared pieces: an async client for the gateway's sessions API and `/ws` (docs/sessions-api.md),
where to find the gateway and its token, and the text every surface shows (errors, footer, plans).

`clawgate chat` (line mode, `chat.line`) and `clawgate tui` (`clawgate.tui`) both use it; neither calls a
provider itself.
"""

from clawgate.chat.client import ChatError, GatewayClient, WsConnection
from clawgate.chat.target import Target, resolve_target

__all__ = ["ChatError", "GatewayClient", "Target", "WsConnection", "resolve_target"]
