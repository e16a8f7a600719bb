// Overview: the gateway (version, address, paths, uptime, auth), its last config reload, and the last hour.
import { h, api, render, kv, fromNote, timeAt, timeAgo, fmtDuration, errorBox, ownerBadge, loading, heading, badge } from "./lib.js";

function bars(counts, empty) {
  const entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1]);
  if (!entries.length) return h("p", { class: "muted" }, empty);
  const max = Math.max(...entries.map(([, n]) => n));
  return h("ul", { class: "bars" }, entries.map(([k, n]) =>
    h("li", {},
      h("span", { class: "bar-label" }, ownerBadge(k)),
      h("span", { class: "bar", "aria-hidden": "true" }, h("span", { class: "bar-fill", style: { width: `${Math.max(4, (100 * n) / max)}%` } })),
      h("span", { class: "bar-n" }, String(n)))));
}

function plain(counts, empty) {
  const entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1]);
  if (!entries.length) return h("span", { class: "muted" }, empty);
  return entries.map(([k, n]) => `${k} ${n}`).join(" · ");
}

function build(o) {
  const rel = o.reload || {};
  const auth = o.auth || {};
  const calls = o.calls_last_hour || {};
  const health = o.health || {};
  const uptime = h("span", { "data-uptime-from": o.started_at }, fmtDuration(o.uptime_s));
  return [
    h("div", { class: "grid" },
      h("section", { class: "card", "aria-labelledby": "ov-gw" },
        h("h2", { id: "ov-gw" }, "Gateway"),
        kv([
          ["Version", h("code", {}, o.version)],
          ["Address", h("code", {}, o.address || "—")],
          ["Uptime", [uptime, h("span", { class: "muted" }, " · since ", timeAt(o.started_at)), h("span", { class: "muted" }, ` · pid ${o.pid}`)]],
          ["Auth", auth.mode === "token"
            ? [badge("token", "ok"), " ", h("code", { class: "fp" }, auth.fingerprint || "?"), " ", fromNote(auth.source)]
            : [badge("none", "warn"), " ", h("span", { class: "muted" }, "no gateway token (loopback only)")]],
          ["Config", [h("code", { class: "path" }, o.config), " ", fromNote(o.config_from),
            o.config_exists ? null : h("span", { class: "muted" }, " (not created yet: built-in defaults)")]],
          ["State dir", [h("code", { class: "path" }, o.home), " ", fromNote(o.home_from)]],
          ["State db", h("code", { class: "path" }, o.state_db)],
        ])),
      h("section", { class: "card", "aria-labelledby": "ov-reload" },
        h("h2", { id: "ov-reload" }, "Config reload"),
        kv([
          ["Reloads", `${Math.max(0, (rel.count ?? 1) - 1)} since the start`],
          ["Last reload", rel.last ? [timeAt(rel.last), " (", timeAgo(rel.last), ")"] : h("span", { class: "muted" }, "none since the start")],
          ["Last edit", rel.error ? badge("rejected", "err") : badge("accepted", "ok")],
        ]),
        rel.error ? [
          h("p", {}, "The last edit of the config was rejected; the last good config keeps serving."),
          errorBox(rel.error, "config"),
        ] : h("p", { class: "muted" }, "Edits to the config, .env and auth profiles are picked up without a restart.")),
      h("section", { class: "card", "aria-labelledby": "ov-hour" },
        h("h2", { id: "ov-hour" }, "Last hour"),
        h("p", { class: "stats" },
          h("span", { class: "stat" }, h("strong", {}, `${calls.calls ?? 0}${calls.capped ? "+" : ""}`), " calls"),
          h("span", { class: "stat ok" }, h("strong", {}, String(calls.served ?? 0)), " served"),
          h("span", { class: `stat ${calls.failed ? "err" : ""}` }, h("strong", {}, String(calls.failed ?? 0)), " failed")),
        h("h3", {}, "Failed calls by owner"),
        bars(calls.failed_by_owner, "No failed call."),
        h("h3", {}, "Failed tries by owner"),
        h("p", { class: "small" }, plain(calls.failed_attempts_by_owner, "none"),
          h("span", { class: "muted" }, " — tries include those a fallback or another credential covered for")),
        h("h3", {}, "Calls by purpose"),
        h("p", { class: "small" }, plain(calls.by_purpose, "none")),
        calls.failed ? h("p", {}, h("a", { href: "#/failures" }, "See the failures and what to run next →")) : null),
      h("section", { class: "card", "aria-labelledby": "ov-health" },
        h("h2", { id: "ov-health" }, "Credential health"),
        Object.keys(health).length
          ? [h("p", {}, Object.entries(health).map(([s, n]) => [badge(s, s === "cooling" ? "warn" : "err"), ` ${n} `])),
            h("p", {}, h("a", { href: "#/providers" }, "Which credentials, since when, and the first failure →"))]
          : h("p", { class: "muted" }, "Every credential is usable (none rejected, cooling down or blocked)."),
        h("p", { class: "muted small" }, `${o.agents} agent(s) · default agent `, h("code", {}, o.default_agent || "—"),
          ` · ${o.inflight} call(s) in flight`)),
    ),
  ];
}

export default {
  title: "Overview",
  mount(el) {
    const body = h("div", {}, loading());
    render(el, heading("Overview"), body);
    let data = null;
    const load = async () => {
      try {
        data = await api("/api/ui/overview");
        render(body, build(data));
      } catch (err) {
        if (err.status !== 401) render(body, errorBox(err, "loading the overview"));
      }
    };
    load();
    return {
      update(changed) { if (changed.some((k) => ["status", "calls", "failures", "health"].includes(k))) load(); },
      tick() {
        const u = body.querySelector("[data-uptime-from]");
        if (u && data) u.textContent = fmtDuration(Date.now() / 1000 - Number(u.dataset.uptimeFrom));
      },
    };
  },
};

