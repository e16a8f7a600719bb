// Providers and credentials: adapter, base URL, which credential wins (source, origin, fingerprint) and which it
// shadows, health (cooling / rejected since when, the first failure), and a Probe button that runs the CLI's
// probe (`clawgate models status --probe --probe-provider P --probe-all`) through the gateway's executor, and the
// next command to run (add a credential, what the failure that started an unhealthy state calls for, or the probe).
import { h, api, render, kv, fromNote, errorBox, nextSteps, badge, ownerBadge, loading, heading, timeAt, announce } from "./lib.js";
import { credentialLine, shadowedList } from "./view-agents.js";

const probes = new Map(); // provider -> {running, result, error}: kept across live re-renders

function healthItem(r) {
  const ff = r.first_failure || {};
  return h("li", { class: `health ${r.state}` },
    h("p", {}, badge(r.state, r.state === "cooling" ? "warn" : "err"), " ",
      h("code", { class: "fp" }, r.fingerprint), r.credential ? [" ", h("code", {}, r.credential)] : null,
      r.model && r.model !== "*" ? [" · model ", h("code", {}, r.model)] : null,
      ff.time ? [" · since ", timeAt(ff.time)] : null,
      r.until ? [" · until ", timeAt(r.until)] : null,
      h("span", { class: "muted" }, ` · ${r.failures} failure(s)`)),
    ff.time ? h("p", { class: "small first" }, h("strong", {}, "First failure: "),
      ownerBadge(ff.owner), " ", ff.status ? `HTTP ${ff.status} ` : "", h("code", {}, ff.code || ""), " — ", ff.message || "") : null);
}

function probeTry(t) {
  const cred = t.credential ? [h("code", {}, t.credential.source), " ", h("code", { class: "fp" }, t.credential.fingerprint || "")] : h("span", { class: "muted" }, "no credential");
  if (t.ok) {
    return h("li", { class: "try ok" }, h("span", { class: "mark", "aria-hidden": "true" }, "✓"), h("span", { class: "sr-only" }, "passed: "),
      cred, " ", badge(`HTTP ${t.status}`, "ok"), ` ${t.latency_ms ?? "?"} ms`);
  }
  return h("li", { class: "try fail" }, h("span", { class: "mark", "aria-hidden": "true" }, "✗"), h("span", { class: "sr-only" }, "failed: "),
    cred, " ", ownerBadge(t.owner), " ", h("code", {}, t.code || ""), t.sent === false ? h("span", { class: "muted" }, " (not sent)") : null,
    h("div", { class: "small" }, t.message || ""));
}

function probeResult(pr) {
  if (!pr) return null;
  if (pr.running) return h("p", { class: "muted", role: "status" }, "Probing… (a minimal real request per credential)");
  if (pr.error) return errorBox(pr.error, "probe");
  const res = pr.result;
  return h("div", { class: `probe-result ${res.ok ? "ok" : "fail"}`, "data-probe": res.provider },
    h("p", {}, res.ok ? badge("probe ok", "ok") : badge("probe failed", "err"), " ",
      h("span", { class: "muted small" }, "at ", timeAt(res.at), " · same as "), h("code", { class: "small" }, res.cli)),
    h("ul", { class: "probe-attempts" }, res.results.map((r) => h("li", {},
      h("p", {}, h("code", {}, r.ref), h("span", { class: "muted" }, ` · agent ${r.agent} · ${r.role}`), " ",
        r.ok ? badge("ok", "ok") : r.served ? badge("served, but a credential failed on the way", "warn") : badge(`${r.owner} ${r.code}`, "err")),
      h("ul", { class: "tries" }, (r.credentials || []).map(probeTry)),
      !r.ok ? nextSteps(r.next) : null))));
}

function providerCard(p, rerender) {
  const pr = probes.get(p.id);
  const running = pr && pr.running;
  const run = async () => {
    probes.set(p.id, { running: true });
    rerender();
    announce(`Probing ${p.id}`);
    try {
      const result = await api("/api/ui/probe", { method: "POST", body: { provider: p.id } });
      probes.set(p.id, { result });
      announce(`Probe of ${p.id}: ${result.ok ? "ok" : "failed"}`);
    } catch (err) {
      if (err.status === 401) return;
      probes.set(p.id, { error: err });
      announce(`Probe of ${p.id} could not run`);
    }
    rerender();
  };
  const states = p.health.map((r) => r.state);
  return h("section", { class: "card provider", "aria-labelledby": `pv-${p.id}`, "data-provider": p.id },
    h("div", { class: "card-head" },
      h("h2", { id: `pv-${p.id}` }, p.id, p.name && p.name !== p.id ? h("span", { class: "muted" }, ` ${p.name}`) : null, " ",
        states.length ? badge(states.includes("rejected") ? "rejected" : states[0], states.includes("cooling") && !states.includes("rejected") ? "warn" : "err") : badge("healthy", "ok")),
      p.used_by.length ? h("button", {
        class: "btn", type: "button", onclick: run, disabled: running, "aria-busy": running ? "true" : null,
        "data-focus-key": `probe:${p.id}`, "aria-describedby": `pv-${p.id}`,
      }, running ? "Probing…" : `Probe ${p.id}`) : null),
    kv([
      ["Adapter", [h("code", {}, p.api.value), " ", fromNote(p.api.from)]],
      ["Base URL", [h("code", { class: "path" }, p.base_url.expanded || p.base_url.value || "—"), " ", fromNote(p.base_url.from),
        (p.base_url.shadows || []).map((s) => h("div", { class: "small" }, badge("shadowed", "warn"), " ", h("code", {}, s.from), " = ", h("code", {}, String(s.value))))]],
      ["Used by", p.used_by.length ? p.used_by.map((u, i) => [i ? ", " : "", h("code", {}, u.agent), h("span", { class: "muted" }, ` (${u.role} ${u.ref})`)])
        : h("span", { class: "muted" }, "no agent's plan (configured or has a credential)")],
    ]),
    h("h3", {}, "Credential"),
    p.credentials.map((c) => h("div", { class: "cred" },
      p.credentials.length > 1 || (c.agents.length && c.agents[0] !== "main")
        ? h("p", { class: "small muted" }, `for agent(s): ${c.agents.join(", ")}`) : null,
      kv([
        ["Winner", credentialLine(c)],
        c.shadowed && c.shadowed.length ? ["Shadows", shadowedList(c.shadowed)] : null,
        c.issues && c.issues.length ? ["Issues", h("ul", {}, c.issues.map((i) => h("li", { class: "small" }, h("code", {}, i.code || ""), " ", i.message || "")))] : null,
      ]))),
    h("h3", {}, "Health"),
    p.health.length ? h("ul", { class: "health-list" }, p.health.map(healthItem))
      : h("p", { class: "muted" }, "No credential of this provider is rejected, cooling down or blocked."),
    h("div", { class: "probe-area", "aria-live": "polite" }, probeResult(pr)),
    h("div", { class: "provider-next" }, nextSteps(p.next && p.next.length ? p.next : [p.probe])));
}

export default {
  title: "Providers",
  mount(el) {
    const body = h("div", {}, loading());
    render(el, heading("Providers and credentials", h("p", { class: "lede" },
      "Which adapter, endpoint and credential each provider uses, what each shadows, and whether the provider accepts it. ",
      "Keys are only ever shown as fingerprints.")), body);
    let data = null;
    let alive = true;
    const rerender = () => { if (alive && data) render(body, h("div", { class: "stack" }, data.providers.map((p) => providerCard(p, rerender)))); };
    const load = async () => {
      try {
        data = await api("/api/ui/providers");
        if (!data.providers.length) {
          render(body, h("div", { class: "card" }, h("p", {}, "No provider has a credential or a config entry yet."),
            nextSteps(["clawgate env set OPENROUTER_API_KEY", "clawgate models list --all"])));
          return;
        }
        rerender();
      } catch (err) {
        if (err.status !== 401) render(body, errorBox(err, "loading the providers"));
      }
    };
    load();
    return {
      update(changed) { if (changed.includes("status") || changed.includes("health")) load(); },
      unmount() { alive = false; },
    };
  },
};
