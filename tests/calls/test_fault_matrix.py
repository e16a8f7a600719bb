"""The fault matrix (issue 3, item 7): every scripted fault × stream/non-stream × every dialect lands on the
expected owner and code — through the real executor, over HTTP, against the emulator.

The two faults that must end in the provider's timeout (`hang`, `slow_first_byte`) get one derived from a normal
call through the same path, timed just before (`timing.timeout_for`); every other case gets a generous one, so a
busy machine cannot turn an answer into a timeout."""

from __future__ import annotations

import pytest
from tests.calls.conftest import PROVIDERS, call, chat, runtime, wire_home
from tests.support.timing import limit, stopwatch, timeout_for

OK = ("ok", None)
EXPECTED = {
    "missing_key": ("provider_auth", "auth.rejected"),
    "wrong_key": ("provider_auth", "auth.rejected"),
    "billing": ("provider_access", "access.billing"),
    "forbidden": ("provider_access", "access.forbidden"),
    "rate_limit": ("rate_limit", "rate_limit.exceeded"),
    "overloaded": ("upstream", "upstream.overloaded"),
    "server_error": ("upstream", "upstream.server_error"),
    "unknown_model": ("request", "model.unknown"),
    "context_length": ("context", "context.exceeded"),
    "inband_error": ("upstream", "upstream.stream_error"),
    "cut_mid_stream": ("upstream", "upstream.stream_cut"),
    "hang": ("network", "network.timeout"),
    "slow_first_byte": ("network", "network.timeout"),
    "keepalive": OK,
    "extra_done": OK,
    "no_done": OK,
}
# (provider, fault, stream or None for both) -> expectation, where a dialect's own semantics differ
OVERRIDES = {
    ("groq", "billing", None): ("provider_access", "access.forbidden"),  # "Organization has been restricted"
    ("anthropic", "inband_error", None): ("upstream", "upstream.overloaded"),  # event: error overloaded_error
    ("openrouter", "inband_error", True): ("rate_limit", "rate_limit.exceeded"),  # in-band code 429
    # its 429 is `free-models-per-day`: a daily quota, not a limit that waiting seconds fixes
    ("openrouter", "rate_limit", None): ("rate_limit", "rate_limit.quota"),
}
TIMEOUT_FAULTS = frozenset({"hang", "slow_first_byte"})
CASES = [(p, fault, stream) for p in PROVIDERS for fault in EXPECTED for stream in (False, True)]


def _expected(pid: str, fault: str, stream: bool) -> tuple[str, str | None]:
    return OVERRIDES.get((pid, fault, stream)) or OVERRIDES.get((pid, fault, None)) or EXPECTED[fault]


@pytest.mark.parametrize(
    "p,fault,stream", CASES, ids=[f"{p.id}-{f}-{'stream' if s else 'plain'}" for p, f, s in CASES]
)
def test_fault_lands_on_its_owner(p, fault, stream, home, emu):
    ref = f"{p.id}/{p.model}"
    wire_home(home, emu, timeout=limit(30))
    params: dict[str, int] = {}
    if fault in TIMEOUT_FAULTS:
        rt = runtime(home, retries_transient=0, retries_rate_limit=0)
        with stopwatch() as normal:
            calibration = call(rt, rt.plan(None, ref), chat(stream=stream), emu)
        assert calibration.failure is None, calibration.failure
        timeout = timeout_for(normal.seconds)
        wire_home(home, emu, timeout=timeout)
        emu.reset()
        if fault == "slow_first_byte":  # far past the timeout; the emulator ends it when the client leaves
            params["first_byte_ms"] = int(timeout * 4000)
    emu.add_fault(fault, dialect=p.dialect, times=None, **params)
    rt = runtime(home, retries_transient=0, retries_rate_limit=0)
    done = call(rt, rt.plan(None, ref), chat(stream=stream), emu)
    owner, code = _expected(p.id, fault, stream)
    if owner == "ok":
        assert done.failure is None, done.failure
        assert done.text == f"emulated reply from {p.dialect} model {p.model}"
        return
    f = done.failure
    assert f is not None, f"{fault} produced no failure (text {done.text!r})"
    assert (f.owner, f.code) == (owner, code), f.message
    assert f.provider == p.id and f.next_steps, f
    assert p.key not in f.message
    assert len(emu.requests) >= 1  # every one of these reached the provider (none was refused locally)
