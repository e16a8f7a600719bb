"""`clawgate infer "prompt"`: one real call through the same resolver and executor as the gateway."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click

from clawgate.cli.context import json_option, state
from clawgate.cli.output import console, emit_json, esc


@click.command("infer")
@click.argument("prompt", required=False)
@click.option("--model", "model_ref", help="Model ref, alias, or agent/<id> (default: the agent's plan).")
@click.option(
    "--agent", "agent_id", help="Agent whose plan and credentials to use (default: the default agent)."
)
@click.option("--system", "system_prompt", help="A system prompt.")
@click.option("--max-tokens", type=int, default=None, help="Upper bound on the reply's tokens.")
@click.option("--stream/--no-stream", default=False, help="Print the reply as it arrives.")
@json_option
def infer(
    prompt: str | None,
    model_ref: str | None,
    agent_id: str | None,
    system_prompt: str | None,
    max_tokens: int | None,
    stream: bool,
    as_json: bool,
) -> None:
    """Make one real model call (PROMPT, or stdin) and print the reply; failures name owner, code and next."""
    from clawgate.call import skipped
    from clawgate.call.executor import CallRequest, StreamOutcome
    from clawgate.call.runtime import Runtime
    from clawgate.dialects.internal import ChatRequest, Message, Part, StreamEvent
    from clawgate.failures import Failure

    if prompt is None:
        prompt = sys.stdin.read() if sys.stdin is not None and not sys.stdin.isatty() else ""
    if not prompt.strip():
        raise click.UsageError("give a PROMPT argument or pipe it on stdin")
    st = state()
    prediction = st.service()  # the call is made as the gateway service would make it
    rt = Runtime(st.paths, prediction.environ, cwd=None)
    agent = rt.snapshot.agent(agent_id).id
    if model_ref and model_ref.startswith("agent/"):
        agent, model_ref = rt.snapshot.agent(model_ref.split("/", 1)[1]).id, None
    plan = rt.plan(agent, model_ref)
    chat = ChatRequest(
        model=model_ref or "",
        messages=[Message("user", [Part("text", prompt)])],
        system=system_prompt,
        max_tokens=max_tokens,
        stream=stream,
    )
    req = CallRequest(stream=stream, chat=chat, purpose="infer", agent=agent)
    c = console()
    out: dict[str, Any] = {}

    async def go() -> None:
        try:
            outcome = await rt.run(plan, req)
            out["outcome"] = outcome
            if not outcome.ok:
                return
            if not stream:
                out["result"] = outcome.result()
                return
            parts: list[str] = []
            failure = None
            assert isinstance(outcome, StreamOutcome)
            async for item in outcome:
                if isinstance(item, Failure):
                    failure = item
                elif isinstance(item, StreamEvent) and item.kind == "text":
                    parts.append(item.text)
                    if not as_json:
                        sys.stdout.write(item.text)
                        sys.stdout.flush()
            if not as_json and parts:
                sys.stdout.write("\n")
            out["text"] = "".join(parts)
            out["stream_failure"] = failure
        finally:
            await rt.aclose()

    try:
        asyncio.run(go())
    finally:
        rt.close()
    outcome = out["outcome"]
    failure = outcome.failure if not outcome.ok else out.get("stream_failure")
    served = outcome.attempt
    data: dict[str, Any] = {
        "ok": failure is None,
        "agent": agent,
        "ref": served.ref if served else None,
        "credential": {"source": outcome.cred.source, "fingerprint": outcome.cred.fingerprint}
        if outcome.cred
        else None,
        "tries": [t.to_json() for t in outcome.tries],
    }
    gone = skipped.skipped(outcome) if outcome.ok else []
    if gone:
        data["fallback"] = [skipped.to_json(t) for t in gone]  # what was skipped on the way, and why
    if "result" in out:
        data["text"] = out["result"].text
        u = out["result"].usage
        data["usage"] = {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens}
    elif "text" in out:
        data["text"] = out["text"]
        data["usage"] = {
            "input_tokens": outcome.usage.input_tokens,
            "output_tokens": outcome.usage.output_tokens,
        }
    data["predicts"] = prediction.to_json()
    causes: list[Any] = []
    if failure is not None:
        from pathlib import Path

        from clawgate.diagnose.service_env import environment_findings

        data["error"] = failure.to_json()
        causes = environment_findings(rt.snapshot, st.environ, prediction, Path.cwd(), agent)
        data["environment"] = [f.to_json() for f in causes]
    if as_json:
        emit_json(data)
    else:
        if "result" in out:
            sys.stdout.write(out["result"].text + "\n")
        if failure is not None:
            err = console(stderr=True)
            err.print(
                f"[red]error[/] [bold]{esc(failure.code)}[/] (owner {esc(failure.owner)}): {esc(failure.message)}"
            )
            for n in failure.next_steps:
                err.print(f"  next: {esc(n)}")
            for f in causes:  # this shell has what the service lacks: likely the cause
                err.print(f"[yellow]{esc(f.code)}[/]: {esc(f.message)}")
                for n in f.next_steps:
                    err.print(f"  next: {esc(n)}")
        else:
            cred = data["credential"]
            who = f"{cred['source']} {cred['fingerprint']}" if cred else "no credential"
            err = console(stderr=True)
            err.print(f"[dim]{esc(data['ref'])} via {esc(who)}[/]")
            if gone:
                err.print(
                    f"[yellow]failed over[/]: skipped {esc('; '.join(skipped.describe(t) for t in gone))}"
                )
    _ = c
    if failure is not None:
        raise click.exceptions.Exit(1)
