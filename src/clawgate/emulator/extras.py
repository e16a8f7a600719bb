"""The emulator's auxiliary endpoints: token counting (Anthropic `count_tokens`, OpenAI `input_tokens`) and
embeddings, deterministic like every emulated reply."""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any

from .reply import build_reply


def count_tokens(dialect: str, data: dict[str, Any]) -> int:
    """The prompt's tokens as the emulated model counts them (about four characters each)."""
    endpoint = "responses" if "input" in data else "messages"
    return build_reply(dialect, endpoint, data, "", 1).prompt_tokens


def _vector(text: str, dims: int) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    while len(digest) < dims:
        digest += hashlib.sha256(digest).digest()
    return [round(b / 127.5 - 1.0, 6) for b in digest[:dims]]


def embeddings(data: dict[str, Any]) -> tuple[list[Any], int]:
    """(one vector per input — base64 float32 when `encoding_format` is "base64" — , prompt tokens)."""
    raw = data.get("input")
    inputs = raw if isinstance(raw, list) else [raw]
    dims = data.get("dimensions")
    dims = dims if isinstance(dims, int) and 0 < dims <= 4096 else 8
    texts = [
        x if isinstance(x, str) else " ".join(map(str, x)) if isinstance(x, list) else str(x) for x in inputs
    ]
    vectors: list[Any] = [_vector(t, dims) for t in texts]
    if data.get("encoding_format") == "base64":
        vectors = [base64.b64encode(struct.pack(f"<{dims}f", *v)).decode() for v in vectors]
    tokens = max(1, sum((len(t) + 3) // 4 for t in texts))
    return vectors, tokens
