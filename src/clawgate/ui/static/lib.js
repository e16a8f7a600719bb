// Small helpers shared by the views: DOM building (text only, never innerHTML), the API client, time formats,
// and the pieces every view shows the same way (badges, commands to run next, error boxes).
import { deviceToken } from "./pair.js";

/** h("div", {class: "x", onclick: fn}, child, "text", [more]) — children are nodes or text (escaped). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style") Object.assign(el.style, v); // CSSOM, allowed by the page's CSP (attributes are not)
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replace a container's content, keeping keyboard focus on the "same" control (data-focus-key). */
export function render(container, ...children) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.focusKey : null;
  container.replaceChildren();
  append(container, children);
  if (key) {
    const again = container.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
    if (again) again.focus({ preventScroll: true });
  }
}

export function announce(text) {
  const el = document.getElementById("announce");
  el.textContent = "";
  setTimeout(() => { el.textContent = text; }, 30);
}

// ---------------------------------------------------------------------------------------------------- API

/** A failed API call. Its owner and code are the gateway's (body, else its x-clawgate-* headers); the UI
 * decides none of its own — an answer without them (a proxy's page) is shown as owner "unknown". */
export class ApiError extends Error {
  constructor(status, err, headers) {
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.owner = err.owner || (headers && headers.get("x-clawgate-owner")) || "unknown";
    this.code = err.code || (headers && headers.get("x-clawgate-code")) || "gateway.error";
    this.next = err.next_steps || (Array.isArray(err.next) ? err.next : err.next ? [err.next] : []);
  }
}

const authListeners = [];
export function onAuthLost(fn) { authListeners.push(fn); }
export function authLost(info) { for (const fn of authListeners) fn(info); }

/** The clawgate error inside any of its envelopes. */
export function errorOf(body) {
  if (!body || typeof body !== "object") return {};
  const e = body.error !== undefined ? body.error : body;
  return typeof e === "object" && e ? e : { message: String(e) };
}

export async function api(path, { method = "GET", body, signal } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" }, signal };
  const device = deviceToken(); // a browser paired from another machine presents its own device token
  if (device) init.headers.Authorization = `Bearer ${device}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (exc) {
    if (exc.name === "AbortError") throw exc;
    throw new ApiError(0, {
      owner: "runtime", code: "gateway.unreachable",
      message: "the gateway did not answer (is it running?)",
      next_steps: ["clawgate gateway status", "clawgate gateway start"],
    });
  }
  let data = null;
  const text = await resp.text();
  try { data = text ? JSON.parse(text) : null; } catch { data = { message: text.slice(0, 300) }; }
  if (resp.status === 401) {
    const err = new ApiError(401, errorOf(data), resp.headers);
    authLost(err);
    throw err;
  }
  if (!resp.ok) throw new ApiError(resp.status, errorOf(data), resp.headers);
  return data;
}

// -------------------------------------------------------------------------------------------------- time

export function fmtTime(ts) {
  if (!ts) return "—";
  const d = new Date(ts * 1000);
  const now = new Date();
  const same = d.toDateString() === now.toDateString();
  const t = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  return same ? t : `${d.toLocaleDateString([], { month: "short", day: "numeric" })} ${t}`;
}

export function fmtDuration(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return "—";
  s = Math.max(0, Math.round(s));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function ago(ts) {
  if (!ts) return "—";
  return `${fmtDuration(Date.now() / 1000 - ts)} ago`;
}

/** <time> with an absolute title; `data-ago` makes the app refresh its relative text every second. */
export function timeAgo(ts) {
  if (!ts) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: new Date(ts * 1000).toISOString(), title: fmtTime(ts), "data-ago": ts }, ago(ts));
}

export function timeAt(ts) {
  if (!ts) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: new Date(ts * 1000).toISOString() }, fmtTime(ts));
}

// ------------------------------------------------------------------------------------------------ pieces

const OWNER_TONE = {
  provider_auth: "err", provider_access: "err", gateway_auth: "err", config: "err", environment: "err",
  rate_limit: "warn", upstream: "warn", network: "warn", context: "warn", runtime: "warn", request: "info",
};

export function badge(text, tone = "info", title) {
  return h("span", { class: `badge ${tone}`, title }, text);
}

export function ownerBadge(owner) {
  return badge(owner || "unknown", OWNER_TONE[owner] || "info", "owner: the layer that failed");
}

export function stateBadge(state) {
  const tone = { ok: "ok", cooling: "warn", rejected: "err", blocked: "err" }[state] || "info";
  return badge(state || "ok", tone);
}

export function sevBadge(sev) {
  return badge(sev, { error: "err", warn: "warn", info: "info" }[sev] || "info");
}

/** A command to run, with a copy button. */
export function cmd(text) {
  const code = h("code", {}, text);
  const btn = h("button", {
    class: "copy", type: "button", "aria-label": `Copy: ${text}`, title: "Copy",
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text);
        btn.textContent = "Copied";
        announce("Copied to the clipboard");
        setTimeout(() => { btn.textContent = "Copy"; }, 1500);
      } catch { btn.textContent = "Select and copy"; }
    },
  }, "Copy");
  return h("span", { class: "cmd" }, code, btn);
}

const looksLikeCommand = (s) => /^(clawgate|echo|export|ollama|chmod)\b/.test(s) || s.includes("clawgate ");

export function nextSteps(steps, label = "Next") {
  if (!steps || !steps.length) return null;
  return h("div", { class: "next" },
    h("span", { class: "next-label" }, `${label}:`),
    h("ul", {}, steps.map((s) => h("li", {}, looksLikeCommand(s) ? cmd(s) : s))));
}

/** Any failure (API error, run.error event, probe failure): owner, code, message and the next command. */
export function errorBox(err, title) {
  return h("div", { class: "errbox", role: "alert" },
    h("p", { class: "errhead" }, ownerBadge(err.owner), " ", h("code", {}, err.code || "error"),
      title ? h("span", { class: "muted" }, ` · ${title}`) : null),
    h("p", { class: "errmsg" }, err.message || "(no message)"),
    nextSteps(err.next || err.next_steps));
}

export function kv(rows) {
  return h("dl", { class: "kv" }, rows.filter(Boolean).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

export function fromNote(src) {
  return src ? h("span", { class: "from" }, "from ", h("code", {}, src)) : null;
}

export function fp(cred) {
  if (!cred || !cred.fingerprint) return h("span", { class: "muted" }, "no fingerprint");
  return h("code", { class: "fp", title: "fingerprint (never the key)" }, cred.fingerprint);
}

export function loading(text = "Loading…") {
  return h("p", { class: "muted loading", role: "status" }, text);
}

/** The view's h1 (focused on navigation) with controls beside it, and an optional lede below. */
export function heading(title, ...extra) {
  const lede = extra.filter((e) => e instanceof Element && e.classList.contains("lede"));
  const rest = extra.filter((e) => !lede.includes(e));
  return h("div", { class: "view-top" },
    h("div", { class: "view-head" }, h("h1", { tabindex: "-1", id: "view-title" }, title), ...rest), ...lede);
}
