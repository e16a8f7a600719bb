"""Read the claims of a JWT access or id token (no signature check: clawgate only reads what the provider
put there for its clients, such as the ChatGPT account id and plan, and the expiry)."""

from __future__ import annotations

import base64
import json
from typing import Any

CHATGPT_AUTH_CLAIM = "https://api.openai.com/auth"


def claims(token: str | None) -> dict[str, Any]:
    """The payload of a JWT, or {} when `token` is not one."""
    if not token or token.count(".") != 2:
        return {}
    payload = token.split(".")[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def chatgpt_identity(*tokens: str | None) -> dict[str, str]:
    """`accountId`, `chatgptPlanType` and `email` from the first token that carries them."""
    out: dict[str, str] = {}
    for tok in tokens:
        c = claims(tok)
        auth = c.get(CHATGPT_AUTH_CLAIM)
        if isinstance(auth, dict):
            if isinstance(auth.get("chatgpt_account_id"), str) and "accountId" not in out:
                out["accountId"] = auth["chatgpt_account_id"]
            if isinstance(auth.get("chatgpt_plan_type"), str) and "chatgptPlanType" not in out:
                out["chatgptPlanType"] = auth["chatgpt_plan_type"]
        email = c.get("email") or (c.get("https://api.openai.com/profile") or {}).get("email")
        if isinstance(email, str) and "email" not in out:
            out["email"] = email
    return out


def expiry_ms(token: str | None) -> int | None:
    exp = claims(token).get("exp")
    return int(exp * 1000) if isinstance(exp, (int, float)) else None
