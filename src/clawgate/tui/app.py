"""The Textual chat app: a scrolling transcript with streamed replies, an input box, slash commands and a
footer `agent main | session s_8f3a… | openai/gpt-4o (agents.defaults.model) | tokens 1.8k/128k | gateway
connected`.

Live events come over the WebSocket `/ws` (connect frame with the gateway token first, then `subscribe`,
`send`); sessions are created and read over HTTP (`POST /api/sessions`, `GET /api/sessions/{id}`), and `/stop`
uses `POST /api/sessions/{id}/stop` for its explicit answer. Errors — a provider's, the gateway's own, a
refused gateway token — are transcript lines with owner, code and next command, never an empty bubble.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from clawgate.chat.client import ChatError, GatewayClient, WsConnection
from clawgate.chat.format import error_line, footer_text, model_label, plan_lines, run_summary, session_label
from clawgate.chat.target import Target
from clawgate.redaction import redact

_FAILED = ("error", "timeout", "interrupted")
_CURSOR = "▍"


class Bubble(Static):
    """One transcript entry; assistant bubbles grow as tokens arrive."""

    def __init__(self, kind: str, label: str, text: str = "", streaming: bool = False) -> None:
        super().__init__("", markup=False, classes=kind)
        self.kind = kind
        self.label = label
        self.text = text
        self.suffix = ""
        self.streaming = streaming

    def on_mount(self) -> None:
        self.refresh_text()

    def refresh_text(self) -> None:
        t = Text()
        if self.label:
            t.append(self.label + " ", style="bold")
        t.append(redact(self.text))
        if self.streaming:
            t.append(_CURSOR, style="blink")
        if self.suffix:
            t.append(self.suffix, style="italic dim")
        self.update(t)

    def add(self, piece: str) -> None:
        self.text += piece
        self.refresh_text()

    def finish(self, suffix: str = "") -> None:
        self.streaming = False
        self.suffix = suffix
        self.refresh_text()


class ChatApp(App[int]):
    TITLE = "clawgate"
    CSS = """
    Screen { layout: vertical; }
    #transcript { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    #transcript > Bubble { margin: 0 0 1 0; }
    #transcript > .user { color: $accent; }
    #transcript > .error { color: $error; }
    #transcript > .notice { color: $text-muted; }
    #prompt { height: 3; }
    #footer { height: 1; padding: 0 1; background: $panel; color: $text; }
    """
    BINDINGS = [  # noqa: RUF012 (Textual's own convention)
        Binding("ctrl+c", "interrupt", "Stop the reply / quit", priority=True),
        Binding("escape", "stop_run", "Stop the reply"),
    ]

    def __init__(
        self,
        target: Target,
        agent: str | None = None,
        model: str | None = None,
        session_id: str | None = None,
    ) -> None:
        super().__init__()
        self.target = target
        self.client = GatewayClient(target)
        self.agent = agent or ""
        self.model_arg = model
        self.session_arg = session_id
        self.session: dict[str, Any] | None = None
        self.state = "connecting"
        self.ws: WsConnection | None = None
        self.bubbles: dict[str, Bubble] = {}
        self.errored: set[str] = set()
        self.active_runs: set[str] = set()
        self._conn_error: str | None = None
        self._pin_after_connect = bool(session_id and model)

    # ---------------------------------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="transcript")
        yield Input(
            placeholder="message, or /new [model] · /stop · /model REF[@profile] · /status · /quit",
            id="prompt",
        )
        yield Static("", id="footer", markup=False)

    def on_mount(self) -> None:
        self.render_footer()
        self.query_one("#prompt", Input).focus()
        self.run_worker(self._connection_loop(), exclusive=True, group="connection")

    async def on_unmount(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        await self.client.close()

    @property
    def transcript(self) -> VerticalScroll:
        return self.query_one("#transcript", VerticalScroll)

    def render_footer(self) -> None:
        text = footer_text(self.agent, self.session, self.state)
        self.query_one("#footer", Static).update(Text(redact(text)))

    def set_state(self, state: str) -> None:
        self.state = state
        self.render_footer()

    def _mount(self, bubble: Bubble) -> Bubble:
        self.transcript.mount(bubble)
        self.call_after_refresh(self.transcript.scroll_end, animate=False)
        return bubble

    def add_user(self, text: str) -> None:
        self._mount(Bubble("user", "you:", text))

    def add_notice(self, text: str) -> None:
        self._mount(Bubble("notice", "·", text))

    def add_error(self, err: dict[str, Any]) -> None:
        self._mount(Bubble("error", "✖", error_line(err)))

    # ------------------------------------------------------------------------------------ connection

    async def _connection_loop(self) -> None:
        delay = 0.5
        while True:
            if not self.state.startswith("error"):
                self.set_state("connecting")
            try:
                if self.session is None:
                    await self._open_session()
                ws = await self.client.connect_ws("tui")
                self.ws = ws
                if not self.agent:
                    self.agent = str(ws.hello.get("agent") or "")
                assert self.session is not None
                await ws.send({"type": "subscribe", "session_id": self.session["id"]})
                self.set_state("connected")
                if self._conn_error is not None:
                    self.add_notice("gateway connected")
                self._conn_error = None
                delay = 0.5
                if self._pin_after_connect:
                    self._pin_after_connect = False
                    await ws.send(
                        {
                            "type": "send",
                            "session_id": self.session["id"],
                            "content": f"/model {self.model_arg}",
                        }
                    )
                async for frame in ws:
                    self.on_gateway_event(frame)
                self.ws = None
                self.set_state("error: connection closed")
                self._report(
                    {
                        "owner": "runtime",
                        "code": "gateway.disconnected",
                        "message": "the gateway closed the connection; reconnecting",
                        "next": ["clawgate gateway status"],
                    }
                )
            except ChatError as exc:
                self.ws = None
                self.set_state(f"error: {exc.code}")
                self._report(exc.as_event())
                if exc.owner == "gateway_auth":
                    delay = 5.0
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _report(self, err: dict[str, Any]) -> None:
        """A connection error, once per distinct code (the loop retries quietly)."""
        if err.get("code") != self._conn_error:
            self._conn_error = str(err.get("code"))
            self.add_error(err)

    async def _open_session(self) -> None:
        if self.session_arg:
            data = await self.client.get_session(self.session_arg)
            self.session = data.get("session") or {"id": self.session_arg}
            self.agent = str(self.session.get("agent") or self.agent)
            self._show_history(data.get("messages") or [])
        else:
            self.session = await self.client.create_session(self.agent or None, self.model_arg)
        self.agent = str(self.session.get("agent") or self.agent)
        self.add_notice(
            f"session {self.session.get('id')} · agent {self.agent} · {model_label(self.session)}"
        )
        self.render_footer()

    def _show_history(self, messages: list[dict[str, Any]]) -> None:
        for m in messages:
            role = m.get("role")
            if role == "user":
                self.add_user(str(m.get("content") or ""))
            elif role == "assistant":
                if m.get("content"):
                    status = m.get("status")
                    suffix = f" [{status}]" if status in ("interrupted", "stopped") else ""
                    b = self._mount(Bubble("assistant", f"{self.agent or 'agent'}:", str(m["content"])))
                    b.suffix = suffix
                if isinstance(m.get("error"), dict):
                    self.add_error(m["error"])
            elif m.get("content"):
                self.add_notice(str(m["content"]))

    async def _refresh_session(self) -> None:
        if self.session is None:
            return
        sid = self.session.get("id")
        try:
            data = await self.client.get_session(str(sid))
        except ChatError:
            return
        if self.session is not None and self.session.get("id") == sid and data.get("session"):
            self.session = data["session"]
            self.render_footer()

    # ---------------------------------------------------------------------------------------- events

    def on_gateway_event(self, ev: dict[str, Any]) -> None:
        t = ev.get("type")
        if t in ("pong", "connected", None):
            return
        if t == "error":  # the gateway refused a frame (unknown session, invalid content, …)
            self.add_error(ev)
            return
        sid = ev.get("session_id")
        if self.session is None:
            return
        current = self.session.get("id")
        if t == "session.new" and ev.get("previous") == current and isinstance(ev.get("session"), dict):
            # someone sent /new to this session (another surface): follow it
            self.run_worker(self._switch(ev["session"]))
            return
        if sid and sid != current:
            return
        rid = str(ev.get("run_id") or "")
        if t == "subscribed":
            if isinstance(ev.get("session"), dict):
                self.session = ev["session"]
                self.render_footer()
        elif t == "run.started":
            self.active_runs.add(rid)
            if isinstance(ev.get("model"), dict) and ev["model"].get("ref"):
                self.session["model"] = ev["model"]
                self.render_footer()
            self._bubble(rid)
        elif t == "token":
            self.active_runs.add(rid)
            self._bubble(rid).add(str(ev.get("text") or ""))
            self.call_after_refresh(self.transcript.scroll_end, animate=False)
        elif t == "run.error":
            self.errored.add(rid)
            b = self.bubbles.get(rid)
            if b is not None and not b.text:
                b.remove()
                del self.bubbles[rid]
            self.add_error(ev)
        elif t == "run.finished":
            self.active_runs.discard(rid)
            status = ev.get("status")
            b = self.bubbles.get(rid)
            if b is not None:
                if not b.text and status != "stopped":
                    b.remove()
                    del self.bubbles[rid]
                    if status == "completed":
                        self.add_notice(f"empty reply from {ev.get('ref') or 'the model'}")
                else:
                    b.finish(" [stopped]" if status == "stopped" else "")
            elif status == "stopped":
                self.add_notice(f"run {rid} stopped")
            if status in _FAILED and rid not in self.errored:
                err = ev.get("error") if isinstance(ev.get("error"), dict) else None
                self.add_error(
                    err
                    or {
                        "owner": "runtime",
                        "code": f"run.{status}",
                        "message": f"the run ended with status {status}"
                        + (f" ({ev['limit']} limit)" if ev.get("limit") else ""),
                        "next": ["clawgate logs --limit 20"],
                    }
                )
            self.run_worker(self._refresh_session(), group="refresh")
        elif t == "notice" and isinstance(ev.get("error"), dict):
            self.add_error(ev["error"])
        elif t == "notice":
            self.add_notice(str(ev.get("text") or ""))
            self.run_worker(self._refresh_session(), group="refresh")
        elif t == "session.status":
            self.add_notice("\n".join(plan_lines(ev.get("plan") or {})))
        else:
            summary = run_summary(ev)
            if summary:
                self.add_notice(summary)

    def _bubble(self, rid: str) -> Bubble:
        b = self.bubbles.get(rid)
        if b is None:
            b = self._mount(Bubble("assistant", f"{self.agent or 'agent'}:", streaming=True))
            self.bubbles[rid] = b
        return b

    async def _switch(self, session: dict[str, Any]) -> None:
        self.session = session
        self.active_runs.clear()
        if session.get("agent"):
            self.agent = str(session["agent"])
        self.add_notice(f"── new session {session.get('id')} · {model_label(session)} ──")
        self.render_footer()
        if self.ws is not None and not self.ws.closed:
            try:
                await self.ws.send({"type": "subscribe", "session_id": session["id"]})
            except ChatError as exc:
                self.add_error(exc.as_event())

    # ----------------------------------------------------------------------------------------- input

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        event.input.value = ""
        if not text:
            return
        cmd, _, arg = text.partition(" ")
        if cmd in ("/quit", "/exit"):
            self.exit(0)
        elif cmd == "/stop":
            self.add_user(text)
            self.run_worker(self._stop())
        elif cmd == "/new":
            self.add_user(text)
            self.run_worker(self._new(arg.strip() or None))
        else:
            self.add_user(text)
            self.run_worker(self._send(text))

    async def _send(self, text: str) -> None:
        ws = self.ws
        if ws is None or ws.closed or self.session is None:
            self.add_error(
                {
                    "owner": "runtime",
                    "code": "gateway.not_connected",
                    "message": f"not connected to the gateway at {self.target.url} ({self.state}); the message was not sent",
                    "next": ["clawgate gateway start", "clawgate gateway status"],
                }
            )
            return
        try:
            await ws.send({"type": "send", "session_id": self.session["id"], "content": text})
        except ChatError as exc:
            self.add_error(exc.as_event())

    async def _new(self, model: str | None) -> None:
        try:
            session = await self.client.create_session(self.agent or None, model)
        except ChatError as exc:
            self.add_error(exc.as_event())
            return
        await self._switch(session)

    async def _stop(self) -> None:
        if self.session is None:
            return
        try:
            stopped = await self.client.stop(str(self.session["id"]))
        except ChatError as exc:
            self.add_error(exc.as_event())
            return
        self.add_notice(f"stopped run {stopped}" if stopped else "no active run to stop")

    def action_stop_run(self) -> None:
        self.run_worker(self._stop())

    def action_interrupt(self) -> None:
        if self.active_runs:
            self.run_worker(self._stop())
        else:
            self.exit(0)

    def footer_plain(self) -> str:
        return footer_text(self.agent, self.session, self.state)

    def session_label(self) -> str:
        return session_label(self.session)
