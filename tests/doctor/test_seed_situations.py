"""The five seeds' situations, built for real: one `clawgate doctor` run (in a real shell, as the user types it)
gives the right code — at severity `error` when calls would fail — and running every `next` command it printed,
as printed, makes the next doctor run clean (issue 5 item 1; issue 15 Done when 2 and 3).

Seeds 000 and 003 are provider rejections of a key that looks fine: only a call can tell, so the user runs
`clawgate doctor --probe` (a plain `doctor` reports them too once a call has failed: the rejection is in health).
A `next` command that needs what doctor cannot know gets it the way a person gives it: a key typed at the
prompt of `clawgate env set` / `clawgate auth add`, a host for a `<BASE_URL>` placeholder.
"""

from __future__ import annotations

import json

from tests.calls.conftest import BY_ID, call, chat, runtime
from tests.doctor.conftest import eventually, service, wire
from tests.support.ports import free_port
from tests.support.terminal import Terminal, assert_clean, errors, follow, problems

from clawgate.gateway.pidfile import read_pidfile
from clawgate.paths import Paths

OR = BY_ID["openrouter"]
GROQ = BY_ID["groq"]
QWEN = BY_ID["qwen"]
STALE_OR = "sk-or-v1-test-stale-0000000000000000000009"
STALE_GROQ = "gsk_teststale00000000000000000000000009"
TYPED = {OR.env: OR.key, GROQ.env: GROQ.key, QWEN.env: QWEN.key, "openrouter": OR.key, "groq": GROQ.key}
OR_MODEL = {"primary": "openrouter/moonshotai/kimi-k2.5", "fallbacks": ["groq/llama-3.3-70b-versatile"]}


def first_problem(data: dict) -> dict:
    found = problems(data)
    assert found, "doctor found nothing"
    return found[0]


# --- seed 000: a "valid" DashScope key rejected with 401 ------------------------------------------------


def test_seed000_key_for_another_region(home, emu, term):
    wire(home, emu, keys={QWEN.env: QWEN.key}, model="qwen/qwen-plus")
    cfg = json.loads((home.path / "clawgate.json").read_text())
    cfg["models"]["providers"]["qwen"]["baseUrl"] = emu.base_url("dashscope", "cn")  # an intl key, cn host
    home.config(cfg)
    rc, data = term.doctor("--probe")
    f = first_problem(data)
    assert rc == 1 and (f["code"], f["severity"]) == ("auth.rejected", "error"), data["findings"]
    assert "region" in f["message"] and "dashscope-intl.aliyuncs.com" in f["hint"]
    # the failed call is recorded: a plain doctor says the same from then on
    rc, plain = term.doctor()
    assert rc == 1 and first_problem(plain)["code"] == "auth.rejected"
    follow(term, data, fill={"BASE_URL": emu.base_url("dashscope", "intl")}, typed=TYPED)
    assert_clean(term, "--probe")


def test_seed000_key_with_stray_characters(home, emu, term):
    wire(home, emu, keys={}, model="qwen/qwen-plus")
    home.dotenv(f'{QWEN.env}="{QWEN.key[:8]} {QWEN.key[8:]}"\n')
    rc, data = term.doctor("--probe")
    f = first_problem(data)
    assert rc == 1 and (f["code"], f["severity"]) == ("auth.key_malformed", "error"), data["findings"]
    assert f["next"] == [f"clawgate env set {QWEN.env}"]
    follow(term, data, typed=TYPED)
    assert_clean(term, "--probe")


# --- seed 001: Token Plan without GET /models; a reference to a variable clawgate cannot see ---------------


def _token_plan(home, emu, api_key: str, models: list | None = None) -> None:
    entry = {
        "baseUrl": emu.base_url("dashscope", "coding-intl"),
        "apiKey": api_key,
        "api": "openai-completions",
    }
    if models is not None:
        entry["models"] = models
    home.config(
        {
            "models": {"providers": {"alibaba-token-plan": entry}},
            "agents": {"defaults": {"model": "alibaba-token-plan/qwen3.6-plus"}},
            "gateway": {"port": free_port()},
        }
    )


def test_seed001_provider_without_models_endpoint(home, emu, term):
    _token_plan(home, emu, "${ALIBABA_TOKEN_PLAN_API_KEY}")
    home.dotenv("ALIBABA_TOKEN_PLAN_API_KEY=sk-sp-test-token-plan-000000001\n")
    rc, data = term.doctor()
    assert rc == 0 and first_problem(data)["code"] == "model.no_catalog"
    follow(term, data)
    assert_clean(term, "--probe")
    assert not [r for r in emu.requests if r.path.endswith("/models")]  # nothing ever asked GET /models


def test_seed001_reference_to_a_variable_clawgate_cannot_see(home, emu, term):
    _token_plan(home, emu, "${ALIBABA_CLOUD_API_KEY}", models=[{"id": "qwen3.6-plus"}])
    rc, data = term.doctor()
    f = first_problem(data)
    assert rc == 1 and (f["code"], f["severity"]) == ("env.unresolved_ref", "error"), data["findings"]
    follow(term, data, typed={"ALIBABA_CLOUD_API_KEY": "sk-sp-test-token-plan-000000001"})
    assert_clean(term, "--probe")


# --- seed 002: TUI 401 "Missing Authentication header" ---------------------------------------------------


def test_seed002_gateway_of_another_home_on_this_homes_port(home, emu, term, tmp_path):
    """The CLI's address is taken by the gateway of another home: doctor errs, and its fix (this home's own
    gateway on a free port) works when run; the other gateway is untouched."""
    from tests.support.gateway import make_home

    port = wire(home, emu, model=OR_MODEL)
    other = make_home(tmp_path, "other-home")
    other.config({"gateway": {"port": port}, "agents": {"defaults": {"model": "ollama/llama3.2"}}})
    with service(other, port) as theirs:
        rc, data = term.doctor()
        f = first_problem(data)
        assert rc == 1 and (f["code"], f["severity"]) == ("gateway.config_mismatch", "error"), data[
            "findings"
        ]
        mine = None
        try:
            follow(term, data)
            mine = read_pidfile(Paths.discover({"CLAWGATE_HOME": str(home.path)}))
            assert mine and mine["pid"] != theirs.proc.pid
            data = assert_clean(term)
            assert data["gateway"]["running"] and data["gateway"]["url"] != theirs.url
            assert theirs.proc.poll() is None  # the other home's gateway kept running
        finally:
            term.clawgate("gateway", "stop")
            if mine:
                _gone(mine["pid"])


def _gone(pid: int) -> None:
    import os
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_seed002_key_only_in_the_shell_no_gateway_yet(home, emu, term):
    """Before any gateway runs, doctor predicts the service `gateway start` would run: not this shell's key."""
    wire(home, emu, keys={GROQ.env: GROQ.key}, model=OR_MODEL)
    term.env[OR.env] = OR.key  # the user's shell exports it
    rc, data = term.doctor()
    f = first_problem(data)
    assert rc == 1 and (f["code"], f["severity"]) == ("env.shell_only", "error"), data["findings"]
    assert OR.env in f["message"] and OR.key not in json.dumps(data)
    assert data["predicts"]["basis"] == "service"
    follow(term, data)
    assert_clean(term)


def test_seed002_key_only_in_the_shell_not_in_the_gateway(home, emu, term):
    port = wire(home, emu, keys={GROQ.env: GROQ.key}, model=OR_MODEL)
    with service(home, port):  # started without OPENROUTER_API_KEY anywhere it reads
        term.env[OR.env] = OR.key
        rc, data = term.doctor()
        f = first_problem(data)
        assert rc == 1 and (f["code"], f["severity"]) == ("env.shell_only", "error"), data["findings"]
        assert data["predicts"]["basis"] == "gateway"
        follow(term, data)
        # the gateway reloads $CLAWGATE_HOME/.env by itself; its own report then has the key
        eventually(lambda: term.doctor()[0] == 0, what="the gateway's reload")
        data = assert_clean(term)
        assert data["predicts"]["basis"] == "gateway"


# --- seed 003: per-agent override, stale profile, duplicate .env line, plaintext keys, 401 everywhere -------


def test_seed003_agent_override_shadows_default(home, emu, term):
    wire(home, emu, model=OR_MODEL)
    cfg = json.loads((home.path / "clawgate.json").read_text())
    cfg["agents"]["list"] = [{"id": "main", "model": "groq/llama-3.3-70b-versatile"}]
    home.config(cfg)
    rc, data = term.doctor()
    assert rc == 0 and first_problem(data)["code"] == "model.override_shadows_default"
    follow(term, data)
    assert_clean(term)


def _stale_profiles(home, **keys: str) -> None:
    home.profiles(
        "main",
        {
            "version": 1,
            "profiles": {
                f"{p}:default": {"type": "api_key", "provider": p, "key": k} for p, k in keys.items()
            },
        },
    )


def test_seed003_stale_profile_shadows_valid_env_key(home, emu, term):
    wire(home, emu, keys={OR.env: OR.key, GROQ.env: GROQ.key}, model=OR_MODEL)
    _stale_profiles(home, openrouter=STALE_OR)
    rc, data = term.doctor()
    assert rc == 0 and first_problem(data)["code"] == "auth.shadowed_credential"  # offline: only a warning
    rc, data = term.doctor("--probe")
    f = first_problem(data)
    assert rc == 1 and (f["code"], f["severity"]) == ("auth.rejected", "error"), data["findings"]
    assert "profile:openrouter:default" in f["message"]
    follow(term, data)
    assert_clean(term, "--probe")


def test_seed003_variable_defined_twice(home, emu, term):
    wire(home, emu, model=OR_MODEL)
    home.dotenv(f"{OR.env}={STALE_OR}\n{GROQ.env}={GROQ.key}\n{OR.env}={OR.key}\n")
    _, data = term.doctor()
    assert first_problem(data)["code"] == "env.duplicate_definition"
    follow(term, data)
    assert_clean(term, "--probe")
    text = (home.path / ".env").read_text()
    assert text.count(OR.env) == 1 and OR.key in text


def test_seed003_plaintext_key_in_config(home, emu, term):
    wire(home, emu, keys={GROQ.env: GROQ.key}, model="openrouter/moonshotai/kimi-k2.5")
    term.clawgate("config", "set", "models.providers.openrouter.apiKey", OR.key)
    _, data = term.doctor()
    assert first_problem(data)["code"] == "config.plaintext_secret"
    follow(term, data)
    assert_clean(term, "--probe")
    assert OR.key not in (home.path / "clawgate.json").read_text()
    assert f"{OR.env}={OR.key}" in (home.path / ".env").read_text()


def test_seed003_every_provider_rejects(home, emu, term):
    wire(home, emu, keys={OR.env: OR.key, GROQ.env: GROQ.key}, model=OR_MODEL)
    _stale_profiles(home, openrouter=STALE_OR, groq=STALE_GROQ)
    rc, data = term.doctor("--probe")
    f = first_problem(data)
    assert rc == 1 and f["code"] == "auth.all_providers_rejected", [x["code"] for x in problems(data)]
    assert "stored profile" in f["message"]
    follow(term, data)
    assert_clean(term, "--probe")


# --- seed 004: which layer gave the first error ------------------------------------------------------------


def test_seed004_no_api_key_for_provider(home, emu, term):
    wire(home, emu, keys={}, model="anthropic/claude-sonnet-4-5")
    rc, data = term.doctor()
    f = first_problem(data)
    assert rc == 1 and (f["code"], f["severity"]) == ("auth.missing_credential", "error")
    follow(term, data, typed={"ANTHROPIC_API_KEY": BY_ID["anthropic"].key})
    assert_clean(term, "--probe")


def test_seed004_gateway_token_mismatch(home, emu, term):
    port = wire(home, emu, model=OR_MODEL)
    with (home.path / ".env").open("a") as fh:
        fh.write("CLAWGATE_GATEWAY_TOKEN=gw-test-token-current-0001\n")
    with service(home, port):
        term.env["CLAWGATE_GATEWAY_TOKEN"] = "gw-test-token-stale-0009"  # an old export in the shell
        rc, data = term.doctor()
        f = first_problem(data)
        assert rc == 1 and (f["code"], f["severity"]) == ("gateway.token_mismatch", "error")
        assert "process environment" in f["message"]
        follow(term, data)
        assert_clean(term)


def test_seed004_cooldown_shows_the_first_failure(home, emu, term):
    """ "all in cooldown": the first failure (a 401) comes first, not the cooldown it caused."""
    wire(home, emu, keys={OR.env: STALE_OR, GROQ.env: GROQ.key}, model=OR_MODEL)
    rt = runtime(home, persist=True)
    done = call(rt, rt.plan(), chat(), emu)  # openrouter rejects, groq serves
    rt.close()
    assert done.outcome.ok
    rc, data = term.doctor()
    f = first_problem(data)
    assert rc == 1 and f["code"] == "auth.rejected"
    assert "first failure" in f["message"] and "401" in f["message"]
    follow(term, data, typed=TYPED)
    assert_clean(term)


def test_seed004_container_env_overrides_the_file(home, emu, term):
    """A container's environment gives the gateway another value than the mounted .env: doctor, run in the
    container (`docker exec`: the same environment), sees the running gateway's own."""
    port = wire(home, emu, keys={OR.env: OR.key, GROQ.env: GROQ.key}, model=OR_MODEL)
    with service(home, port, **{OR.env: STALE_OR}):
        term.env[OR.env] = STALE_OR
        _, data = term.doctor()
        assert first_problem(data)["code"] == "env.process_override", data["findings"]
        follow(term, data)
        assert_clean(term)


def test_terminal_runs_what_is_printed(tmp_path):
    """The harness itself: state carries between commands like a shell's, and a failing command fails."""
    t = Terminal({"PATH": "/usr/bin:/bin", "X": "1"}, tmp_path, tmp_path / "t")
    assert t.run("unset X").code == 0 and "X" not in t.env
    assert t.run("exit 3").code == 3
    assert not errors({"findings": [{"severity": "warn"}]})
