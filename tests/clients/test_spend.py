"""Done-when 3: spend for a scripted emulator run equals the hand-computed cost of its tokens, cache reads and
writes included — by key, by model and in total, from `clawgate spend`, the control UI and the store.

The emulator counts tokens as ceil(characters / 4) (emulator/reply.py) and bills prompt caching the way the
providers do (emulator/prompt_cache.py). Prices are USD per million tokens (conftest.GPT_PRICE, CLAUDE_PRICE):

    cost = (uncached input × input + cache read × cacheRead + cache write × cacheWrite + output × output) / 1e6
"""

from __future__ import annotations

import math
from typing import Any

import anthropic
import httpx
import openai
from tests.support.ports import wait_until
from tests.support.timing import limit

from .conftest import CLAUDE_PRICE, GPT_PRICE, TOKEN, Gw

SYSTEM = "s" * 5000  # 1250 tokens: over Anthropic's 1024-token minimum, so it is cached
LONG = "x" * 4200


def tokens(chars: int) -> int:
    return math.ceil(chars / 4)


def cost(price: dict[str, float], uncached: int, read: int, write: int, out: int) -> float:
    return (
        uncached * price["input"]
        + read * price["cacheRead"]
        + write * price["cacheWrite"]
        + out * price["output"]
    ) / 1e6


def test_spend_of_a_scripted_run_equals_its_hand_computed_cost(make_gw: Any, emu: Any) -> None:
    gw: Gw = make_gw()
    key = gw.create_key("billing-test")
    ant = anthropic.Anthropic(base_url=gw.url, api_key=key, max_retries=0, timeout=limit(20))
    oai = openai.OpenAI(base_url=gw.url + "/v1", api_key=key, max_retries=0, timeout=limit(20))
    system = [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}]
    ask = [{"role": "user", "content": "echo: ok"}]

    # 1-3: Anthropic, the same cached system prompt three times: written once, then read (the third streamed)
    r1 = ant.messages.create(model="anthropic/claude-sonnet-4-5", max_tokens=16, system=system, messages=ask)
    r2 = ant.messages.create(model="anthropic/claude-sonnet-4-5", max_tokens=16, system=system, messages=ask)
    with ant.messages.stream(
        model="anthropic/claude-sonnet-4-5", max_tokens=16, system=system, messages=ask
    ) as s:
        r3 = s.get_final_message()
    # prompt: 5000 + 8 characters = 1252 tokens, 1250 of them the cached system block; reply "ok": 1 token
    assert (
        r1.usage.cache_creation_input_tokens,
        r1.usage.cache_read_input_tokens,
        r1.usage.input_tokens,
    ) == (1250, 0, 2)
    assert (
        r2.usage.cache_creation_input_tokens,
        r2.usage.cache_read_input_tokens,
        r2.usage.input_tokens,
    ) == (0, 1250, 2)
    assert (r3.usage.cache_read_input_tokens, r3.usage.output_tokens) == (1250, 1)
    claude = (
        cost(CLAUDE_PRICE, 2, 0, 1250, 1)  # (2 × 3 + 1250 × 3.75 + 1 × 15) / 1e6 = 4708.5e-6
        + cost(CLAUDE_PRICE, 2, 1250, 0, 1)  # (2 × 3 + 1250 × 0.3 + 1 × 15) / 1e6 = 396e-6
        + cost(CLAUDE_PRICE, 2, 1250, 0, 1)  # the streamed one: 396e-6
    )
    assert math.isclose(claude, 5500.5e-6)

    # 4: OpenAI, a long conversation — and a 500 first, retried in place: the failed try costs nothing
    emu.add_fault("server_error", dialect="openai", times=1)
    turn1 = [
        {"role": "user", "content": LONG},
        {"role": "assistant", "content": "noted"},
        {"role": "user", "content": "echo: ok"},
    ]
    c1 = oai.chat.completions.create(model="openai/gpt-4o", messages=turn1)
    # 5: the same conversation one turn later: its first three messages (1054 tokens) are read from the cache,
    # in 128-token steps: 1024 cached
    turn2 = [*turn1, {"role": "assistant", "content": "ok"}, {"role": "user", "content": "echo: ok"}]
    c2 = oai.chat.completions.create(model="openai/gpt-4o", messages=turn2)
    assert (c1.usage.prompt_tokens, c1.usage.completion_tokens) == (tokens(4200 + 5 + 8), 1) == (1054, 1)
    assert c1.usage.prompt_tokens_details.cached_tokens == 0
    assert (
        (c2.usage.prompt_tokens, c2.usage.prompt_tokens_details.cached_tokens)
        == (tokens(4223), 1024)
        == (1056, 1024)
    )
    gpt = (
        cost(GPT_PRICE, 1054, 0, 0, 1)  # (1054 × 2.5 + 1 × 10) / 1e6 = 2645e-6
        + cost(GPT_PRICE, 1056 - 1024, 1024, 0, 1)  # (32 × 2.5 + 1024 × 1.25 + 1 × 10) / 1e6 = 1370e-6
    )
    assert math.isclose(gpt, 4015e-6)
    expected = claude + gpt  # 9515.5e-6 USD

    # the owner's own call is spend too, but not the key's
    owner = openai.OpenAI(base_url=gw.url + "/v1", api_key=TOKEN, max_retries=0, timeout=limit(20))
    owner.chat.completions.create(model="openai/gpt-4o", messages=[{"role": "user", "content": "echo: ok"}])
    owner_cost = cost(GPT_PRICE, tokens(8), 0, 0, 1)  # (2 × 2.5 + 1 × 10) / 1e6 = 15e-6

    def by_key() -> dict[str, Any]:
        rows = gw.cli("spend", "--by", "key", "--json")["rows"]
        return {r["client_name"]: r for r in rows}

    # the attempts are written by the store's writer a moment after the answers
    wait_until(
        lambda: by_key().get("billing-test", {}).get("tries") == 6, 15, what="the attempts in the store"
    )
    rows = by_key()
    mine = rows["billing-test"]
    assert math.isclose(mine["cost_usd"], expected, rel_tol=1e-9), (mine, expected)
    assert mine["tries"] == 6  # five answered, and the one 500
    assert (mine["cache_read_tokens"], mine["cache_write_tokens"]) == (1250 + 1250 + 1024, 1250)
    assert math.isclose(rows["owner"]["cost_usd"], owner_cost, rel_tol=1e-9)

    models = {
        f"{r['provider']}/{r['model']}": r["cost_usd"]
        for r in gw.cli("spend", "--by", "model", "--json")["rows"]
    }
    assert math.isclose(models["anthropic/claude-sonnet-4-5"], claude, rel_tol=1e-9)
    assert math.isclose(models["openai/gpt-4o"], gpt + owner_cost, rel_tol=1e-9)
    total = gw.cli("spend", "--by", "day", "--json")["total_usd"]
    assert math.isclose(total, expected + owner_cost, rel_tol=1e-6)

    # the control UI reads the same numbers
    ui = httpx.get(
        gw.url + "/api/ui/spend?by=key,model", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=limit(10)
    ).json()
    ui_key = sum(r["cost_usd"] for r in ui["rows"] if r.get("client_name") == "billing-test")
    assert math.isclose(ui_key, expected, rel_tol=1e-9)

    # and `clawgate status`: today's spend by key, agent and model
    status = gw.cli("status", "--json")["spend"]
    assert math.isclose(status["today_usd"], expected + owner_cost, rel_tol=1e-6), status
    by_key_today = {r["client_name"]: r["cost_usd"] for r in status["today"]["by_key"]}
    assert math.isclose(by_key_today["billing-test"], expected, rel_tol=1e-9)
    assert {r["agent"] for r in status["today"]["by_agent"]} == {"main"}
    assert status["clients"] == {"keys": 1, "devices": 0, "pending_devices": 0}
    text = gw.cli("status")
    assert "spend     today $0.0095" in text and "billing-test" in text, text

    # and /metrics: clawgate_spend_usd_total by who asked and model (the same prices, counted as each try ended)
    from prometheus_client.parser import text_string_to_metric_families

    body = httpx.get(
        gw.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=limit(10)
    ).text
    spent: dict[tuple[str, str], float] = {}
    for fam in text_string_to_metric_families(body):
        for s in fam.samples:
            if s.name == "clawgate_spend_usd_total":
                k = (s.labels["clawgate_client"], s.labels["gen_ai_request_model"])
                spent[k] = spent.get(k, 0.0) + s.value
    assert math.isclose(spent[("billing-test", "claude-sonnet-4-5")], claude, rel_tol=1e-9), spent
    assert math.isclose(spent[("billing-test", "gpt-4o")], gpt, rel_tol=1e-9), spent
    assert math.isclose(spent[("owner", "gpt-4o")], owner_cost, rel_tol=1e-9), spent
