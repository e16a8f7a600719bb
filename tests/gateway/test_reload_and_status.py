"""Done-when 5 and 6: config edits apply without a restart (a broken one is rejected, the last good config keeps
serving and `gateway status` shows the error), and `gateway status` notices a CLI that points at another home."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.support.timing import limit

from clawgate.emulator import EmulatorThread

from .conftest import (
    TOKEN,
    Gateway,
    base_config,
    base_dotenv,
    gateway_for,
    make_home,
    wait_until,
)

ASK = {"model": "agent/main", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def cfg0(emulator: EmulatorThread) -> dict[str, Any]:
    cfg = base_config(emulator)
    cfg["gateway"]["port"] = 1  # replaced with the real port below: `gateway status` finds it there
    return cfg


@pytest.fixture(scope="module")
def gw(cfg0: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    from .conftest import free_port

    base = tmp_path_factory.mktemp("reload")
    port = free_port()
    cfg0["gateway"]["port"] = port
    with gateway_for(base, cfg0, port=port) as g:
        yield g


@pytest.fixture
def restore(gw: Gateway, cfg0: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A copy of the original config to edit; the original is put back (and applied) afterwards."""
    yield copy.deepcopy(cfg0)
    gw.home.config(cfg0)
    gw.home.dotenv(base_dotenv())
    wait_until(
        lambda: served(gw) == "openai/gpt-4o" and gw.status()["reload"]["error"] is None, 10, what="restore"
    )


def served(gw: Gateway, body: dict[str, Any] = ASK) -> str | None:
    r = httpx.post(gw.url + "/v1/chat/completions", json=body, headers=gw.headers(), timeout=limit(10))
    return r.headers.get("x-clawgate-model") if r.status_code == 200 else f"HTTP {r.status_code}"


def test_config_edit_changes_the_served_model_without_restart(
    gw: Gateway, emu: EmulatorThread, restore: dict[str, Any]
) -> None:
    assert served(gw) == "openai/gpt-4o"
    reloads = gw.status()["reload"]["count"]
    restore["agents"]["defaults"]["model"]["primary"] = "anthropic/claude-sonnet-4-5"
    gw.home.config(restore)
    wait_until(lambda: served(gw) == "anthropic/claude-sonnet-4-5", 10, what="the new model to be served")
    assert emu.requests[-1].dialect == "anthropic" and emu.requests[-1].model == "claude-sonnet-4-5"
    st = gw.status()
    assert st["pid"] == gw.proc.pid and gw.proc.poll() is None  # same process
    assert st["reload"]["count"] > reloads
    assert next(a for a in st["agents"] if a["id"] == "main")["model"] == "anthropic/claude-sonnet-4-5"


def test_new_agent_and_new_credential_apply_without_restart(
    gw: Gateway, emu: EmulatorThread, restore: dict[str, Any]
) -> None:
    body = {"model": "agent/fresh", "messages": [{"role": "user", "content": "hi"}]}
    assert served(gw, body) == "HTTP 404"  # no such agent (yet)
    restore["agents"]["list"].append({"id": "fresh", "model": "openai/gpt-4.1"})
    gw.home.config(restore)
    wait_until(lambda: served(gw, body) == "openai/gpt-4.1", 10, what="the new agent")
    # a credential edit in .env: a wrong OpenAI key is used by the next call
    gw.home.dotenv(base_dotenv().replace("OPENAI_API_KEY=sk-test-", "OPENAI_API_KEY=sk-test-rotated-"))
    wait_until(
        lambda: served(gw, {**body, "model": "openai/gpt-4.1-mini"}) == "HTTP 424", 10, what="the new key"
    )
    assert emu.requests[-1].auth == "wrong"


def test_broken_edit_keeps_the_last_good_config_and_status_shows_it(
    gcli: Any, gw: Gateway, emu: EmulatorThread, restore: dict[str, Any]
) -> None:
    restore["agents"]["defaults"]["model"]["primary"] = "openai/gpt-4o-mini"
    gw.home.config(restore)
    wait_until(lambda: served(gw) == "openai/gpt-4o-mini", 10, what="the good edit")
    # a syntax error
    gw.home.config(json.dumps(restore)[:-10])
    err = wait_until(lambda: gw.status()["reload"]["error"], 10, what="the reload error")
    assert err["code"] == "config.parse_error" and "clawgate.json" in err["message"]
    assert served(gw) == "openai/gpt-4o-mini"  # the last good config keeps serving
    assert gw.proc.poll() is None
    with httpx.Client(base_url=gw.url, timeout=limit(5)) as c:
        ready = c.get("/readyz").json()
    assert ready["config_error"]["code"] == "config.parse_error"
    res = gcli(gw.home, "gateway", "status", "--json")
    assert res.returncode == 1, res.stdout + res.stderr
    data = json.loads(res.stdout)
    assert data["running"] is True
    codes = [f["code"] for f in data["findings"]]
    assert "config.parse_error" in codes, data["findings"]
    text = gcli(gw.home, "gateway", "status")
    assert text.returncode == 1
    assert "last good config" in text.stdout + text.stderr
    # a schema error (valid JSON5, invalid value) is rejected the same way
    bad = copy.deepcopy(restore)
    bad["gateway"]["drainSeconds"] = -5
    gw.home.config(bad)
    wait_until(
        lambda: (gw.status()["reload"]["error"] or {}).get("code") not in (None, "config.parse_error"),
        10,
        what="the schema error",
    )
    assert "drainSeconds" in gw.status()["reload"]["error"]["message"]
    assert served(gw) == "openai/gpt-4o-mini"
    # fixing the file clears the error and applies the fix
    restore["agents"]["defaults"]["model"]["primary"] = "openai/gpt-4.1"
    gw.home.config(restore)
    wait_until(lambda: served(gw) == "openai/gpt-4.1", 10, what="the fixed config")
    assert gw.status()["reload"]["error"] is None
    res = gcli(gw.home, "gateway", "status", "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    assert json.loads(res.stdout)["findings"] == []


def test_status_matches_when_cli_and_gateway_share_the_home(gcli: Any, gw: Gateway) -> None:
    res = gcli(gw.home, "gateway", "status", "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    data = json.loads(res.stdout)
    assert data["running"] and data["mismatches"] == [] and data["findings"] == []
    assert data["gateway"]["pid"] == gw.proc.pid
    assert TOKEN not in res.stdout
    text = gcli(gw.home, "gateway", "status")
    assert text.returncode == 0 and "running" in text.stdout and str(gw.proc.pid) in text.stdout


def test_status_detects_a_cli_pointed_at_another_home(
    gcli: Any, gw: Gateway, cfg0: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Done-when 6: another CLAWGATE_HOME whose config names the same port (so the CLI reaches this gateway)."""
    other = make_home(tmp_path_factory.mktemp("otherhome"))
    other.config({"gateway": {"port": gw.port}})
    other.dotenv(f"CLAWGATE_GATEWAY_TOKEN={TOKEN}\n")
    res = gcli(other, "gateway", "status", "--json")
    assert res.returncode == 1, res.stdout + res.stderr
    data = json.loads(res.stdout)
    assert "gateway.config_mismatch" in [f["code"] for f in data["findings"]]
    fields = {m["field"] for m in data["mismatches"]}
    assert {"home", "config"} <= fields
    home_mm = next(m for m in data["mismatches"] if m["field"] == "home")
    assert home_mm == {"field": "home", "cli": str(other.path), "gateway": str(gw.home.path)}
    text = gcli(other, "gateway", "status")
    assert text.returncode == 1
    assert "gateway.config_mismatch" in text.stdout and str(gw.home.path) in text.stdout


def test_status_detects_another_home_even_without_its_token(
    gcli: Any, gw: Gateway, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The other home does not have this gateway's token either (the usual case): still a mismatch, exit 1."""
    other = make_home(tmp_path_factory.mktemp("otherhome2"))
    other.config({"gateway": {"port": gw.port}})
    res = gcli(other, "gateway", "status", "--json")
    assert res.returncode == 1, res.stdout + res.stderr
    codes = [f["code"] for f in json.loads(res.stdout)["findings"]]
    assert "gateway.config_mismatch" in codes, codes


def test_status_when_nothing_runs(gcli: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    from .conftest import free_port

    home = make_home(tmp_path_factory.mktemp("idle"))
    home.config({"gateway": {"port": free_port()}})
    res = gcli(home, "gateway", "status", "--json")
    assert res.returncode == 3
    data = json.loads(res.stdout)
    assert data["running"] is False and data["findings"][0]["code"] == "gateway.not_running"


def test_rotating_the_gateway_token_applies_without_restart(gw: Gateway, restore: dict[str, Any]) -> None:
    new = "gw-test-rotated-token-0000000001"
    gw.home.dotenv(base_dotenv(token=new))

    def status_with(token: str) -> int:
        return httpx.get(gw.url + "/api/status", headers={"x-api-key": token}, timeout=limit(5)).status_code

    wait_until(lambda: status_with(new) == 200, 10, what="the new token to be accepted")
    assert status_with(TOKEN) == 401
    assert gw.proc.poll() is None


def test_status_says_failures_by_owner_in_words_not_a_python_dict(gcli: Any, gw: Gateway) -> None:
    """F4: `failures by owner: upstream 1`, not `{'upstream': 1}`."""
    body = {"model": "openai/fault-server_error", "messages": [{"role": "user", "content": "hi"}]}
    r = httpx.post(gw.url + "/v1/chat/completions", json=body, headers=gw.headers(), timeout=limit(10))
    assert r.status_code == 502, r.text
    line = wait_until(
        lambda: next(
            (
                ln
                for ln in gcli(gw.home, "gateway", "status").stdout.splitlines()
                if "failures by owner" in ln
            ),
            None,
        ),
        10,
        what="a failure in the last hour",
    )
    assert "{" not in line and "'" not in line, line
    owners = line.split("failures by owner: ", 1)[1].split(", ")
    assert any(o.startswith("upstream ") and o.split()[1].isdigit() for o in owners), line
