"""The base of every config object (`Strict`: camelCase keys, unknown keys rejected) and the secret inputs the
config's sections share (`SecretRef`, `SecretInput`); `schema` and the sections kept in modules of their own
(`observability`) build on them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Strict(BaseModel):
    """Base for every config object: camelCase keys, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=to_camel, frozen=False)


class SecretRef(Strict):
    """A pointer to a secret kept outside the config: `{source: env|file|exec, provider, id}`."""

    source: Literal["env", "file", "exec"]
    provider: str = "default"
    id: str

    def describe(self) -> str:
        return f"{self.source}:{self.provider}:{self.id}"


SecretInput = str | SecretRef
