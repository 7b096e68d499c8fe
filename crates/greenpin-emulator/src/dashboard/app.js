// The GreenPin emulator's dashboard: polls /__emulator/state every second and drives the
// emulator through its /__emulator controls. Everything is built with textContent, so
// nothing a client sent (ids, bodies) is ever read as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let last = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

async function control(method, path, body) {
  const init = { method, cache: "no-store", headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch("/__emulator/" + path, init);
  const env = await r.json();
  if (!env.success) throw new Error(env.message || ("HTTP " + r.status));
  return env.data;
}

function party(p) {
  if (!p) return "";
  const parts = [(p.numbers || []).join(", ") || "—", (p.vns || []).join(", ") || "—"];
  parts.push(p.pin ? "PIN " + p.pin : "no PIN");
  return parts.join(" · ");
}

function duration(ms) {
  if (ms === null || ms === undefined) return "never";
  let s = Math.round(ms / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  return (d ? d + "d " : "") + (d || h ? h + "h " : "") + (d || h || m ? m + "m " : "") + s + "s";
}

function renderAllocations(state) {
  const want = $("filter-state").value;
  const needle = $("filter-number").value.replace(/[^0-9+]/g, "").replace(/^\+/, "");
  const body = $("allocations-body");
  body.replaceChildren();
  let shown = 0;
  for (const a of state.allocations) {
    if (want && a.state !== want) continue;
    if (needle) {
      const all = [a.a, a.b].flatMap((p) => [...((p && p.numbers) || []), ...((p && p.vns) || [])]);
      if (!all.some((n) => n.replace(/^\+/, "").includes(needle))) continue;
    }
    shown += 1;
    const tr = el("tr");
    tr.dataset.greenpinId = a.greenpin_id;
    tr.append(el("td", a.greenpin_id), el("td", a.transaction_id || "—"),
      el("td", a.state, "state-" + a.state), el("td", a.usage),
      el("td", party(a.a)), el("td", party(a.b)),
      el("td", a.state === "active" ? duration(a.ms_left) : "purged in " + duration(a.ms_left)));
    body.append(tr);
  }
  $("allocations-count").textContent = shown + " of " + state.allocations.length + " shown";
}

function renderRouting(state) {
  const map = $("routing-map");
  map.replaceChildren();
  const byVn = new Map();
  for (const r of state.routes) {
    if (!byVn.has(r.vn)) byVn.set(r.vn, []);
    byVn.get(r.vn).push(r);
  }
  if (byVn.size === 0) map.append(el("p", "No active allocation: no VN reaches anyone.", "hint"));
  const usage = new Map(state.allocations.map((a) => [a.greenpin_id, a.usage]));
  for (const [vn, routes] of byVn) {
    const card = el("article", null, "vn");
    card.append(el("h3", "VN " + vn));
    const ul = el("ul", null, "plain");
    for (const r of routes) {
      const who = r.pin ? "PIN " + r.pin : "caller " + r.caller;
      const other = r.party === "a" ? "B" : "A";
      const oneway = r.party === "b" && usage.get(r.greenpin_id) === "oneway";
      ul.append(el("li", who + " → party " + r.party.toUpperCase() + " of " +
        r.greenpin_id.slice(0, 8) + "…, " +
        (oneway ? "refused: oneway (only A calls B)" : "put through to party " + other)));
    }
    card.append(ul);
    map.append(card);
  }
}

function renderCallbacks(state) {
  const list = $("callbacks-list");
  list.replaceChildren();
  for (const c of state.callbacks) {
    const p = c.payload || {};
    const what = c.kind === "call_completed"
      ? "call " + (p.call_type || "") + " from " + (p.from || "?") + " via " + (p.vn || "?")
      : "deallocated " + (p.greenpin_id || "") + " (" + (p.reason || "") + ")";
    list.append(el("li", c.at + " · " + c.kind + " · " + what));
  }
  if (state.callbacks.length === 0) list.append(el("li", "none yet", "hint"));
}

function renderFaults(state) {
  const list = $("faults-list");
  list.replaceChildren();
  for (const f of state.faults) {
    const k = f.fault;
    const what = k.kind === "status" ? "answer " + k.status + (k.retry_after ? " (Retry-After " + k.retry_after + ")" : "")
      : k.kind === "delay" ? "delay " + k.ms + " ms" : k.kind;
    list.append(el("li", what + " · " + (f.method || "any method") + " " + f.path + " · " + f.times + " more"));
  }
  if (state.faults.length === 0) list.append(el("li", "no fault queued", "hint"));
}

function renderRequests(state) {
  const list = $("requests-list");
  list.replaceChildren();
  for (const r of state.requests) {
    const li = el("li");
    li.append(el("code", r.method + " " + r.path + (r.query ? "?" + r.query : "")));
    if (r.fault) li.append(el("span", " · fault " + r.fault, "refused"));
    if (r.headers && r.headers.authorization) li.append(el("span", " · authorization: " + r.headers.authorization));
    if (r.body) li.append(el("pre", r.body));
    list.append(li);
  }
  if (state.requests.length === 0) list.append(el("li", "no request yet", "hint"));
}

function renderSettings(state) {
  const dl = $("settings-list");
  dl.replaceChildren();
  for (const [k, v] of Object.entries(state.settings)) {
    dl.append(el("dt", k), el("dd", v === null ? "—" : typeof v === "object" ? JSON.stringify(v) : v));
  }
}

function render(state) {
  last = state;
  $("account").textContent = state.account;
  $("clock-now").textContent = state.clock.now;
  $("clock-now").dateTime = new Date(state.clock.now_ms).toISOString();
  renderAllocations(state);
  renderRouting(state);
  renderCallbacks(state);
  renderFaults(state);
  renderRequests(state);
  renderSettings(state);
}

async function refresh() {
  try {
    render(await control("GET", "state"));
    $("live").textContent = "live";
  } catch (e) {
    $("live").textContent = "not connected: " + e.message;
  }
}

function seconds(text) {
  const m = /^\s*(\d+)\s*(s|m|h|d)?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] || "s"];
}

document.addEventListener("DOMContentLoaded", () => {
  $("filter").addEventListener("submit", (e) => e.preventDefault());
  for (const id of ["filter-state", "filter-number"]) {
    $(id).addEventListener("input", () => last && renderAllocations(last));
  }
  $("dial-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = $("dial-outcome");
    const before = new Set(((last && last.callbacks) || []).map((c) => c.payload && c.payload.call_sid));
    const call = { from: $("dial-from").value, vn: $("dial-vn").value };
    if ($("dial-pin").value) call.pin = $("dial-pin").value;
    try {
      const r = await control("POST", "calls", call);
      out.className = r.connected ? "ok" : "refused";
      out.textContent = r.connected
        ? "connected to " + r.to + " (the caller is party " + String(r.party).toUpperCase() + " of " + r.greenpin_id + ")"
        : "refused: " + r.reason;
      await refresh();
      const fired = ((last && last.callbacks) || []).find((c) => c.kind === "call_completed" && !before.has(c.payload.call_sid));
      $("dial-callback").textContent = fired ? "callback fired:\n" + JSON.stringify(fired.payload, null, 2) : "";
    } catch (err) {
      out.className = "refused";
      out.textContent = "not placed: " + err.message;
    }
  });
  $("clock-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const s = seconds($("clock-by").value);
    if (s === null) { $("clock-outcome").textContent = "write a duration such as 90s, 20m, 2h or 3d"; return; }
    try {
      const c = await control("POST", "clock/advance", { seconds: s });
      $("clock-outcome").textContent = "now " + c.now;
      await refresh();
    } catch (err) { $("clock-outcome").textContent = err.message; }
  });
  $("fault-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const kind = $("fault-kind").value;
    const fault = { kind };
    if (kind === "status") {
      fault.status = Number($("fault-status").value);
      if ($("fault-retry-after").value) fault.retry_after = $("fault-retry-after").value;
    }
    if (kind === "delay") fault.ms = Number($("fault-ms").value);
    const rule = { fault, times: Number($("fault-times").value) || 1 };
    if ($("fault-method").value) rule.method = $("fault-method").value.toUpperCase();
    try {
      await control("POST", "faults", rule);
      $("fault-outcome").textContent = "added";
      await refresh();
    } catch (err) { $("fault-outcome").textContent = err.message; }
  });
  $("fault-clear").addEventListener("click", async () => {
    try { await control("DELETE", "faults"); $("fault-outcome").textContent = "cleared"; await refresh(); }
    catch (err) { $("fault-outcome").textContent = err.message; }
  });
  refresh();
  setInterval(refresh, 1000);
});
