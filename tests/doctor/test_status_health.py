"""`models status` (and `--check`) say what a call would do now: a key the provider rejected, still inside its
health window, is "not sent", as `infer` answers — the executor's own verdict (call/readiness.py), not "ok"."""

from __future__ import annotations

from tests.doctor.conftest import wire

BAD_KEY = "sk-test-rejected-openai-0000000000000000001"


def test_rejected_only_key_is_not_ok_and_names_the_next_command(home, emu, cli):
    wire(home, emu, keys={"OPENAI_API_KEY": BAD_KEY}, model="openai/gpt-4o")
    first = cli("infer", "hi")
    assert first.code == 1
    again = cli("infer", "hi")
    assert again.code == 1 and "not sent" in again.err + again.out
    res = cli("models", "status", "--json")
    assert res.code == 1, res.out
    att = res.json()["attempts"][0]
    assert att["status"] == "rejected"
    health = att["health"]
    assert health["state"] == "rejected" and health["sendable"] is False
    assert "not sent" in health["message"]
    assert any(n.startswith("clawgate health clear --provider openai") for n in health["next"])
    assert cli("models", "status", "--check").code == 1
    human = cli("models", "status")
    assert human.code == 1
    assert (
        "not sent: rejected" in human.out and "ok" not in human.out.split("gpt-4o primary")[-1].split("\n")[0]
    )
    assert "next: clawgate health clear --provider openai" in human.out
    # once cleared, a call would be sent again (and re-test the key): status says so
    assert cli("health", "clear", "--provider", "openai").code == 0
    res = cli("models", "status", "--json")
    assert res.code == 0 and res.json()["attempts"][0]["status"] == "ok"
    assert res.json()["attempts"][0]["health"]["state"] == "ok"


def test_a_rejected_primary_with_a_good_fallback_still_plans(home, emu, cli):
    from tests.calls.conftest import BY_ID

    groq = BY_ID["groq"]
    wire(
        home,
        emu,
        keys={"OPENAI_API_KEY": BAD_KEY, groq.env: groq.key},
        model={"primary": "openai/gpt-4o", "fallbacks": ["groq/llama-3.3-70b-versatile"]},
    )
    assert cli("infer", "hi").code == 0  # answered by the fallback; the primary's key is now rejected
    res = cli("models", "status", "--json")
    rows = res.json()["attempts"]
    assert [r["status"] for r in rows] == ["rejected", "ok"]
    assert res.code == 0  # an attempt can be sent
    assert cli("models", "status", "--check").code == 1  # the primary's credential is unusable
