// Pairing this browser with a gateway from another machine: the browser makes its own device token
// (cgd_<id>_<secret>, kept in this browser's localStorage), asks to be paired, and waits until the gateway's
// owner approves it (`clawgate devices approve <id>`, or the Clients view). The gateway stores only a hash.
const STORE = "clawgate.device";
const ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

function randomId(n = 10) {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join("");
}

function randomSecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function loadDevice() {
  try { return JSON.parse(localStorage.getItem(STORE) || "null"); } catch { return null; }
}

export function saveDevice(d) {
  try { localStorage.setItem(STORE, JSON.stringify(d)); } catch { /* private mode: pairing lasts this page */ }
}

export function forgetDevice() {
  try { localStorage.removeItem(STORE); } catch { /* nothing kept */ }
}

/** The token this browser presents, once its device is approved. */
export function deviceToken() {
  const d = loadDevice();
  return d && d.state === "approved" ? d.token : null;
}

export function newDevice() {
  const id = randomId();
  return { id, token: `cgd_${id}_${randomSecret()}`, state: "new", code: null };
}

async function call(method, device, body) {
  const resp = await fetch("/api/devices/pair", {
    method,
    headers: { Authorization: `Bearer ${device.token}`, "Content-Type": "application/json", Accept: "application/json" },
    body: body ? JSON.stringify(body) : undefined,
    credentials: "omit",
  });
  let data = {};
  try { data = await resp.json(); } catch { /* no body */ }
  return { status: resp.status, data };
}

/** Ask (or ask again) to be paired: {status, data}; 202 pending, 200 approved, 401/403/429 refused. */
export async function requestPairing(device, name) {
  return call("POST", device, { name, kind: "ui", platform: navigator.platform || "browser" });
}

export async function pairingState(device) {
  return call("GET", device);
}
