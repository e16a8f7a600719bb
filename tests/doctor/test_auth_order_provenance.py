"""Where a credential's place in the order comes from: `models status` names the order that put the winner
first (`auth.order.<provider>` in the config, or the order stored with `clawgate auth order set`); `config
set auth.order.<provider>` warns when it overrides a stored order (with the commands to see and undo it);
doctor warns about an order naming a profile that does not exist, with the command that fixes it."""

from __future__ import annotations

import shlex

A = "sk-or-v1-test-order-a-0000000000000001"
B = "sk-or-v1-test-order-b-0000000000000002"


def _two_profiles(home) -> None:
    home.config({"agents": {"defaults": {"model": "openrouter/moonshotai/kimi-k2.5"}}})
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                "openrouter:a": {"type": "api_key", "provider": "openrouter", "key": A},
                "openrouter:b": {"type": "api_key", "provider": "openrouter", "key": B},
            },
        },
    )


def _winner(cli) -> dict:
    res = cli("models", "status", "--json")
    assert res.code == 0, res.err
    return res.json()["attempts"][0]["credential"]


def test_models_status_names_the_order_that_put_the_winner_first(home, cli) -> None:
    _two_profiles(home)
    first = _winner(cli)
    assert first["source"] == "profile:openrouter:a" and "order_from" not in first  # by id, no order
    assert cli("auth", "order", "set", "--provider", "openrouter", "openrouter:b").code == 0
    stored = _winner(cli)
    assert stored["source"] == "profile:openrouter:b" and stored["order_from"].startswith("stored order (")
    set_ = cli("config", "set", "auth.order.openrouter", '["openrouter:a"]')
    assert set_.code == 0, set_.err
    # the config's order now decides, and config set said it overrides the stored one
    assert "comes before the order stored for agent main" in set_.out
    assert "next: clawgate auth order get --provider openrouter --agent main" in set_.out
    assert "next: clawgate config unset auth.order.openrouter" in set_.out
    won = _winner(cli)
    assert won["source"] == "profile:openrouter:a" and won["order_from"] == "auth.order.openrouter"
    text = cli("models", "status")
    assert "first by auth.order.openrouter" in text.out
    warned = cli("config", "set", "auth.order.openrouter", '["openrouter:a"]', "--json").json()["warnings"]
    assert [w["winner"]["order"] for w in warned] == [["openrouter:a", "openrouter:b"]]
    # without a stored order, setting auth.order warns about nothing
    assert cli("auth", "order", "clear", "--provider", "openrouter").code == 0
    assert (
        cli("config", "set", "auth.order.openrouter", '["openrouter:b"]', "--json").json()["warnings"] == []
    )


def test_doctor_warns_about_an_order_naming_no_profile_and_its_fix_works(home, cli) -> None:
    _two_profiles(home)
    assert all(f["code"] != "auth.order_unknown_profile" for f in cli("doctor", "--json").json()["findings"])
    assert cli("config", "set", "auth.order.openrouter", '["openrouter:ghost", "openrouter:b"]').code == 0
    found = [
        f for f in cli("doctor", "--json").json()["findings"] if f["code"] == "auth.order_unknown_profile"
    ]
    assert len(found) == 1, found
    f = found[0]
    assert (
        f["severity"] == "warn"
        and "openrouter:ghost" in f["message"]
        and "auth.order.openrouter" in f["message"]
    )
    assert f["evidence"]["missing"] == ["openrouter:ghost"]
    fix = f["next"][0]
    assert fix == """clawgate config set auth.order.openrouter '["openrouter:b"]'"""
    assert cli(*shlex.split(fix)[1:]).code == 0  # the command as printed
    again = cli("doctor", "--json").json()["findings"]
    assert all(f["code"] != "auth.order_unknown_profile" for f in again)
    text = cli("doctor")
    assert "openrouter:ghost" not in text.out


def test_doctor_also_checks_the_stored_order(home, cli) -> None:
    _two_profiles(home)
    data = {
        "version": 1,
        "profiles": {"openrouter:b": {"type": "api_key", "provider": "openrouter", "key": B}},
        "order": {"openrouter": ["openrouter:gone", "openrouter:b"]},  # a profile removed by hand
    }
    home.profiles("main", data)
    found = [
        f for f in cli("doctor", "--json").json()["findings"] if f["code"] == "auth.order_unknown_profile"
    ]
    assert len(found) == 1 and "the stored order of agent main" in found[0]["message"], found
    fix = found[0]["next"][0]
    assert fix == "clawgate auth order set --provider openrouter --agent main openrouter:b"
    assert cli(*shlex.split(fix)[1:]).code == 0
    assert all(f["code"] != "auth.order_unknown_profile" for f in cli("doctor", "--json").json()["findings"])
