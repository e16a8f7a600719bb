// Failures: recent failures grouped by owner and code; per provider credential, the failure that started it
// first (with the provider's message and the next command), then its repeats.
import { h, api, render, errorBox, nextSteps, badge, ownerBadge, loading, heading, timeAt, timeAgo, fp } from "./lib.js";

const WINDOWS = [[900, "15 minutes"], [3600, "hour"], [86400, "24 hours"]];
let windowS = 3600;

function stream(s) {
  const f = s.first || {};
  const hl = s.health;
  return h("li", { class: "stream", "data-owner": s.owner, "data-code": s.code, "data-provider": s.provider },
    h("p", { class: "stream-head" },
      h("code", {}, s.provider || "—"), " ", s.credential && s.credential.source ? h("code", {}, s.credential.source) : null, " ", fp(s.credential),
      hl ? [" ", badge(hl.state, hl.state === "cooling" ? "warn" : "err"), hl.until ? [" until ", timeAt(hl.until)] : null] : null),
    h("div", { class: "first" },
      h("p", { class: "first-label" }, h("strong", {}, "First failure"), " ", timeAt(f.ts), " ",
        f.status ? badge(`HTTP ${f.status}`, "neutral") : null, " ",
        f.from_health ? h("span", { class: "muted small" }, "(kept by the health state; it started this cooldown)") : null,
        f.agent || f.ref ? h("span", { class: "muted small" }, ` · ${f.purpose || "call"}${f.agent ? ` for agent ${f.agent}` : ""}${f.ref ? ` on ${f.ref}` : ""}`) : null),
      h("blockquote", { class: "provider-msg" }, f.message || "(no message)"),
      nextSteps(s.next)),
    s.repeats ? h("p", { class: "repeats small" },
      `Then ${s.repeats} repeat${s.repeats > 1 ? "s" : ""}`,
      s.refused ? `, ${s.refused} refused without sending (from the health state)` : "",
      "; last ", timeAgo(s.last_ts), ".") : null);
}

function group(g) {
  const id = `fg-${g.owner}-${g.code}`.replace(/[^a-zA-Z0-9_-]/g, "_");
  return h("section", { class: "card failure-group", "aria-labelledby": id, "data-owner": g.owner, "data-code": g.code },
    h("h2", { id }, ownerBadge(g.owner), " ", h("code", {}, g.code), " ",
      h("span", { class: "muted small" }, `${g.count} failure${g.count > 1 ? "s" : ""} · last `, timeAgo(g.last_ts))),
    h("ul", { class: "streams" }, g.streams.map(stream)));
}

export default {
  title: "Failures",
  mount(el) {
    const body = h("div", {}, loading());
    const select = h("select", { id: "fail-window", onchange: () => { windowS = Number(select.value); load(); } },
      WINDOWS.map(([v, label]) => h("option", { value: v, selected: v === windowS }, `last ${label}`)));
    render(el, heading("Failures", h("div", { class: "controls" }, h("label", { for: "fail-window" }, "Show "), select)),
      h("p", { class: "lede" }, "Grouped by the layer that failed (owner) and code. The failure that started a run of errors — or a cooldown — comes first, with the provider's own message and the command to run next."),
      body);
    const load = async () => {
      try {
        const data = await api(`/api/ui/failures?window=${windowS}`);
        render(body, data.groups.length ? h("div", { class: "stack" }, data.groups.map(group))
          : h("div", { class: "card" }, h("p", {}, badge("none", "ok"), " No failed call or try in this window.")));
      } catch (err) {
        if (err.status !== 401) render(body, errorBox(err, "loading the failures"));
      }
    };
    load();
    return { update(changed) { if (changed.includes("failures") || changed.includes("health")) load(); } };
  },
};
