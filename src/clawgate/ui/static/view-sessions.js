// Sessions: active runs with their age and last activity (stuck ones highlighted) and a Stop button; then the
// recent sessions. Reads the sessions API (docs/sessions-api.md): GET /api/sessions, GET /api/runs/{id},
// POST /api/sessions/{id}/stop.
import { h, api, render, errorBox, badge, loading, heading, timeAgo, fmtDuration, announce, fromNote, nextSteps } from "./lib.js";

/** A run silent for a quarter of its idle limit (5–30 s) is shown as stuck; the watchdog ends it at the limit. */
export function stuckAfter(idle) {
  return Math.max(5, Math.min(30, (idle || 120) / 4));
}

export default {
  title: "Sessions",
  mount(el) {
    const body = h("div", {}, loading());
    render(el, heading("Sessions", h("p", { class: "lede" },
      "Runs in progress, how long they have run and when they last received anything. A run that has been silent for a while is highlighted as stuck; the watchdog ends it at its idle limit, or stop it here.")), body);
    let alive = true;
    let limits = {};
    let sessions = [];
    let runs = {};
    let active = 0;
    let busy = false;
    const stopping = new Set();
    const messages = new Map(); // session id -> result line after a stop

    const limitsLoad = api("/api/ui/agents").then((d) => {
      for (const a of d.agents) limits[a.id] = a.watchdog || null;
    }).catch(() => {});

    async function stop(s) {
      stopping.add(s.id);
      draw();
      try {
        const r = await api(`/api/sessions/${encodeURIComponent(s.id)}/stop`, { method: "POST" });
        messages.set(s.id, r.stopped ? `Stopped run ${r.stopped}.` : "Nothing was running.");
        announce(r.stopped ? `Stopped the run of session ${s.title || s.id}` : "Nothing was running");
      } catch (err) {
        if (err.status === 401) return;
        messages.set(s.id, err);
      }
      stopping.delete(s.id);
      await load();
    }

    function runRow(s) {
      const r = runs[s.active_run_id] || {};
      const now = Date.now() / 1000;
      const lim = limits[s.agent];
      const idle = lim ? lim.idle : 120;
      const last = r.last_activity_at || r.started_at || r.created_at;
      const silent = last ? now - last : 0;
      const stuck = r.status === "running" && silent >= stuckAfter(idle);
      const msg = messages.get(s.id);
      return h("li", { class: `run card ${stuck ? "stuck" : ""}`, "data-session": s.id, "data-stuck": stuck ? "true" : "false" },
        h("div", { class: "card-head" },
          h("h3", {}, s.title || "(untitled)", " ", h("span", { class: "muted small" }, `agent ${s.agent}`)),
          h("button", {
            class: "btn danger", type: "button", onclick: () => stop(s), disabled: stopping.has(s.id),
            "data-focus-key": `stop:${s.id}`, "aria-label": `Stop the run of ${s.title || s.id}`,
          }, stopping.has(s.id) ? "Stopping…" : "Stop")),
        h("p", {},
          badge(r.status || "running", stuck ? "err" : "info"), " ",
          stuck ? badge("stuck", "err", "no activity for a while") : null, " ",
          r.ref ? h("code", {}, r.ref) : null,
          r.credential && r.credential.fingerprint ? [" ", h("code", { class: "fp" }, r.credential.fingerprint)] : null),
        h("p", { class: "small" },
          "Running for ", h("strong", { "data-since": r.started_at || r.created_at }, fmtDuration(now - (r.started_at || r.created_at || now))),
          " · last activity ", last ? timeAgo(last) : "—",
          lim ? h("span", { class: "muted" }, ` · the watchdog ends it after ${lim.idle} s without activity `, fromNote(lim.idle_from)) : null,
          s.queued ? ` · ${s.queued} queued` : ""),
        msg ? (typeof msg === "string" ? h("p", { class: "small", role: "status" }, msg) : errorBox(msg, "stop")) : null);
    }

    function sessionRow(s) {
      const msg = messages.get(s.id);
      return h("tr", { "data-session": s.id },
        h("td", {}, s.title || h("span", { class: "muted" }, "(untitled)"), s.kind && s.kind !== "chat" ? [" ", badge(s.kind, "neutral")] : null),
        h("td", {}, h("code", {}, s.agent)),
        h("td", {}, s.model && s.model.ref ? h("code", { class: "small" }, s.model.ref) : "—"),
        h("td", { class: "num" }, String(s.message_count ?? "")),
        h("td", {}, timeAgo(s.updated_at),
          msg && typeof msg === "string" ? h("div", { class: "small muted" }, msg) : null));
    }

    function draw() {
      if (!alive) return;
      const act = sessions.filter((s) => s.active_run_id);
      const rest = sessions.filter((s) => !s.active_run_id);
      render(body, h("div", { class: "sections" },
        h("section", { "aria-labelledby": "runs-title" },
          h("h2", { id: "runs-title" }, `Active runs (${act.length})`),
          act.length ? h("ul", { class: "runs stack" }, act.map(runRow)) : h("p", { class: "muted" }, "No run in progress.")),
        h("section", { "aria-labelledby": "sess-title" },
          h("h2", { id: "sess-title" }, "Recent sessions"),
          rest.length ? h("div", { class: "table-wrap" }, h("table", {},
            h("thead", {}, h("tr", {}, ["Title", "Agent", "Model", "Messages", "Updated"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, rest.map(sessionRow)))) : h("p", { class: "muted" }, "No other session yet. Start one in ", h("a", { href: "#/chat" }, "Chat"), "."))));
    }

    async function load() {
      if (busy) return;
      busy = true;
      try {
        await limitsLoad;
        const data = await api("/api/sessions?limit=50");
        sessions = data.sessions || [];
        const ids = sessions.filter((s) => s.active_run_id).map((s) => s.active_run_id);
        const got = await Promise.all(ids.map((id) => api(`/api/runs/${encodeURIComponent(id)}`).catch(() => null)));
        runs = {};
        got.forEach((r, i) => { if (r) runs[ids[i]] = r.run || r; });
        active = ids.length;
        draw();
      } catch (err) {
        if (err.status === 401) return;
        if (err.status === 404) {
          render(body, h("div", { class: "card" }, h("p", {}, "This gateway has no sessions API yet (it answered 404)."),
            nextSteps(["clawgate gateway restart"])));
        } else {
          render(body, errorBox(err, "loading the sessions"));
        }
      } finally {
        busy = false;
      }
    }

    load();
    return {
      // sessions change without a failure or reload: follow them on every tick while a run is active
      update(changed) { if (changed.includes("sessions") || active) load(); },
      tick() {
        for (const t of body.querySelectorAll("[data-since]")) t.textContent = fmtDuration(Date.now() / 1000 - Number(t.dataset.since));
      },
      unmount() { alive = false; },
    };
  },
};

