"""The gateway on this home's configured port runs from another home: `models status` and `chat` say so (the
same `gateway.config_mismatch` doctor and `gateway status` report) instead of showing this home's plan as if
no gateway ran, or answering silently from the other home's model."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import PLAIN_REPLY, ChatHome, make_home, run_chat


def test_models_status_and_chat_warn_about_another_homes_gateway(chat_home: ChatHome, tmp_path, emu) -> None:
    port = int(chat_home.url.rsplit(":", 1)[1])
    mine = make_home(tmp_path / "b", emu, port, chat_home.token)  # home B: the same port, another model
    cfg = json.loads((mine.path / "clawgate.json").read_text())
    cfg["agents"]["defaults"]["model"]["primary"] = "openrouter/openrouter/auto"
    (mine.path / "clawgate.json").write_text(json.dumps(cfg))

    r = subprocess.run(
        [sys.executable, "-m", "clawgate", "models", "status", "--json"],
        env=mine.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = [f for f in json.loads(r.stdout)["findings"] if f["code"] == "gateway.config_mismatch"]
    assert found and str(chat_home.path) in found[0]["message"], r.stdout
    assert found[0]["next"][0].startswith("clawgate config set gateway.port ")

    r2 = subprocess.run(
        [sys.executable, "-m", "clawgate", "models", "status"],
        env=mine.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "gateway.config_mismatch" in r2.stdout

    ran = run_chat(mine, input="hi\n")
    assert ran.stdout == PLAIN_REPLY + "\n"  # home A's model answers ...
    assert "gateway.config_mismatch" in ran.stderr and str(chat_home.path) in ran.stderr  # ... and it is said
    assert "next: clawgate config set gateway.port" in ran.stderr

    own = run_chat(chat_home, input="hi\n")  # home A's own CLI: nothing to say
    assert "config_mismatch" not in own.stderr
