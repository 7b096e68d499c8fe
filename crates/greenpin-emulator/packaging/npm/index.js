'use strict';
// Run greenpin-emulator, a local server emulating Exotel's GreenPin API, from Node tests.
//
//   const { start } = require('greenpin-emulator');
//   const emu = await start({ seed: 7 });
//   const created = await emu.api('POST', '/greenpin', { ... });
//   await emu.advance(3601);
//   await emu.close();
//
// start() runs the binary on a free loopback port and reads the address it prints; the
// handle drives the emulator's /__emulator controls with the global fetch. No dependencies.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const BIN_ENV = 'GREENPIN_EMULATOR_BIN';
const START_TIMEOUT_MS = 15_000; // for the first line, `listening on http://HOST:PORT`
const STOP_TIMEOUT_MS = 5_000; // SIGTERM, then SIGKILL
const MAX_WAIT_MS = 30_000; // the longest wait one GET /__emulator/callbacks accepts
const LISTENING = 'listening on ';
// Credentials go to the child explicitly, so that real Exotel credentials in this
// process's environment (the binary also reads these variables) never leak into it.
const CREDENTIAL_ENV = ['EXOTEL_ACCOUNT_SID', 'EXOTEL_API_KEY', 'EXOTEL_API_TOKEN'];

/** A control or API request the emulator refused (its envelope said `success: false`). */
class EmulatorError extends Error {
  constructor(envelope) {
    super(`greenpin-emulator answered ${envelope.status} (code ${envelope.code}): ${envelope.message}`);
    this.name = 'EmulatorError';
    this.status = envelope.status;
    this.code = envelope.code;
    this.envelope = envelope;
  }
}

/** The binary: $GREENPIN_EMULATOR_BIN, else bin/greenpin-emulator in this package. */
function binaryPath() {
  const explicit = process.env[BIN_ENV];
  const bin = explicit || path.join(__dirname, 'bin', 'greenpin-emulator');
  if (!fs.existsSync(bin)) {
    throw new Error(explicit
      ? `${BIN_ENV}=${JSON.stringify(explicit)} is not a file`
      : `greenpin-emulator: no binary at ${bin} (this package ships one for linux x64; set ${BIN_ENV} to use another)`);
  }
  return bin;
}

/** An RFC 3339 instant for --clock (or reset's clock). */
function clockText(clock) {
  if (clock instanceof Date) return clock.toISOString();
  if (typeof clock === 'string') return clock;
  throw new TypeError(`clock: expected an RFC 3339 string or a Date, not ${typeof clock}`);
}

/**
 * Starts an emulator on a free loopback port; resolves when it listens (15 s at most).
 *
 * Options: seed, clock (RFC 3339 string or Date; its start, standing still until
 * advanced), accountSid ("demo"), apiKey ("demo-key"), apiToken ("demo-token"),
 * extraArgs (more command-line arguments), binary (a path, instead of the default).
 *
 * The child does not keep Node alive: if close() is forgotten, it is killed when this
 * process exits.
 */
async function start(options = {}) {
  const {
    seed, clock, accountSid = 'demo', apiKey = 'demo-key', apiToken = 'demo-token',
    extraArgs = [], binary,
  } = options;
  const bin = binary || binaryPath();
  const args = ['--listen', '127.0.0.1:0', '--account-sid', accountSid, '--api-key', apiKey];
  if (seed !== undefined && seed !== null) args.push('--seed', String(seed));
  if (clock !== undefined && clock !== null) args.push('--clock', clockText(clock));
  args.push(...extraArgs.map(String));
  const env = { ...process.env };
  for (const name of CREDENTIAL_ENV) delete env[name];
  env.EXOTEL_API_TOKEN = apiToken; // through the environment: not shown by `ps`

  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-65536); });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const closed = new Promise((resolve) => child.once('close', resolve)); // exited, pipes drained
  const killOnExit = () => child.kill('SIGKILL');

  return new Promise((resolve, reject) => {
    let done = false; // listening, or failed
    const fail = (why, running = true) => {
      done = true;
      clearTimeout(timer);
      child.removeListener('exit', onEarlyExit);
      child.removeListener('error', onError);
      const report = () => reject(new Error(
        `greenpin-emulator (${[bin, ...args].join(' ')}) ${why}; its stderr:\n${stderr || '(empty)'}`));
      if (!running) return report();
      child.kill('SIGKILL');
      closed.then(report); // once the child is gone, with the last of its stderr
    };
    const onEarlyExit = (code, signal) =>
      fail(`exited (${signal || `status ${code}`}) before saying where it listens`);
    const onError = (e) => fail(`could not be run: ${e.message}`, child.pid !== undefined);
    const timer = setTimeout(() => fail(`did not say where it listens within ${START_TIMEOUT_MS / 1000} s`),
      START_TIMEOUT_MS);
    child.once('exit', onEarlyExit);
    child.once('error', onError);

    // Read stdout line by line until `listening on …`; keep draining it afterwards.
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (done || !line.startsWith(LISTENING)) return;
      done = true;
      clearTimeout(timer);
      child.removeListener('exit', onEarlyExit);
      child.removeListener('error', onError);
      // From here on the child must not keep the event loop alive (a forgotten close()
      // would hang the test runner); it is killed when this process exits instead.
      process.once('exit', killOnExit);
      child.unref();
      child.stdout.unref();
      child.stderr.unref();
      const baseUrl = line.slice(LISTENING.length).trim().replace(/\/$/, '');
      resolve(handle({ child, exited, killOnExit, baseUrl, accountSid, apiKey, apiToken, stderr: () => stderr }));
    });
  });
}

/** Sends one request; resolves with its envelope whatever its status. A body that is not
 *  an envelope (a fault can answer one) becomes a failed envelope quoting it. */
async function send(method, url, body, headers = {}) {
  const init = { method, headers: { accept: 'application/json', ...headers } };
  if (body !== undefined && body !== null) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || !('success' in parsed)) {
    return {
      success: false, status: response.status, code: null,
      message: `not an envelope: ${JSON.stringify(text.slice(0, 500))}`, data: null,
    };
  }
  return parsed;
}

/** `?a=1&b=2` of the defined entries of `query`. */
function queryString(query = {}) {
  const entries = Object.entries(query).filter(([, v]) => v !== undefined && v !== null);
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : '';
}

function handle({ child, exited, killOnExit, baseUrl, accountSid, apiKey, apiToken, stderr }) {
  const apiUrl = `${baseUrl}/v1/tenants/${accountSid}`;
  const authorization = `Basic ${Buffer.from(`${apiKey}:${apiToken}`).toString('base64')}`;

  // A /__emulator control: its data, or an EmulatorError.
  async function control(method, route, body, query) {
    const envelope = await send(method, `${baseUrl}/__emulator${route}${queryString(query)}`, body);
    if (!envelope.success) throw new EmulatorError(envelope);
    return envelope.data;
  }

  return {
    baseUrl,
    accountSid,
    apiKey,
    apiToken,
    apiUrl,
    /** The binary's stderr so far (its last 64 KiB). */
    get stderr() { return stderr(); },

    /** The clock: { now: "YYYY-MM-DD HH:MM:SS" (account's timezone), now_ms }. */
    clock: () => control('GET', '/clock'),
    /** Moves the clock forward (expiries happen as it passes them); resolves the clock. */
    advance: (seconds) => control('POST', '/clock/advance',
      Number.isInteger(seconds) ? { seconds } : { ms: Math.round(seconds * 1000) }),

    /** A simulated call to the VN; resolves its outcome (connected, call_sid, to, …). */
    call({ from, vn, pin, answer, talkSecs } = {}) {
      const body = { from, vn, pin, answer, talk_secs: talkSecs };
      for (const k of Object.keys(body)) if (body[k] === undefined || body[k] === null) delete body[k];
      return control('POST', '/calls', body);
    },

    /** The callbacks so far, oldest first, with their delivery attempts (optional filters). */
    callbacks: ({ callSid, kind, greenpinId } = {}) =>
      control('GET', '/callbacks', undefined, { call_sid: callSid, kind, greenpin_id: greenpinId }),

    /** Resolves the first settled (delivered, failed, not sent, dropped) matching callback,
     *  or null after timeoutMs. */
    async waitForCallback({ callSid, kind, greenpinId, timeoutMs = 5000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const left = Math.max(0, deadline - Date.now());
        const waitMs = Math.min(left, MAX_WAIT_MS);
        const records = await control('GET', '/callbacks', undefined,
          { wait_ms: waitMs, call_sid: callSid, kind, greenpin_id: greenpinId });
        // The answer lists every match, pending ones too: take the first settled one.
        const settled = (records || []).find((r) => r.status !== 'pending');
        if (settled) return settled;
        if (left <= waitMs) return null;
      }
    },

    /** The API requests received (credentials redacted). */
    requests: () => control('GET', '/requests'),
    /** Counts of what the API answered, and of what is held. */
    stats: () => control('GET', '/stats'),
    /** What the dashboard shows (optional q, state, offset, limit). */
    state: (query = {}) => control('GET', '/state', undefined, query),

    /** Makes the next `times` API requests fail: fault('status', { status: 503 }),
     *  fault('delay', { ms: 2000 }), fault('close'), fault('truncate'). `method` and `path`
     *  (a glob: '/v1/tenants/*\/greenpin/*') limit it to the requests that match; by
     *  default it hits any. */
    fault: (kind, { times = 1, method, path, retryAfter, contentType, ...fields } = {}) => {
      const fault = { kind, ...fields };
      if (retryAfter !== undefined) fault.retry_after = retryAfter;
      if (contentType !== undefined) fault.content_type = contentType;
      const rule = { fault, times };
      if (method !== undefined) rule.method = method;
      if (path !== undefined) rule.path = path;
      return control('POST', '/faults', rule);
    },
    /** Drops every queued API fault. */
    clearFaults: () => control('DELETE', '/faults'),

    /** As if freshly started: allocations, vault, settings, journal, callbacks, faults,
     *  counts and the clock (back where it started, or at `clock`: an RFC 3339 string or
     *  Date, null for real time). Resolves the clock. */
    reset: (options = {}) => control('POST', '/reset',
      'clock' in options ? { clock: options.clock === null ? null : clockText(options.clock) } : {}),

    /** A request to the GreenPin API under apiUrl with Basic credentials; resolves its
     *  envelope, success or not (a connection closed by a `close` fault rejects). */
    api: (method, route, body) =>
      send(method.toUpperCase(), apiUrl + (route.startsWith('/') ? route : `/${route}`), body,
        { authorization }),

    /** Stops the emulator (SIGTERM, SIGKILL after 5 s); resolves once it exited. */
    async close() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.ref(); // keep Node alive until it is gone
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

module.exports = { start, EmulatorError, binaryPath };
