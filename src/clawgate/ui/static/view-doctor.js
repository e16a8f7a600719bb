// Doctor: run `clawgate doctor` in the gateway and show its findings, with the fixes `--fix` would apply.
// Nothing is applied from the browser: fixes edit files and write a backup, which stays a terminal decision.
import { h, api, render, errorBox, nextSteps, badge, sevBadge, loading, heading, timeAt, cmd, announce } from "./lib.js";

let last = null; // the last result survives switching views

function findingItem(f) {
  return h("li", { class: `finding ${f.severity}`, "data-code": f.code },
    h("p", { class: "finding-head" }, sevBadge(f.severity), " ", h("code", {}, f.code),
      f.owner ? h("span", { class: "muted small" }, ` · owner ${f.owner}`) : null),
    h("p", {}, f.message),
    nextSteps(f.next));
}

function result(d) {
  const counts = { error: 0, warn: 0, info: 0 };
  for (const f of d.findings) counts[f.severity] = (counts[f.severity] || 0) + 1;
  return [
    h("p", { class: "summary" }, d.ok ? badge("no errors", "ok") : badge(`${counts.error} error(s)`, "err"), " ",
      counts.warn ? badge(`${counts.warn} warning(s)`, "warn") : null, " ",
      h("span", { class: "muted small" }, "ran at ", timeAt(d.at), " · config ", h("code", {}, d.meta.config))),
    h("section", { class: "card", "aria-labelledby": "doc-fixes" },
      h("h2", { id: "doc-fixes" }, "Fixes ", h("code", {}, "doctor --fix"), " would apply"),
      d.fixes.length ? [
        h("ul", { class: "fixes" }, d.fixes.map((fx) => h("li", {},
          h("p", {}, fx.description, " ", h("code", { class: "muted small" }, fx.code)),
          fx.files.length ? h("p", { class: "small muted" }, "changes: ", fx.files.map((f, i) => [i ? ", " : "", h("code", {}, f)])) : null))),
        h("p", { class: "small" }, "Shown, not applied. To apply them (a backup is written first), run in a terminal: ", cmd("clawgate doctor --fix")),
      ] : h("p", { class: "muted" }, "No automatic fix applies to these findings.")),
    h("section", { class: "card", "aria-labelledby": "doc-findings" },
      h("h2", { id: "doc-findings" }, `Findings (${d.findings.length})`),
      d.findings.length ? h("ol", { class: "findings" }, d.findings.map(findingItem)) : h("p", {}, badge("healthy", "ok"), " Nothing to report.")),
  ];
}

export default {
  title: "Doctor",
  mount(el) {
    const body = h("div", { class: "stack", "aria-live": "polite" }, last ? result(last) : null);
    let running = false;
    const btn = h("button", { class: "btn primary", type: "button", "data-focus-key": "run-doctor", onclick: () => run() }, "Run doctor");
    render(el, heading("Doctor", h("div", { class: "controls" }, btn)),
      h("p", { class: "lede" }, "Every problem with the config, environment, credentials and providers, ordered by severity and cause before symptom, each with the next command — the same as ",
        h("code", {}, "clawgate doctor"), " (offline; use Probe on Providers for live checks)."),
      body);
    async function run() {
      if (running) return;
      running = true;
      btn.disabled = true;
      btn.textContent = "Running…";
      if (!last) render(body, loading("Running doctor…"));
      try {
        last = await api("/api/ui/doctor", { method: "POST" });
        render(body, result(last));
        announce(`Doctor: ${last.findings.length} finding(s)`);
      } catch (err) {
        if (err.status !== 401) render(body, errorBox(err, "running doctor"));
      } finally {
        running = false;
        btn.disabled = false;
        btn.textContent = "Run doctor again";
      }
    }
    if (!last) run();
    else btn.textContent = "Run doctor again";
    return {};
  },
};
