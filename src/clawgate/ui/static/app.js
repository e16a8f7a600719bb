// The control UI's shell: login state, hash routes, theme, and the live-update stream (/api/ui/events).
import { h, api, render, announce, ago, onAuthLost, cmd, heading } from "./lib.js";
import overview from "./view-overview.js";
import agents from "./view-agents.js";
import providers from "./view-providers.js";
import failures from "./view-failures.js";
import sessions from "./view-sessions.js";
import doctor from "./view-doctor.js";
import chat from "./view-chat.js";
import clients from "./view-clients.js";
import { deviceToken, forgetDevice, loadDevice, newDevice, pairingState, requestPairing, saveDevice } from "./pair.js";

const VIEWS = { overview, agents, providers, failures, sessions, doctor, chat, clients };
const main = document.getElementById("main");
const nav = document.getElementById("nav");
const live = document.getElementById("live");
const state = { session: null, view: null, name: null, events: null, loggedOut: false };

// ------------------------------------------------------------------------------------------------- theme

const themeBtn = document.getElementById("theme");
const media = window.matchMedia("(prefers-color-scheme: dark)");

function currentTheme() {
  return document.documentElement.dataset.theme || (media.matches ? "dark" : "light");
}

function applyTheme(theme) {
  if (theme) document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
  const dark = currentTheme() === "dark";
  themeBtn.setAttribute("aria-pressed", String(dark));
  themeBtn.textContent = dark ? "Light theme" : "Dark theme";
  themeBtn.title = dark ? "Switch to the light theme" : "Switch to the dark theme";
}

function storedTheme() {
  try { return localStorage.getItem("clawgate.theme"); } catch { return null; }
}

themeBtn.addEventListener("click", () => {
  const next = currentTheme() === "dark" ? "light" : "dark";
  try { localStorage.setItem("clawgate.theme", next); } catch { /* private mode */ }
  applyTheme(next);
  announce(`${next} theme`);
});
media.addEventListener("change", () => applyTheme(storedTheme()));
applyTheme(["light", "dark"].find((t) => t === new URLSearchParams(location.search).get("theme")) || storedTheme());

// ------------------------------------------------------------------------------------------------- login

function loginScreen(reason) {
  state.loggedOut = true;
  nav.hidden = true;
  document.getElementById("logout").hidden = true;
  setLive("off", "Not logged in");
  if (state.view && state.view.unmount) state.view.unmount();
  state.view = null;
  if (state.events) { state.events.close(); state.events = null; }
  const expired = new URLSearchParams(location.search).get("login") === "expired";
  render(main,
    h("section", { class: "login", "aria-labelledby": "view-title" },
      heading("Log in to clawgate"),
      expired ? h("p", { class: "errbox", role: "alert" },
        "That login link was already used or has expired. Links work once, for two minutes — get a new one below.") : null,
      reason && !expired ? h("p", { class: "muted" }, reason) : null,
      h("div", { class: "card" },
        h("p", {}, "This page is protected by the gateway token. To open it logged in, run this on the machine where the gateway runs:"),
        h("p", {}, cmd("clawgate dashboard")),
        h("p", { class: "muted" },
          "It prints a link (and opens it in your browser when it can). The link logs this browser in once; it works for two minutes. ",
          "The browser keeps a session cookie — a random id, never the token — until the gateway restarts or its token changes."),
        h("p", { class: "muted" }, "On another machine? Use ", h("code", {}, "clawgate dashboard --no-open"),
          " there and open the printed link through an SSH tunnel to the gateway's port — or pair this browser below.")),
      pairCard()));
  focusTitle();
}

// --------------------------------------------------------------------------------------- pairing a browser

let pairTimer = null;

function pairCard() {
  const box = h("div", { class: "card pair", "aria-live": "polite" });
  const known = loadDevice();
  const drawWaiting = (d) => render(box,
    h("h2", {}, "Waiting for approval"),
    h("p", {}, "This browser asked to be paired as device ", h("code", {}, d.id), " — its code is ",
      h("strong", { class: "pair-code" }, d.code || "…"), ". On the gateway's machine, run:"),
    h("p", {}, cmd(`clawgate devices approve ${d.id}`)),
    h("p", { class: "muted small" }, "or approve it in the Clients view of a logged-in dashboard. Compare the code first."));
  const drawStart = (note) => render(box,
    h("h2", {}, "Pair this browser"),
    note ? h("p", { class: "errbox", role: "alert" }, note) : null,
    h("p", {}, "A browser on another machine can be paired like a TUI: it asks, and the gateway's owner approves it. It may then read everything here; keys and devices stay the owner's to change."),
    h("button", { class: "btn primary", type: "button", onclick: () => ask(newDevice()) }, "Ask to pair"));
  const poll = (d) => {
    clearTimeout(pairTimer);
    pairTimer = setTimeout(async () => {
      const { status, data } = await pairingState(d).catch(() => ({ status: 0, data: {} }));
      if (status === 200) { saveDevice({ ...d, state: "approved" }); announce("This browser is paired"); start(); return; }
      if (status === 202) { poll(d); return; }
      forgetDevice();
      drawStart((data.error && data.error.message) || `The gateway refused the pairing (HTTP ${status}).`);
    }, 2000);
  };
  async function ask(d) {
    const { status, data } = await requestPairing(d, `browser on ${navigator.platform || "another machine"}`)
      .catch(() => ({ status: 0, data: {} }));
    if (status === 200 || status === 202) {
      const next = { ...d, state: status === 200 ? "approved" : "pending", code: data.device && data.device.code };
      saveDevice(next);
      if (status === 200) { start(); return; }
      drawWaiting(next);
      poll(next);
      return;
    }
    forgetDevice();
    drawStart((data.error && data.error.message) || `The gateway did not take the request (HTTP ${status}).`);
  }
  if (known && known.state === "pending") { drawWaiting(known); poll(known); }
  else if (known && known.state === "approved") { forgetDevice(); drawStart("This browser's pairing is no longer accepted (revoked?). Ask again."); }
  else drawStart();
  return box;
}

// only a message about this browser's own login is worth showing (not the API's token instructions)
onAuthLost((err) => {
  if (!state.loggedOut) loginScreen(err && /dashboard login/.test(err.message || "") ? err.message : null);
});

document.getElementById("logout").addEventListener("click", async () => {
  if (deviceToken()) { forgetDevice(); loginScreen("This browser forgot its pairing."); return; }
  try { await api("/api/ui/logout", { method: "POST" }); } catch { /* already gone */ }
  loginScreen("You are logged out.");
});

// ------------------------------------------------------------------------------------------------ routes

function routeName() {
  const name = (location.hash.replace(/^#\/?/, "").split(/[/?]/)[0] || "overview").toLowerCase();
  return VIEWS[name] ? name : "overview";
}

function focusTitle() {
  const t = document.getElementById("view-title");
  if (t) t.focus({ preventScroll: false });
}

async function show(name, { focus = true } = {}) {
  if (state.loggedOut) return;
  if (state.view && state.view.unmount) state.view.unmount();
  state.name = name;
  for (const a of nav.querySelectorAll("a")) {
    if (a.dataset.view === name) {
      a.setAttribute("aria-current", "page");
      a.scrollIntoView({ block: "nearest", inline: "nearest" }); // the phone's scrolling tab bar
    } else a.removeAttribute("aria-current");
  }
  document.title = `${VIEWS[name].title} · clawgate`;
  const container = h("section", { class: `view view-${name}`, "aria-labelledby": "view-title" });
  render(main, container);
  state.view = VIEWS[name].mount(container, { session: state.session });
  if (focus) setTimeout(focusTitle, 0);
}

window.addEventListener("hashchange", () => show(routeName()));

// ----------------------------------------------------------------------------------------- live updates

function setLive(s, text) {
  live.dataset.state = s;
  live.querySelector(".live-text").textContent = text;
}

let badgeTimer = null;
async function refreshBadge() {
  try {
    const o = await api("/api/ui/overview");
    const n = o.calls_last_hour.failed;
    const b = document.getElementById("fail-badge");
    b.hidden = !n;
    b.textContent = n ? String(n) : "";
    b.setAttribute("aria-label", `${n} failed calls in the last hour`);
  } catch { /* shown by the views */ }
}

function onUpdate(data) {
  setLive("on", "Live");
  if (state.view && state.view.update) state.view.update(data.changed || [], data);
  if (data.changed.some((k) => k === "calls" || k === "failures")) {
    clearTimeout(badgeTimer);
    badgeTimer = setTimeout(refreshBadge, 100);
  }
}

// A paired browser has no cookie: it reads the event stream with fetch (EventSource cannot send a header).
function connectDeviceEvents(token) {
  const ctrl = new AbortController();
  state.events = { close: () => ctrl.abort() };
  fetch("/api/ui/events", { headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" }, signal: ctrl.signal })
    .then(async (resp) => {
      if (resp.status === 401) { loginScreen("This browser's pairing is no longer accepted."); return; }
      setLive("on", "Live");
      const reader = resp.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let at;
        while ((at = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          const type = (block.match(/^event: (.*)$/m) || [])[1];
          const data = (block.match(/^data: (.*)$/m) || [])[1];
          if (type === "update" && data) onUpdate(JSON.parse(data));
          else if (type === "auth") { loginScreen("This browser's pairing ended."); return; }
          else if (type === "bye") setLive("off", "Gateway stopping…");
        }
      }
      throw new Error("stream ended");
    })
    .catch((exc) => {
      if (exc && exc.name === "AbortError") return;
      setLive("off", "Reconnecting…");
      setTimeout(() => { if (!state.loggedOut) connectDeviceEvents(token); }, 2000);
    });
}

function connectEvents() {
  if (state.events) state.events.close();
  const token = deviceToken();
  if (token) { connectDeviceEvents(token); return; }
  const es = new EventSource("/api/ui/events");
  state.events = es;
  es.addEventListener("open", () => setLive("on", "Live"));
  es.addEventListener("update", (ev) => onUpdate(JSON.parse(ev.data)));
  es.addEventListener("auth", () => { es.close(); loginScreen("Your dashboard session ended."); });
  es.addEventListener("bye", () => setLive("off", "Gateway stopping…"));
  es.addEventListener("error", () => {
    setLive("off", "Reconnecting…");
    if (es.readyState === EventSource.CLOSED) {
      // the server refused (e.g. 401): find out why, then retry
      api("/api/ui/session").then(() => setTimeout(connectEvents, 2000)).catch(() => {});
    }
  });
}

// relative times ("12 s ago") tick without a fetch
setInterval(() => {
  for (const t of document.querySelectorAll("[data-ago]")) t.textContent = ago(Number(t.dataset.ago));
  if (state.view && state.view.tick) state.view.tick();
}, 1000);

// ------------------------------------------------------------------------------------------------- start

async function start() {
  try {
    state.session = await api("/api/ui/session");
  } catch (err) {
    if (err.status === 401) return; // the login screen is up
    render(main, h("section", { class: "card", "aria-labelledby": "view-title" }, heading("clawgate"),
      h("p", { role: "alert" }, `The gateway did not answer: ${err.message}`)));
    return;
  }
  state.loggedOut = false;
  if (new URLSearchParams(location.search).has("login")) {
    history.replaceState(null, "", location.pathname + location.hash);
  }
  nav.hidden = false;
  const logout = document.getElementById("logout");
  logout.hidden = !["cookie", "device"].includes(state.session.via);
  logout.textContent = state.session.via === "device" ? "Forget this browser" : "Log out";
  show(routeName(), { focus: false });
  connectEvents();
  refreshBadge();
}

start();
