// Agents: each agent's effective model and fallbacks, where each value comes from and what it shadows (an
// agent's own model beating agents.defaults.model is the classic trap), and the plan a call follows.
import { h, api, render, kv, fromNote, errorBox, nextSteps, badge, sevBadge, stateBadge, loading, heading, fp, timeAt } from "./lib.js";

const STATUS_TONE = { ok: "ok", no_credential: "err", error: "err", rejected: "err", blocked: "err", cooling: "warn" };

export function credentialLine(c) {
  if (!c || c.source === "none") {
    return h("span", {}, badge(c && c.note ? "not required" : "no credential", c && c.note ? "info" : "err"), " ",
      c && c.checked && c.checked.length ? h("span", { class: "muted small" }, `checked: ${c.checked.join("; ")}`) : null);
  }
  return h("span", {}, h("code", {}, c.source), " ", fp(c),
    c.origin ? h("span", { class: "muted small" }, ` · ${c.origin}`) : null,
    c.inherited_from ? h("span", { class: "muted small" }, ` · inherited from ${c.inherited_from}`) : null);
}

export function shadowedList(list) {
  if (!list || !list.length) return null;
  return h("ul", { class: "shadowed" }, list.map((s) => h("li", {},
    badge("shadowed", "warn", "a lower-priority credential this one beats"), " ",
    h("code", {}, s.source), " ", s.fingerprint ? h("code", { class: "fp" }, s.fingerprint) : null,
    s.origin ? h("span", { class: "muted small" }, ` · ${s.origin}`) : null,
    s.unusable ? h("span", { class: "err-text small" }, ` · unusable: ${s.unusable}`) : null)));
}

export function healthLine(hl) {
  if (!hl || !hl.state || hl.state === "ok") return stateBadge("ok");
  const ff = hl.first_failure || {};
  return h("span", {}, stateBadge(hl.state),
    hl.until ? [" until ", timeAt(hl.until)] : null,
    ff.time ? h("span", { class: "small" }, " · since ", timeAt(ff.time), `: ${ff.owner || ""} ${ff.status || ""} ${ff.code || ""} — ${ff.message || ""}`) : null);
}

function attemptItem(a, i) {
  const status = a.status || "ok";
  return h("li", { class: "attempt" },
    h("p", { class: "attempt-head" },
      h("span", { class: "num" }, `${i + 1}.`), " ", badge(a.role, a.role === "primary" ? "info" : "neutral"), " ",
      h("code", { class: "ref" }, a.ref), " ", fromNote(a.from), " ",
      badge(status.replace("_", " "), STATUS_TONE[status] || "info")),
    a.error ? errorBox(a.error, "this attempt cannot be made") : null,
    a.api ? kv([
      ["Provider", [h("code", {}, a.provider), " · ", h("code", {}, a.api), " ", h("span", { class: "muted" }, a.base_url || "")]],
      ["Credential", credentialLine(a.credential)],
      a.credential && a.credential.shadowed && a.credential.shadowed.length ? ["Shadows", shadowedList(a.credential.shadowed)] : null,
      ["Health", healthLine(a.health)],
    ]) : null);
}

function agentCard(a) {
  if (a.error) {
    return h("section", { class: "card", "aria-labelledby": `ag-${a.id}` },
      h("h2", { id: `ag-${a.id}` }, a.id), errorBox(a.error, "resolving this agent"));
  }
  const p = a.plan;
  const m = p.model;
  const trap = (a.findings || []).filter((f) => f.code.startsWith("model."));
  const others = (a.findings || []).filter((f) => !f.code.startsWith("model."));
  return h("section", { class: "card agent", "aria-labelledby": `ag-${a.id}`, "data-agent": a.id },
    h("h2", { id: `ag-${a.id}` }, a.id, " ", a.default ? badge("default", "info") : null,
      a.name ? h("span", { class: "muted" }, ` ${a.name}`) : null,
      a.path ? h("code", { class: "small muted" }, ` ${a.path}`) : h("span", { class: "muted small" }, " (implicit)")),
    kv([
      ["Model", m.ref ? [h("code", { class: "ref" }, m.ref), " ", fromNote(m.from)]
        : [badge("no model", "err"), " ", h("code", {}, "clawgate config set agents.defaults.model.primary PROVIDER/MODEL")]],
      m.shadows && m.shadows.length ? ["Shadows", h("ul", { class: "shadowed" }, m.shadows.map((s) => h("li", {},
        badge("shadowed", "warn"), " ", h("code", {}, s.from), " = ", h("code", {}, s.ref))))] : null,
      ["Fallbacks", m.fallbacks && m.fallbacks.length
        ? h("ol", { class: "fallbacks" }, m.fallbacks.map((f) => h("li", {}, h("code", {}, f.ref), " ", fromNote(f.from))))
        : h("span", { class: "muted" }, "none")],
      a.watchdog ? ["Watchdog", h("span", { class: "small" }, `idle ${a.watchdog.idle} s `, fromNote(a.watchdog.idle_from),
        ` · total ${a.watchdog.total} s `, fromNote(a.watchdog.total_from))] : null,
    ]),
    m.shadows && m.shadows.length ? h("div", { class: "warnbox" },
      h("p", {}, h("strong", {}, "This agent's own model wins: "),
        `${m.from} beats ${m.shadows.map((s) => s.from).join(", ")}. Setting the default does not change this agent.`),
      trap.map((f) => [h("p", { class: "small" }, f.message), nextSteps(f.next)])) : null,
    h("h3", {}, "Plan: what a call for this agent tries, in order"),
    h("ol", { class: "attempts" }, p.attempts.map(attemptItem)),
    others.length ? [h("h3", {}, "Findings"), h("ul", { class: "findings" }, others.map((f) => h("li", {},
      sevBadge(f.severity), " ", h("code", {}, f.code), " ", f.message, nextSteps(f.next))))] : null);
}

export default {
  title: "Agents",
  mount(el) {
    const body = h("div", {}, loading());
    render(el, heading("Agents", h("p", { class: "lede" },
      "Each agent's model and fallbacks, the config path each value comes from, and what it shadows — as ",
      h("code", {}, "clawgate models status --all-agents"), " shows it.")), body);
    const load = async () => {
      try {
        const data = await api("/api/ui/agents");
        render(body, h("div", { class: "stack" }, data.agents.map(agentCard)));
      } catch (err) {
        if (err.status !== 401) render(body, errorBox(err, "loading the agents"));
      }
    };
    load();
    return { update(changed) { if (changed.includes("status") || changed.includes("health")) load(); } };
  },
};
