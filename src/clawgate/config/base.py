"""The base of every config object: camelCase keys (OpenClaw's names), unknown keys rejected."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Strict(BaseModel):
    """Base for every config object: camelCase keys, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=to_camel, frozen=False)
