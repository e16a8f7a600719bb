"""`clawgate dashboard` without a browser: the link from a running gateway, and the failures a user can hit
(no gateway, a token the gateway refuses), each with its owner and next command."""

from __future__ import annotations

import json
from typing import Any

import httpx
from tests.support.gateway import run_cli
from tests.ui.harness import TOKEN, Bench

from clawgate.cli.dashboard_cmd import can_open_browser


def test_no_gateway_running(cli: Any, home: Any) -> None:
    res = cli("dashboard", "--no-open", "--json")
    assert res.code != 0
    err = json.loads(res.out)["error"]
    assert err["code"] == "gateway.not_running" and err["owner"] == "runtime"
    assert "clawgate gateway start" in err["next"]


def test_link_and_refused_token(bench: Bench) -> None:
    home = bench.gw.home
    res = run_cli(home, "dashboard", "--no-open", CLAWGATE_GATEWAY_URL=bench.url)
    assert res.returncode == 0, res.stderr
    url = res.stdout.strip()
    assert url.startswith(bench.url + "/ui/login?code=") and "works once" in res.stderr
    assert TOKEN not in res.stdout + res.stderr
    first = httpx.get(url, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/"
    again = httpx.get(url, follow_redirects=False)  # single use
    assert again.headers["location"] == "/?login=expired" and "set-cookie" not in again.headers

    bad = run_cli(
        home,
        "dashboard",
        "--no-open",
        "--json",
        CLAWGATE_GATEWAY_URL=bench.url,
        CLAWGATE_GATEWAY_TOKEN="wrong-token-0000",
    )
    assert bad.returncode != 0
    err = json.loads(bad.stdout)["error"]
    assert err["owner"] == "gateway_auth" and err["code"] == "gateway.token_mismatch"
    assert "wrong-token-0000" not in bad.stdout + bad.stderr


def test_never_a_text_browser_in_the_terminal(monkeypatch: Any) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    assert not can_open_browser({})
    assert can_open_browser({"DISPLAY": ":0"}) and can_open_browser({"WAYLAND_DISPLAY": "wayland-0"})
