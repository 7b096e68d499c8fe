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

const MAX_ROWS = 200;

/// The page asked of the server: the filters typed, at most MAX_ROWS rows. The server
/// filters, so a poll costs the page, whatever the emulator holds.
function query() {
  const p = new URLSearchParams();
  const text = $("filter-number").value.trim();
  if (text) p.set("q", text);
  if ($("filter-state").value) p.set("state", $("filter-state").value);
  p.set("limit", String(MAX_ROWS));
  return "state?" + p.toString();
}

function renderAllocations(state) {
  const body = $("allocations-body");
  body.replaceChildren();
  const page = state.allocations;
  for (const a of page.items) {
    const tr = el("tr");
    tr.dataset.greenpinId = a.greenpin_id;
    const left = a.state === "active" ? duration(a.ms_left)
      : (a.reserved_ms_left ? "keys reserved " + duration(a.reserved_ms_left) + "; " : "") +
        "forgotten in " + duration(a.ms_left);
    tr.append(el("td", a.greenpin_id), el("td", a.transaction_id || "—"),
      el("td", a.state, "state-" + a.state), el("td", a.usage),
      el("td", party(a.a)), el("td", party(a.b)), el("td", left));
    body.append(tr);
  }
  setText("allocations-count", page.matching + " of " + page.total + " match" +
    (page.items.length < page.matching ? "; the first " + page.items.length + " are shown, filter to narrow" : ""));
}

function renderRouting(state) {
  const map = $("routing-map");
  map.replaceChildren();
  const byId = new Map(state.allocations.items.map((a) => [a.greenpin_id, a]));
  const byVn = new Map();
  for (const r of state.routes) {
    const a = byId.get(r.greenpin_id);
    if (!a) continue;
    if (!byVn.has(r.vn)) byVn.set(r.vn, []);
    byVn.get(r.vn).push([r, a]);
  }
  if (byVn.size === 0) map.append(el("p", "No active allocation matches: no VN reaches anyone.", "hint"));
  let cards = 0;
  for (const [vn, routes] of byVn) {
    if (cards === MAX_ROWS) {
      map.append(el("p", "More VNs than shown: filter to narrow.", "hint"));
      break;
    }
    cards += 1;
    const card = el("article", null, "vn");
    card.append(el("h3", "VN " + vn));
    const ul = el("ul", null, "plain");
    for (const [r, a] of routes) {
      const id = r.greenpin_id.slice(0, 8) + "…";
      if (r.reserved) {
        ul.append(el("li", (r.pin ? "PIN " + r.pin : "caller " + r.caller) + " → " + id +
          ": deallocated, reserved for its vault period (deletion_time): refused"));
        continue;
      }
      const oneway = a.usage === "oneway";
      const reachB = "party A, put through to party B";
      const reachA = oneway ? "party B, refused (oneway: only A calls B)" : "party B, put through to party A";
      if (r.pin) {
        ul.append(el("li", "PIN " + r.pin + " (" + r.pin_of.toUpperCase() + "'s) → " + id +
          ": from B's numbers, " + reachA + "; from any other number, " + reachB));
      } else {
        ul.append(el("li", "caller " + r.caller + ", no PIN → " + id + ": " +
          (r.party === "b" ? reachA : reachB)));
      }
    }
    card.append(ul);
    map.append(card);
  }
}

/// A callback's delivery in words: its status, each attempt's answer, and why.
function delivery(c) {
  const attempts = (c.attempts || []).map((a) => a.result === "answered" ? String(a.status) : "no answer");
  let text = c.status.replace("_", " ");
  if (c.target) text += " to " + c.target;
  if (attempts.length) text += " (" + attempts.join(", ") + ")";
  if (c.note) text += ": " + c.note;
  return text;
}

function renderCallbacks(state) {
  const list = $("callbacks-list");
  list.replaceChildren();
  for (const c of state.callbacks) {
    const p = c.payload || {};
    const what = c.kind === "call_completed"
      ? "call " + (p.call_type || "") + " from " + (p.from || "?") + " via " + (p.vn || "?")
      : "deallocated " + (p.greenpin_id || "") + " (" + (p.reason || "") + ")";
    list.append(el("li", c.at + " · " + c.kind + " · " + what + " · " + delivery(c)));
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

// Each section is redrawn only when its data changed, so a selection, a focused element or
// a scroll position survives the polling.
const drawn = {};
function changed(key, data) {
  const text = JSON.stringify(data);
  if (drawn[key] === text) return false;
  drawn[key] = text;
  return true;
}

function setText(id, text) {
  if ($(id).textContent !== text) $(id).textContent = text;
}

function render(state) {
  last = state;
  setText("account", state.account);
  setText("clock-now", state.clock.now + " " + (state.settings.timezone || ""));
  if (changed("allocations", state.allocations)) renderAllocations(state);
  if (changed("routes", [state.routes, state.allocations.items])) renderRouting(state);
  if (changed("callbacks", state.callbacks)) renderCallbacks(state);
  if (changed("faults", state.faults)) renderFaults(state);
  if (changed("requests", state.requests)) renderRequests(state);
  if (changed("settings", state.settings)) renderSettings(state);
}

async function refresh() {
  try {
    render(await control("GET", query()));
    setText("live", "live");
  } catch (e) {
    setText("live", "not connected: " + e.message);
  }
}

/// Seconds in "90", "90s", "20m", "1h30m", "1.5h" or "3d 4h"; null when unreadable.
function seconds(text) {
  const t = text.trim().toLowerCase();
  if (/^\d+$/.test(t)) return Number(t);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 };
  let total = 0;
  let rest = t.replace(/(\d+(?:\.\d+)?)\s*([smhd])/g, (_, n, u) => { total += Number(n) * unit[u]; return ""; });
  if (rest.trim() !== "" || total === 0) return null;
  return Math.round(total);
}

document.addEventListener("DOMContentLoaded", () => {
  $("filter").addEventListener("submit", (e) => e.preventDefault());
  for (const id of ["filter-state", "filter-number"]) {
    $(id).addEventListener("input", refresh);
  }
  $("dial-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const out = $("dial-outcome");
    const call = { from: $("dial-from").value, vn: $("dial-vn").value };
    if ($("dial-pin").value) call.pin = $("dial-pin").value;
    call.answer = $("dial-answer").value;
    call.talk_secs = Number($("dial-talk").value) || 0;
    try {
      const r = await control("POST", "calls", call);
      out.className = r.connected ? "ok" : "refused";
      out.textContent = r.connected
        ? "connected to " + r.to + " (the caller is party " + String(r.party).toUpperCase() + " of " + r.greenpin_id + ")"
        : "not put through: " + r.reason + " (callback " + r.call_type + ")";
      await refresh();
      const fired = ((last && last.callbacks) || []).find((c) => c.payload && c.payload.call_sid === r.call_sid);
      $("dial-callback").textContent = fired
        ? "callback " + r.call_type + " (" + delivery(fired) + "):\n" + JSON.stringify(fired.payload, null, 2) : "";
    } catch (err) {
      out.className = "refused";
      out.textContent = "not placed: " + err.message;
    }
  });
  $("clock-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const s = seconds($("clock-by").value);
    if (s === null) { $("clock-outcome").textContent = "write a duration such as 90s, 20m, 1h30m or 3d"; return; }
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
      if (!$("fault-status").value) { $("fault-outcome").textContent = "a status is needed"; return; }
      fault.status = Number($("fault-status").value);
      if ($("fault-retry-after").value) fault.retry_after = $("fault-retry-after").value;
    }
    if (kind === "delay") fault.ms = Number($("fault-ms").value);
    const rule = { fault, times: Number($("fault-times").value) || 1 };
    if ($("fault-method").value) rule.method = $("fault-method").value.toUpperCase();
    if ($("fault-path").value) rule.path = $("fault-path").value;
    try {
      await control("POST", "faults", rule);
      $("fault-outcome").textContent = "added";
      await refresh();
    } catch (err) { $("fault-outcome").textContent = err.message; }
  });
  const kindFields = () => {
    const kind = $("fault-kind").value;
    $("fault-status").disabled = kind !== "status";
    $("fault-retry-after").disabled = kind !== "status";
    $("fault-ms").disabled = kind !== "delay";
  };
  $("fault-kind").addEventListener("change", kindFields);
  kindFields();
  $("fault-clear").addEventListener("click", async () => {
    try { await control("DELETE", "faults"); $("fault-outcome").textContent = "cleared"; await refresh(); }
    catch (err) { $("fault-outcome").textContent = err.message; }
  });
  refresh();
  setInterval(refresh, 1000);
});
