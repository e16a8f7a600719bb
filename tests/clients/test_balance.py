"""Several credentials of one provider: the one order a call tries them in (`auth/resolve.order_for_call`) —
balanced (weighted, least-busy), a credential whose own rate-limit headers say it is nearly spent routed around
before it answers 429, and a credential's own RPM window (`models.providers.<id>.limits`) on the shared state."""

from __future__ import annotations

import random
import time
from collections import Counter
from typing import Any

import openai
from tests.support.timing import limit

from clawgate.auth.resolve import Candidate, order_for_call
from clawgate.catalog.providers import build_catalog
from clawgate.config.schema import Config

from .conftest import OPENAI_KEY, OPENAI_KEY_2, TOKEN, Gw

KEY_A = OPENAI_KEY  # config apiKey: first in the resolution order
KEY_B = OPENAI_KEY_2  # OPENAI_API_KEY (env): second


def _two_keys(balance: str | None = None, **openai: Any) -> Any:
    def edit(cfg: dict[str, Any]) -> None:
        p = cfg["models"]["providers"]["openai"]
        p["apiKey"] = "${OPENAI_KEY_A}"
        if balance:
            p["balance"] = balance
        p.update(openai)

    return edit


def _env() -> str:
    # the conftest's .env sets OPENAI_API_KEY=KEY_A; a later line wins (dotenv): B is the env key
    return f"OPENAI_KEY_A={KEY_A}\nOPENAI_API_KEY={KEY_B}\n"


def _client(gw: Gw) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key=TOKEN, max_retries=0, timeout=limit(20))


def _chat(gw: Gw) -> None:
    _client(gw).chat.completions.create(model="openai/gpt-4o", messages=[{"role": "user", "content": "hi"}])


def _keys_used(emu: Any) -> list[str]:
    return [r.key for r in emu.requests if r.endpoint == "chat"]


def test_a_credential_near_its_limit_is_routed_around_before_it_answers_429(make_gw: Any, emu: Any) -> None:
    gw = make_gw(edit=_two_keys(), env=_env())
    # key A answers normally, but its headers say its request window is spent for the next 30 s
    emu.add_fault(
        "none",
        key=KEY_A,
        times=1,
        headers={
            "x-ratelimit-limit-requests": "500",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "30s",
        },
    )
    _chat(gw)
    for _ in range(3):
        _chat(gw)
    assert _keys_used(emu) == [KEY_A, KEY_B, KEY_B, KEY_B]  # A was never asked again: no 429 to wait for
    assert not [r for r in emu.requests if r.status == 429]
    near = gw.status()["clients"]["near_limit"]
    assert [(n["provider"], n["what"]) for n in near] == [("openai", "0 request(s) left of 500")], near


def test_anthropic_headers_are_read_too(make_gw: Any, emu: Any) -> None:
    from clawgate.clients.pressure import read

    now = 1_700_000_000.0
    got = read(
        {
            "anthropic-ratelimit-tokens-limit": "80000",
            "anthropic-ratelimit-tokens-remaining": "500",
            "anthropic-ratelimit-tokens-reset": "2023-11-14T22:14:20Z",
        },
        now,
    )
    assert got == ("500 token(s) left of 80000", 1_700_000_060.0)
    assert (
        read({"x-ratelimit-remaining-requests": "9999", "x-ratelimit-limit-requests": "10000"}, now) is None
    )


def test_weighted_balance_spreads_calls_by_weight(make_gw: Any, emu: Any) -> None:
    gw = make_gw(
        edit=_two_keys("weighted", credentials={"config:models.providers.openai.apiKey": {"weight": 3}}),
        env=_env(),
    )
    for _ in range(200):
        _chat(gw)
    used = Counter(_keys_used(emu))
    # 3 : 1 — 150 expected for A; 120..180 is ±4.9 standard deviations
    assert 120 <= used[KEY_A] <= 180 and used[KEY_A] + used[KEY_B] == 200, used


def test_a_credentials_own_rpm_window_moves_calls_to_the_next_key_then_refuses(
    make_gw: Any, emu: Any
) -> None:
    gw = make_gw(edit=_two_keys(limits={"rpm": 20}), env=_env(), limits={"windowSeconds": 30})
    # 20 per minute: 10 per 30 s window, for each key on its own. The windows are aligned to the clock: start
    # the 25 calls with at least 8 s of a window left, so that it does not turn over midway (polled, bounded)
    deadline = time.monotonic() + 35
    while 30 - time.time() % 30 < 8:
        assert time.monotonic() < deadline, "the clock's 30 s window never turned over"
        time.sleep(0.05)
    window = int(time.time() // 30)
    codes: list[int] = []
    for _ in range(25):
        try:
            _chat(gw)
            codes.append(200)
        except openai.RateLimitError as exc:
            codes.append(429)
            last = exc
    used = Counter(_keys_used(emu))
    if int(time.time() // 30) == window:
        assert (used[KEY_A], used[KEY_B]) == (10, 10), used  # A's 10, then B's 10, then refused
    else:  # (25 calls took more than 8 s: a new window gave each key up to 10 more)
        assert used[KEY_A] <= 20 and used[KEY_B] <= 20 and used[KEY_A] >= 10, used
    assert codes.count(200) == used[KEY_A] + used[KEY_B]
    assert last.response.headers["x-clawgate-code"] == "rate_limit.credential_limit"
    assert last.response.headers["x-clawgate-owner"] == "rate_limit"
    assert last.response.headers["x-should-retry"] == "true" and "retry-after" in last.response.headers
    assert "models.providers.openai.limits.rpm" in str(last)
    # nothing was sent for the refused calls, and no key cooled down: a local window is not a provider's 429
    assert not [r for r in emu.requests if r.status == 429]
    assert gw.status()["health"] == []


def _cands(*sources: str) -> list[Candidate]:
    return [Candidate(source=s, origin="test", fingerprint=f"fp-{s}", usable=True) for s in sources]


def test_the_order_for_a_call_keeps_resolution_order_then_health_and_pressure() -> None:
    a, b, c = _cands("env:A", "env:B", "env:C")
    view = build_catalog(Config()).get("openai")
    # order: as resolved; near its limit after the ready ones (soonest reset first); refused by health last
    near = {"env:A": 50.0, "env:B": 20.0}
    got = order_for_call([a, b, c], view, lambda x: False, lambda x: near.get(x.source))
    assert [x.source for x in got] == ["env:C", "env:B", "env:A"]
    got = order_for_call([a, b, c], view, lambda x: x.source == "env:A", lambda x: None)
    assert [x.source for x in got] == ["env:B", "env:C", "env:A"]


def test_least_busy_puts_the_key_with_fewest_tries_in_flight_first() -> None:
    a, b, c = _cands("env:A", "env:B", "env:C")
    cfg = Config.model_validate({"models": {"providers": {"openai": {"balance": "least-busy"}}}})
    view = build_catalog(cfg).get("openai")
    busy = {"env:A": 3, "env:B": 0, "env:C": 1}
    got = order_for_call([a, b, c], view, lambda x: False, busy=lambda x: busy[x.source])
    assert [x.source for x in got] == ["env:B", "env:C", "env:A"]
    # ties keep the resolution order
    got = order_for_call([a, b, c], view, lambda x: False, busy=lambda x: 0)
    assert [x.source for x in got] == ["env:A", "env:B", "env:C"]


def test_weighted_order_is_drawn_by_weight() -> None:
    a, b = _cands("env:A", "env:B")
    cfg = Config.model_validate(
        {
            "models": {
                "providers": {"openai": {"balance": "weighted", "credentials": {"env:B": {"weight": 9}}}}
            }
        }
    )
    view = build_catalog(cfg).get("openai")
    rng = random.Random(7)
    first = Counter(order_for_call([a, b], view, lambda x: False, rng=rng)[0].source for _ in range(2000))
    assert 1700 <= first["env:B"] <= 1900, first  # 90 %: 1800 ± 6.7 sd
