"""`clawgate chat`: line mode over the sessions API — for SSH sessions and pipes.

Each input line is posted to the session (`POST /api/sessions/{id}/messages`) and the streamed reply is printed
as it arrives. `/new [model]` starts a fresh session (`POST /api/sessions`), `/stop` (or Ctrl-C during a reply)
stops the active run (`POST /api/sessions/{id}/stop`), `/quit` (or EOF) ends; `/model …`, `/status` and any
other text go to the gateway as ordinary message content, which answers slash commands itself.

stdout carries the conversation (reply text, notices, plans); stderr carries errors (owner, code, next), the
prompt and progress notes. Exit status: 0 when every reply succeeded, 1 when one failed, 3 when no gateway
answers, 130 after a Ctrl-C at the prompt.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from typing import Any, TextIO

from clawgate.chat.client import EXIT_FAILED, ChatError, GatewayClient
from clawgate.chat.format import error_line, model_label, plan_lines, run_summary, session_label
from clawgate.cli.output import RedactingWriter

EXIT_INTERRUPTED = 130
_FAILED_STATUSES = ("error", "timeout", "interrupted")


class LineChat:
    def __init__(
        self,
        client: GatewayClient,
        *,
        agent: str | None = None,
        model: str | None = None,
        session_id: str | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        interactive: bool | None = None,
    ) -> None:
        self.client = client
        self.agent = agent
        self.model = model
        self.session_id = session_id
        self.session: dict[str, Any] = {}
        self.stdin = stdin if stdin is not None else sys.stdin
        self.out = RedactingWriter(stdout if stdout is not None else sys.stdout)
        self.err = RedactingWriter(stderr if stderr is not None else sys.stderr)
        if interactive is None:
            try:
                interactive = bool(self.stdin.isatty())
            except (AttributeError, ValueError):
                interactive = False
        self.interactive = interactive
        self.failed = False
        self.exit_code = EXIT_FAILED  # the status when something failed (3: the gateway stopped answering)
        self.interrupted = False
        self._lines: asyncio.Queue[str | None] | None = None
        self._stream_task: asyncio.Task[Any] | None = None
        self._stop_requested = False
        self._stop_task: asyncio.Future[None] | None = None

    # ---------------------------------------------------------------------------------------- output

    def _print(self, text: str = "", err: bool = False) -> None:
        stream = self.err if err else self.out
        stream.write(text + "\n")
        stream.flush()

    def print_error(self, e: dict[str, Any]) -> None:
        """`error: owner code — message` then one `  next:` line per step (stderr)."""
        steps = list(e.get("next_steps") or e.get("next") or [])
        if isinstance(e.get("next"), str):
            steps = [e["next"]]
        self._print("error: " + error_line({**e, "next": [], "next_steps": []}), err=True)
        for s in steps:
            self._print(f"  next: {s}", err=True)

    # ------------------------------------------------------------------------------------------ main

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self._lines = asyncio.Queue()
        threading.Thread(target=self._read_stdin, args=(loop,), name="chat-stdin", daemon=True).start()
        sigint = False
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, self._on_sigint)
            sigint = True
        try:
            await self._open()
            while not self.interrupted:
                if self.interactive:
                    self.err.write("> ")
                    self.err.flush()
                line = await self._lines.get()
                if line is None:
                    break
                text = line.strip()
                if not text:
                    continue
                cmd, _, arg = text.partition(" ")
                if cmd in ("/quit", "/exit"):
                    break
                if cmd == "/stop":
                    await self._stop()
                elif cmd == "/new":
                    await self._new(arg.strip() or None)
                else:
                    await self._post(text)
        finally:
            if sigint:
                loop.remove_signal_handler(signal.SIGINT)
        if self.interrupted:
            return EXIT_INTERRUPTED
        return self.exit_code if self.failed else 0

    def _read_stdin(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._lines is not None
        q = self._lines
        try:
            for line in iter(self.stdin.readline, ""):
                loop.call_soon_threadsafe(q.put_nowait, line)
        except (OSError, ValueError, RuntimeError):
            pass
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(q.put_nowait, None)

    def _on_sigint(self) -> None:
        task = self._stream_task
        if task is not None and not task.done():
            if not self._stop_requested:
                self._stop_requested = True
                self._print("\n^C — stopping the run (Ctrl-C again to quit)", err=True)
                self._stop_task = asyncio.ensure_future(self._stop(quiet=True))
                return
            self.interrupted = True
            task.cancel()
            return
        self.interrupted = True
        if self._lines is not None:
            self._lines.put_nowait(None)

    async def _open(self) -> None:
        if self.session_id:
            data = await self.client.get_session(self.session_id)
            self.session = data.get("session") or {}
            if self.model:
                await self._post(f"/model {self.model}")
        else:
            self.session = await self.client.create_session(self.agent, self.model)
        self.session_id = self.session.get("id") or self.session_id
        self.agent = self.session.get("agent") or self.agent
        if self.interactive:
            self._print(
                f"clawgate chat · agent {self.agent} · session {session_label(self.session)} · "
                f"{model_label(self.session)} · gateway {self.client.target.url}",
                err=True,
            )
            self._print("  /new [model]  /stop (or Ctrl-C)  /model REF[@profile]  /status  /quit", err=True)

    async def _new(self, model: str | None) -> None:
        try:
            self.session = await self.client.create_session(self.agent, model)
        except ChatError as exc:
            self.failed = True
            self.print_error(exc.as_event())
            return
        self.session_id = self.session.get("id")
        self._print(f"new session {self.session_id} · {model_label(self.session)}")

    async def _stop(self, quiet: bool = False) -> None:
        if not self.session_id:
            return
        try:
            stopped = await self.client.stop(self.session_id)
        except ChatError as exc:
            self.print_error(exc.as_event())
            return
        if not quiet:
            self._print(f"stopped run {stopped}" if stopped else "no active run to stop")

    async def _post(self, text: str) -> None:
        assert self.session_id
        self._stop_requested = False
        self._stream_task = asyncio.ensure_future(self._consume(self.session_id, text))
        try:
            await self._stream_task
        except asyncio.CancelledError:
            if not self.interrupted:
                raise
            self._print(
                "\ninterrupted; the run may still be going (clawgate chat --session "
                f"{self.session_id}, then /stop)",
                err=True,
            )
        except ChatError as exc:
            self.failed = True
            self.exit_code = max(self.exit_code, exc.exit_code)
            self.print_error(exc.as_event())
        finally:
            self._stream_task = None

    async def _consume(self, session_id: str, text: str) -> None:
        open_runs: set[str] = set()
        errored: set[str] = set()
        texts: dict[str, int] = {}
        midline = False

        def endline() -> None:
            nonlocal midline
            if midline:
                self.out.write("\n")
                self.out.flush()
                midline = False

        async for ev in self.client.send(session_id, text):
            t = ev.get("type")
            rid = str(ev.get("run_id") or "")
            if t in ("run.queued", "run.started") and rid:
                open_runs.add(rid)
            if t == "token":
                piece = str(ev.get("text") or "")
                if piece:
                    open_runs.add(rid)
                    texts[rid] = texts.get(rid, 0) + len(piece)
                    self.out.write(piece)
                    self.out.flush()
                    midline = not piece.endswith("\n")
            elif t == "run.error":
                endline()
                errored.add(rid)
                self.failed = True
                self.print_error(ev)
            elif t == "run.finished":
                endline()
                open_runs.discard(rid)
                status = ev.get("status")
                if status == "stopped":
                    self._print("[stopped]", err=True)
                elif status in _FAILED_STATUSES and rid not in errored:
                    self.failed = True
                    err = ev.get("error") if isinstance(ev.get("error"), dict) else None
                    self.print_error(
                        err
                        or {
                            "owner": "runtime",
                            "code": f"run.{status}" + (f".{ev['limit']}" if ev.get("limit") else ""),
                            "message": f"the run ended with status {status}",
                            "next": [f"clawgate logs --limit 20   # run {rid}"],
                        }
                    )
                elif status == "completed" and not texts.get(rid) and rid not in errored:
                    self._print(f"(empty reply from {ev.get('ref') or 'the model'})", err=True)
            elif t == "session.new":
                endline()
                self.session = ev.get("session") or self.session
                self.session_id = self.session.get("id") or self.session_id
                self._print(f"new session {self.session_id} · {model_label(self.session)}")
            elif t == "session.status":
                endline()
                for line in plan_lines(ev.get("plan") or {}):
                    self._print(line)
            elif t == "notice" and isinstance(
                ev.get("error"), dict
            ):  # e.g. /model with a ref that cannot work
                endline()
                self.failed = True
                self.print_error(ev["error"])
            elif t == "notice":
                endline()
                self._print(str(ev.get("text") or ""))
            else:
                summary = run_summary(ev)
                if summary:
                    endline()
                    self._print(f"· {summary}", err=True)
        endline()
        for rid in open_runs - errored:
            self.failed = True
            self.print_error(
                {
                    "owner": "runtime",
                    "code": "gateway.stream_ended",
                    "message": f"the gateway ended the stream before run {rid} finished",
                    "next": ["clawgate logs --limit 20", "clawgate gateway status"],
                }
            )


async def run_line_chat(client: GatewayClient, **kw: Any) -> int:
    async with client:
        return await LineChat(client, **kw).run()
