"""A rejection is a verdict about (credential, endpoint): after the provider's base URL changes, the verdict
recorded on the old one does not block the new one — in the same runtime and in a new process (the record's
endpoint is kept in state.db) — while a record without an endpoint (written before it was kept) still applies."""

from __future__ import annotations

import asyncio

from tests.calls.conftest import BY_ID, chat, runtime

from clawgate.call.health import HealthRegistry, endpoint_of
from clawgate.call.health_shared import _decode, _encode
from clawgate.failures import Failure
from clawgate.store.base import HealthRecord


def _qwen_home(home, base_url: str) -> None:
    home.config(
        {
            "models": {"providers": {"qwen": {"baseUrl": base_url}}},
            "agents": {"defaults": {"model": "qwen/qwen-plus"}},
        }
    )


def test_a_rejection_on_the_old_base_url_does_not_block_the_new_one(home, emu):
    p = BY_ID["qwen"]
    cn, intl = emu.base_url("dashscope", "cn"), emu.base_url("dashscope", "intl")
    _qwen_home(home, cn)
    home.dotenv(f"DASHSCOPE_API_KEY={p.key}\n")  # an intl key on the cn host
    rt = runtime(home, persist=True)

    async def one(r):
        return await r.run(r.plan(), chat())

    try:
        first = asyncio.run(one(rt))
        assert first.failure.code in ("auth.rejected", "auth.region_mismatch") and len(emu.requests) == 1
        again = asyncio.run(one(rt))  # the same endpoint: still refused without a request
        assert not again.ok and "earlier" in again.failure.message and len(emu.requests) == 1
        (rec,) = rt.health.records()
        assert rec.endpoint == endpoint_of(cn)
        _qwen_home(home, intl)  # the user fixes the base URL
        assert rt.refresh() is True
        fixed = asyncio.run(one(rt))
        assert fixed.ok, fixed.failure
        assert len(emu.requests) == 2 and emu.requests[-1].status == 200
        assert rt.health.records() == []  # the success on the new endpoint cleared the old verdict
    finally:
        rt.close()


def test_a_new_process_reads_the_endpoint_back_from_state_db(home, emu):
    p = BY_ID["qwen"]
    cn, intl = emu.base_url("dashscope", "cn"), emu.base_url("dashscope", "intl")
    _qwen_home(home, cn)
    home.dotenv(f"DASHSCOPE_API_KEY={p.key}\n")
    rt = runtime(home, persist=True)
    try:
        assert not asyncio.run(rt.run(rt.plan(), chat())).ok
    finally:
        rt.close()
    _qwen_home(home, intl)
    rt = runtime(home, persist=True)  # like the next `clawgate infer`
    try:
        (rec,) = rt.health.records()
        assert rec.endpoint == endpoint_of(cn) and rec.state == "rejected"
        assert asyncio.run(rt.run(rt.plan(), chat())).ok
        assert len(emu.requests) == 2
    finally:
        rt.close()


def _rejected() -> Failure:
    return Failure(
        owner="provider_auth", code="auth.rejected", message="bad key", provider="qwen", status=401
    )


def test_the_verdict_compares_endpoints_and_an_old_record_without_one_still_applies():
    reg = HealthRegistry()
    a, b = "https://a.example/v1", "https://b.example/v1"
    reg.on_failure(_rejected(), "fp1", "m", "env:K", endpoint=a)
    assert not reg.verdict("qwen", "fp1", "m", a).allowed
    assert not reg.verdict("qwen", "fp1", "m", a + "/").allowed  # the same endpoint, spelled differently
    other = reg.verdict("qwen", "fp1", "m", b)
    assert other.allowed and other.record is None and reg.get("qwen", "fp1", "m", b) is None
    assert len(reg.records()) == 1  # the old verdict is still listed (`health list`), on its endpoint
    assert not reg.verdict("qwen", "fp1", "m").allowed  # a caller that names no endpoint: it applies
    # a failure on the new endpoint starts a new record there (its own first failure and count)
    rec = reg.on_failure(_rejected(), "fp1", "m", "env:K", endpoint=b)
    assert rec is not None and rec.endpoint == endpoint_of(b) and rec.count == 1
    assert not reg.verdict("qwen", "fp1", "m", b).allowed
    # a record written before endpoints were kept (no field): applies to every endpoint
    old = HealthRecord(provider="qwen", fingerprint="fp2", model="*", state="rejected", until=4e9, count=1)
    reg.apply(old)
    assert not reg.verdict("qwen", "fp2", "m", b).allowed


def test_shared_records_with_and_without_the_endpoint_decode():
    rec = HealthRecord(
        provider="qwen", fingerprint="fp", model="*", state="rejected", endpoint="https://a/v1"
    )
    assert _decode(_encode(rec)) == rec
    old = '{"provider": "qwen", "fingerprint": "fp", "model": "*", "state": "rejected", "count": 1}'
    got = _decode(old)
    assert got is not None and got.endpoint is None
    newer = old[:-1] + ', "field_from_a_later_version": 1}'
    assert _decode(newer) is not None  # a record from a later version still applies here


def test_endpoint_of_drops_userinfo_query_and_the_trailing_slash():
    assert endpoint_of("https://user:pw@Host.example:8443/v1/?key=1#f") == "https://host.example:8443/v1"
    assert endpoint_of(None) is None
