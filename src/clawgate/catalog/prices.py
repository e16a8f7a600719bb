"""Model prices (`models.providers.<id>.models[].cost`, USD per million tokens — OpenClaw's unit) and the cost
of one try from its usage.

    cost_usd = ( (input_tokens − cache_read − cache_write) × input
               + cache_read × cacheRead + cache_write × cacheWrite
               + output_tokens × output ) / 1 000 000

`input_tokens` is the whole prompt (clawgate's usage counts cache reads and writes in it, as Anthropic's
`cache_read_input_tokens` / `cache_creation_input_tokens` are added), so the uncached part is what remains. A
cache price the config does not set is the input price: a cost is never under-counted because a price was left
out. A model without `cost` has no price: its tries cost `None` (unknown), never 0."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PER_TOKENS = 1_000_000


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float
    cache_read: float
    cache_write: float

    @classmethod
    def from_config(cls, cost: Any) -> Price:
        """From a `ModelCost` (cacheRead / cacheWrite default to the input price when not set)."""
        given: set[str] = set(getattr(cost, "model_fields_set", ()))
        return cls(
            input=float(cost.input),
            output=float(cost.output),
            cache_read=float(cost.cache_read if "cache_read" in given else cost.input),
            cache_write=float(cost.cache_write if "cache_write" in given else cost.input),
        )

    def cost_usd(
        self,
        input_tokens: int | None,
        output_tokens: int | None,
        cache_read: int | None,
        cache_write: int | None,
    ) -> float:
        cr = cache_read or 0
        cw = cache_write or 0
        uncached = max(0, (input_tokens or 0) - cr - cw)
        return (
            uncached * self.input
            + cr * self.cache_read
            + cw * self.cache_write
            + (output_tokens or 0) * self.output
        ) / PER_TOKENS

    def to_json(self) -> dict[str, float]:
        return {
            "input": self.input,
            "output": self.output,
            "cacheRead": self.cache_read,
            "cacheWrite": self.cache_write,
        }
