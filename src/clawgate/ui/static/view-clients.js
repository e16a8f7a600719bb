// Clients: client keys (make one, rotate, revoke), devices (approve or reject a pairing request, revoke), and
// spend by key, agent, model and day. Changing anything takes the owner (the gateway token or a dashboard
// login); a paired device reads. A new key is shown once, here, and never again.
import { h, api, render, errorBox, badge, loading, heading, timeAgo, timeAt, cmd, announce } from "./lib.js";

const KEY_TONE = { active: "ok", revoked: "err", expired: "warn" };
const DEVICE_TONE = { approved: "ok", pending: "warn", rejected: "err", revoked: "err" };
const GROUPS = [["client", "key"], ["agent", "agent"], ["model", "model"], ["day", "day"]];
let spendBy = "client";

const usd = (n) => (n === null || n === undefined ? "—" : `$${Number(n).toFixed(n && n < 0.01 ? 6 : 4)}`);

function scopes(s) {
  const parts = [];
  if (s.agents && s.agents.length) parts.push(`agents ${s.agents.join(", ")}`);
  if (s.models && s.models.length) parts.push(`models ${s.models.join(", ")}`);
  return parts.length ? parts.join("; ") : h("span", { class: "muted" }, "any agent and model");
}

function budget(b) {
  if (!b) return h("span", { class: "muted" }, "none");
  return [usd(b.spent_usd), ` of $${b.usd} this ${b.period}`];
}

function action(label, onclick, cls = "btn") {
  return h("button", { class: cls, type: "button", onclick }, label);
}

export default {
  title: "Clients",
  mount(el, { session }) {
    const owner = !session || session.client === "owner";
    const reveal = h("div", { "aria-live": "polite" });
    const keysBody = h("div", {}, loading());
    const devicesBody = h("div", {}, loading());
    const spendBody = h("div", {}, loading());
    let alive = true;

    async function run(what, fn) {
      try {
        const out = await fn();
        announce(what);
        return out;
      } catch (err) {
        if (err.status !== 401) render(reveal, errorBox(err, what));
        return null;
      }
    }

    function showToken(out, verb) {
      render(reveal, h("div", { class: "card warnbox", role: "alert" },
        h("p", {}, h("strong", {}, `Key ${out.key.name} ${verb}.`), " Copy it now — it is shown once; the gateway keeps only its hash."),
        h("p", {}, cmd(out.token))));
    }

    function keyRow(k) {
      const acts = owner && k.state === "active" ? [
        action("Rotate", async () => {
          const out = await run(`rotated ${k.name}`, () => api(`/api/ui/keys/${encodeURIComponent(k.name)}/rotate`, { method: "POST", body: {} }));
          if (out) { showToken(out, "rotated"); loadKeys(); }
        }),
        " ",
        action("Revoke", async () => {
          if (!window.confirm(`Revoke key ${k.name}? Every gateway process refuses it at once.`)) return;
          if (await run(`revoked ${k.name}`, () => api(`/api/ui/keys/${encodeURIComponent(k.name)}/revoke`, { method: "POST" }))) loadKeys();
        }, "btn danger"),
      ] : null;
      return h("tr", { "data-key": k.name },
        h("th", { scope: "row" }, k.name, k.note ? h("div", { class: "muted small" }, k.note) : null),
        h("td", {}, h("code", {}, k.hint)),
        h("td", {}, badge(k.state, KEY_TONE[k.state] || "info")),
        h("td", {}, scopes(k.scopes || {})),
        h("td", {}, [k.rpm ? `${k.rpm} rpm` : null, k.tpm ? `${k.tpm} tpm` : null].filter(Boolean).join(", ") || h("span", { class: "muted" }, "none")),
        h("td", {}, budget(k.budget)),
        h("td", {}, k.expires_at ? timeAt(k.expires_at) : h("span", { class: "muted" }, "never")),
        h("td", {}, k.last_used_at ? timeAgo(k.last_used_at) : h("span", { class: "muted" }, "never")),
        h("td", {}, acts));
    }

    const form = h("form", { class: "key-form", onsubmit: async (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      const body = Object.fromEntries([...f.entries()].filter(([, v]) => String(v).trim() !== ""));
      const out = await run("created a client key", () => api("/api/ui/keys", { method: "POST", body }));
      if (out) { form.reset(); showToken(out, "created"); loadKeys(); }
    } },
      ...[["name", "Name", "ci-bot", true], ["models", "Models", "openai/*, fast"], ["agents", "Agents", "main"],
        ["expires", "Expires", "30d"], ["rpm", "RPM", ""], ["tpm", "TPM", ""], ["budget", "Budget (USD)", ""]]
        .map(([name, label, ph, req]) => h("label", {}, label, " ",
          h("input", { name, placeholder: ph, required: req, size: name === "name" ? 14 : 10, autocomplete: "off" }))),
      h("label", {}, "per ", h("select", { name: "budget_period" },
        ["month", "week", "day", "total"].map((p) => h("option", { value: p }, p)))),
      h("button", { class: "btn primary", type: "submit" }, "Create key"));

    async function loadKeys() {
      try {
        const { keys } = await api("/api/ui/keys");
        if (!alive) return;
        render(keysBody, keys.length ? h("div", { class: "table-wrap" }, h("table", {},
          h("thead", {}, h("tr", {}, ["Name", "Key", "State", "Scopes", "Limits", "Budget", "Expires", "Last used", ""].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, keys.map(keyRow))))
          : h("p", { class: "muted" }, "No client key yet. Clients use the gateway token until you make one."));
      } catch (err) { if (err.status !== 401) render(keysBody, errorBox(err, "loading the keys")); }
    }

    function deviceRow(d) {
      const acts = !owner ? null : d.state === "pending" ? [
        action("Approve", async () => { if (await run(`approved ${d.name}`, () => api(`/api/ui/devices/${d.id}/approve`, { method: "POST" }))) loadDevices(); }, "btn primary"),
        " ",
        action("Reject", async () => { if (await run(`rejected ${d.name}`, () => api(`/api/ui/devices/${d.id}/reject`, { method: "POST" }))) loadDevices(); }),
      ] : d.state === "approved" ? action("Revoke", async () => {
        if (!window.confirm(`Revoke device ${d.name}? It is refused from now on and must pair again.`)) return;
        if (await run(`revoked ${d.name}`, () => api(`/api/ui/devices/${d.id}/revoke`, { method: "POST" }))) loadDevices();
      }, "btn danger") : null;
      return h("tr", { "data-device": d.id },
        h("th", { scope: "row" }, d.name, h("div", { class: "muted small" }, h("code", {}, d.id))),
        h("td", {}, d.kind, d.platform ? h("span", { class: "muted small" }, ` · ${d.platform}`) : null),
        h("td", {}, badge(d.state, DEVICE_TONE[d.state] || "info")),
        h("td", {}, h("code", { class: "pair-code" }, d.code)),
        h("td", {}, timeAgo(d.requested_at), d.requested_from ? h("span", { class: "muted small" }, ` from ${d.requested_from}`) : null),
        h("td", {}, d.last_seen_at ? timeAgo(d.last_seen_at) : h("span", { class: "muted" }, "—")),
        h("td", {}, d.refusals ? [badge(`${d.refusals} refused`, "err"), " ", h("code", { class: "small" }, d.last_refused_code)] : null),
        h("td", {}, acts));
    }

    async function loadDevices() {
      try {
        const { devices } = await api("/api/ui/devices");
        if (!alive) return;
        render(devicesBody, devices.length ? h("div", { class: "table-wrap" }, h("table", {},
          h("thead", {}, h("tr", {}, ["Device", "Kind", "State", "Code", "Asked", "Last seen", "Refusals", ""].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, devices.map(deviceRow))))
          : h("p", { class: "muted" }, "No device has asked to pair. On another machine: ", cmd(`clawgate devices pair --url ${location.origin}`)));
      } catch (err) { if (err.status !== 401) render(devicesBody, errorBox(err, "loading the devices")); }
    }

    const select = h("select", { id: "spend-by", onchange: () => { spendBy = select.value; loadSpend(); } },
      GROUPS.map(([v, label]) => h("option", { value: v, selected: v === spendBy }, `by ${label}`)));

    async function loadSpend() {
      try {
        const data = await api(`/api/ui/spend?by=${spendBy}&window=${30 * 86400}`);
        if (!alive) return;
        const label = (r) => spendBy === "client" ? r.client_name : spendBy === "model" ? `${r.provider}/${r.model}` : r[spendBy] || "—";
        render(spendBody, data.rows.length ? h("div", { class: "table-wrap" }, h("table", {},
          h("thead", {}, h("tr", {}, [spendBy === "client" ? "Key" : spendBy, "Cost", "Tries", "Input", "Output", "Cache read", "Cache written"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, data.rows.map((r) => h("tr", {}, h("th", { scope: "row" }, label(r)), h("td", {}, usd(r.cost_usd)), h("td", {}, r.tries),
            h("td", {}, r.input_tokens || 0), h("td", {}, r.output_tokens || 0), h("td", {}, r.cache_read_tokens || 0), h("td", {}, r.cache_write_tokens || 0)))),
          h("tfoot", {}, h("tr", {}, h("th", { scope: "row" }, "Total"), h("td", {}, usd(data.total_usd))))))
          : h("p", { class: "muted" }, "Nothing spent in the last 30 days — or no model has a price (models.providers.<id>.models[].cost)."));
      } catch (err) { if (err.status !== 401) render(spendBody, errorBox(err, "loading the spend")); }
    }

    render(el, heading("Clients"),
      h("p", { class: "lede" }, "Client keys (scoped, limited, budgeted), devices paired from other machines, and what was spent. The gateway token stays the owner's key."),
      reveal,
      h("section", { class: "card", "aria-labelledby": "keys-title" }, h("h2", { id: "keys-title" }, "Client keys"),
        owner ? form : h("p", { class: "muted small" }, "Read only: making and revoking keys takes the gateway token."), keysBody),
      h("section", { class: "card", "aria-labelledby": "devices-title" }, h("h2", { id: "devices-title" }, "Devices"), devicesBody),
      h("section", { class: "card", "aria-labelledby": "spend-title" },
        h("div", { class: "card-head" }, h("h2", { id: "spend-title" }, "Spend, last 30 days"),
          h("div", { class: "controls" }, h("label", { for: "spend-by" }, "Group "), select)), spendBody));
    loadKeys();
    loadDevices();
    loadSpend();
    return {
      update(changed) {
        if (changed.includes("clients")) { loadKeys(); loadDevices(); }
        if (changed.includes("calls")) loadSpend();
      },
      unmount() { alive = false; },
    };
  },
};
