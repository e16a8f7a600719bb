// Chat: talk to any agent through the sessions API (POST /api/sessions, POST /api/sessions/{id}/messages with
// the run's events streamed back as SSE). A failed run shows its owner, code and next command — never an empty
// bubble. Slash commands (/new, /model, /status, /stop) are handled by the gateway like in every other surface.
import { h, api, render, errorBox, badge, heading, fromNote, errorOf, ApiError, authLost, announce } from "./lib.js";

const chat = { agent: null, session: null, messages: [], running: false, agents: null };
let view = null; // the mounted view's redraw hooks, or null

function redraw() { if (view) view.draw(); }

/** Yields {type, ...} for each `event:`/`data:` block of an SSE body. */
async function* sseEvents(resp) {
  const reader = resp.body.getReader();
  const dec = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let m;
    while ((m = /\r?\n\r?\n/.exec(buf))) {
      const block = buf.slice(0, m.index);
      buf = buf.slice(m.index + m[0].length);
      let event = null;
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (!line || line.startsWith(":")) continue;
        const i = line.indexOf(":");
        const name = i < 0 ? line : line.slice(0, i);
        const val = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
        if (name === "event") event = val;
        else if (name === "data") data.push(val);
      }
      if (!data.length) continue;
      let obj;
      try { obj = JSON.parse(data.join("\n")); } catch { obj = { text: data.join("\n") }; }
      if (!obj.type && event) obj.type = event;
      yield obj;
    }
  }
}

async function ensureSession(text) {
  if (chat.session) return chat.session;
  const title = text.length > 60 ? `${text.slice(0, 57)}…` : text;
  const s = await api("/api/sessions", { method: "POST", body: { agent: chat.agent, title } });
  chat.session = s.id;
  return s.id;
}

function planText(plan) {
  if (!plan || !plan.model) return "";
  const atts = (plan.attempts || []).map((a, i) => `${i + 1}. ${a.ref} (${a.role}) via ${a.credential ? `${a.credential.source} ${a.credential.fingerprint || ""}` : "—"}`);
  return `model ${plan.model.ref} from ${plan.model.from}\n${atts.join("\n")}`;
}

async function send(text) {
  const user = { role: "user", text };
  const reply = { role: "assistant", agent: chat.agent, text: "", status: "sending", meta: null, error: null };
  chat.messages.push(user, reply);
  chat.running = true;
  redraw();
  const fail = (err) => {
    reply.error = { owner: err.owner, code: err.code, message: err.message, next: err.next || err.next_steps || [] };
    reply.status = "error";
  };
  try {
    const sid = await ensureSession(text);
    const resp = await fetch(`/api/sessions/${encodeURIComponent(sid)}/messages`, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ content: text, stream: true }),
    });
    if (!resp.ok) {
      let body = null;
      try { body = await resp.json(); } catch { /* not JSON */ }
      const err = new ApiError(resp.status, errorOf(body));
      if (resp.status === 401) authLost(err);
      throw err;
    }
    let finished = false;
    let sawRun = false;
    for await (const ev of sseEvents(resp)) {
      if (ev.type && (ev.type.startsWith("run.") || ev.type === "token")) sawRun = true;
      const before = (m) => chat.messages.splice(chat.messages.indexOf(reply), 0, m);
      switch (ev.type) {
        case "run.queued": reply.status = `queued (position ${ev.position ?? "?"})`; break;
        case "run.started": reply.status = "streaming"; reply.meta = { model: ev.model, credential: ev.credential }; break;
        case "token": reply.text += ev.text || ""; reply.status = "streaming"; break;
        case "run.error": fail(ev); break;
        case "run.finished":
          finished = true;
          if (reply.status !== "error") reply.status = ev.status || "completed";
          if (ev.ref && reply.meta && reply.meta.model && ev.ref !== reply.meta.model.ref) reply.servedBy = ev.ref;
          if (ev.credential) reply.servedWith = ev.credential; // after a failover: not the one run.started named
          if (ev.limit) reply.limit = ev.limit;
          break;
        case "notice": before({ role: "notice", text: ev.text || "" }); break;
        case "session.new":
          if (ev.session && ev.session.id) chat.session = ev.session.id;
          before({ role: "notice", text: `new session for agent ${ev.session ? ev.session.agent : chat.agent}` });
          break;
        case "session.status": before({ role: "notice", text: planText(ev.plan) }); break;
        default: break;
      }
      if (view) view.update(reply);
    }
    if (!sawRun) {
      chat.messages.splice(chat.messages.indexOf(reply), 1); // a slash command answered at once: no reply
    } else if (!finished && reply.status !== "error") {
      fail({
        owner: "runtime", code: "gateway.disconnected",
        message: "the event stream ended before the run finished" + (reply.text ? " (the reply may be incomplete)" : ""),
        next: ["clawgate logs --limit 20", "clawgate gateway status"],
      });
    }
  } catch (err) {
    fail(err);
  }
  chat.running = false;
  redraw();
  announce(reply.error ? `The run failed: ${reply.error.owner} ${reply.error.code}` : "Reply complete");
}

async function stop() {
  if (!chat.session) return;
  try {
    await api(`/api/sessions/${encodeURIComponent(chat.session)}/stop`, { method: "POST" });
  } catch (err) {
    if (err.status !== 401) chat.messages.push({ role: "assistant", text: "", status: "error", error: err });
    redraw();
  }
}

/** The credential that served the reply (source and fingerprint) and, after a failover, the one it replaced. */
function credentialNote(m) {
  const planned = m.meta && m.meta.credential;
  const served = m.servedWith;
  const cred = served || planned;
  if (!cred || !cred.fingerprint) return null;
  const switched = Boolean(served && planned && planned.fingerprint && served.fingerprint !== planned.fingerprint);
  return h("span", { class: "muted small cred", "data-fingerprint": cred.fingerprint },
    " · ", h("code", {}, cred.source || ""), " ", h("code", { class: "fp" }, cred.fingerprint),
    switched ? [" (after ", h("code", {}, planned.source || ""), " ", h("code", { class: "fp" }, planned.fingerprint), " failed)"] : null);
}

function bubble(m) {
  if (m.role === "notice") return h("li", { class: "msg notice" }, h("pre", {}, m.text));
  const content = h("div", { class: "msg-text" }, m.text);
  const empty = m.role === "assistant" && !m.text && !m.error;
  const status = m.status && m.status !== "completed" ? m.status : null;
  return h("li", { class: `msg ${m.role} ${m.error ? "has-error" : ""}`, "data-status": m.status || "" },
    h("p", { class: "msg-who" }, m.role === "user" ? "You" : `Agent ${m.agent || chat.agent}`,
      status ? [" ", badge(status, m.error || status === "timeout" ? "err" : status === "stopped" ? "warn" : "info")] : null,
      m.meta && m.meta.model ? h("span", { class: "muted small" }, " · ", h("code", {}, m.meta.model.ref || ""), " ", fromNote(m.meta.model.from)) : null,
      credentialNote(m),
      m.servedBy ? h("span", { class: "small" }, " · served by ", h("code", {}, m.servedBy), " (a fallback)") : null),
    m.text || !empty ? content : null,
    empty && !m.error ? h("p", { class: "muted small typing" }, m.status === "stopped" ? "(stopped before any text)" : "waiting for the first token…") : null,
    m.error ? errorBox(m.error, "this run failed") : null);
}

export default {
  title: "Chat",
  mount(el) {
    const agentSel = h("select", {
      id: "chat-agent",
      onchange: () => {
        // a new session for the other agent; the transcript above stays, marked
        chat.agent = agentSel.value;
        chat.session = null;
        if (chat.messages.length) chat.messages.push({ role: "notice", text: `— agent ${chat.agent}, new session —` });
        draw();
      },
    });
    const log = h("ol", { class: "chat-log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
    const input = h("textarea", { id: "chat-input", rows: 3, placeholder: "Ask something — Enter sends, Shift+Enter adds a line. /new, /model REF, /status, /stop work too.", required: true });
    const sendBtn = h("button", { class: "btn primary", type: "submit" }, "Send");
    const stopBtn = h("button", { class: "btn danger", type: "button", onclick: stop }, "Stop");
    const newBtn = h("button", { class: "btn", type: "button", onclick: () => { chat.session = null; chat.messages = []; draw(); input.focus(); } }, "New conversation");
    const form = h("form", {
      class: "chat-form",
      onsubmit: (e) => {
        e.preventDefault();
        const text = input.value.trim();
        if (!text || chat.running || !chat.agent) return;
        input.value = "";
        send(text);
      },
    }, h("label", { for: "chat-input" }, "Message"), input, h("div", { class: "chat-actions" }, sendBtn, stopBtn));
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
    });
    render(el, heading("Chat", h("div", { class: "controls" }, h("label", { for: "chat-agent" }, "Agent "), agentSel, newBtn)),
      h("p", { class: "lede" }, "A conversation with an agent through the gateway's sessions API — the same path as ", h("code", {}, "clawgate chat"), "."),
      log, form);

    function draw() {
      render(log, chat.messages.length ? chat.messages.map(bubble) : h("li", { class: "msg notice muted" }, "No messages yet."));
      log.setAttribute("aria-busy", chat.running ? "true" : "false");
      sendBtn.disabled = chat.running || !chat.agent;
      stopBtn.hidden = !chat.running;
      log.scrollTop = log.scrollHeight;
    }
    function update(reply) {
      // a streamed token: redraw only the last bubble
      const last = log.lastElementChild;
      const fresh = bubble(reply);
      if (last && chat.messages[chat.messages.length - 1] === reply && last.classList.contains("assistant")) last.replaceWith(fresh);
      else draw();
      log.scrollTop = log.scrollHeight;
    }
    view = { draw, update };

    const fill = (agents) => {
      render(agentSel, agents.map((a) => h("option", { value: a.id, selected: a.id === chat.agent },
        `${a.id}${a.plan && a.plan.model.ref ? ` — ${a.plan.model.ref}` : ""}`)));
      if (!chat.agent) chat.agent = (agents.find((a) => a.default) || agents[0] || {}).id || null;
      agentSel.value = chat.agent || "";
      draw();
    };
    if (chat.agents) fill(chat.agents);
    else {
      draw();
      api("/api/ui/agents").then((d) => { chat.agents = d.agents; fill(d.agents); })
        .catch((err) => { if (err.status !== 401) render(log, h("li", {}, errorBox(err, "loading the agents"))); });
    }
    return { unmount() { view = null; } };
  },
};
