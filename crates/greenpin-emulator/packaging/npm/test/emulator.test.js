'use strict';
// The wrapper against a real emulator: one process for the file, reset before each test.
// Run: GREENPIN_EMULATOR_BIN=/path/to/greenpin-emulator node --test test/ (here, the
// package refers to itself by name; `cargo xtask dist --check` runs it where it is installed).
// The tests run in order: the last one checks that what the earlier ones left is gone.

const { before, after, beforeEach, test } = require('node:test');
const assert = require('node:assert/strict');
const { start } = require('greenpin-emulator');

// An allocation: A (7987686144) reaches B through VN 6292134471 with a 4-digit PIN, for 1 h.
const ALLOCATION = {
  transaction_id: 'order-42',
  a: { numbers: ['7987686144'], vns: ['6292134471'], pin_length: 4 },
  b: { numbers: ['9956555625'] },
  deallocation_policy: { duration: '1h' },
};

let emu;
// What the first test left behind, for the last one to look for.
const leftBehind = {};

before(async () => { emu = await start(); });
after(async () => { if (emu) await emu.close(); });
beforeEach(async () => { await emu.reset(); });

async function create() {
  const created = await emu.api('POST', '/greenpin', ALLOCATION);
  assert.ok(created.success, JSON.stringify(created));
  return created.data;
}

test('allocate, call and expire', async () => {
  const allocation = await create();
  const pin = allocation.a.pin;
  assert.match(pin, /^\d{4}$/);

  // A caller who is not B dials the VN with A's PIN: the call reaches B.
  const answer = await emu.call({ from: '7000000001', vn: '6292134471', pin });
  assert.ok(answer.connected, JSON.stringify(answer));
  assert.equal(answer.to, '+919956555625');
  assert.equal(answer.greenpin_id, allocation.greenpin_id);

  // Its call_completed callback is recorded (not sent: no endpoint is set).
  const callback = await emu.waitForCallback({ callSid: answer.call_sid });
  assert.ok(callback);
  assert.equal(callback.kind, 'call_completed');

  // Past its hour, the allocation is deallocated and kept readable in the vault.
  await emu.advance(3601);
  const got = await emu.api('GET', `/greenpin/${allocation.greenpin_id}`);
  assert.ok(got.success, JSON.stringify(got));
  assert.equal(got.data.state, 'vault');

  leftBehind.greenpinId = allocation.greenpin_id;
  // Faults for the next test to trip over, unless the reset drops them.
  await emu.fault('status', { times: 10, status: 418 });
});

test('a fault fails the next request', async () => {
  const allocation = await create();
  const path = `/greenpin/${allocation.greenpin_id}`;

  await emu.fault('status', { status: 503 });
  const failed = await emu.api('GET', path);
  assert.equal(failed.status, 503, JSON.stringify(failed));
  assert.equal(failed.success, false);

  // The fault hit once (times 1): the next request is served.
  assert.ok((await emu.api('GET', path)).success);
  // Scoped to updates, a fault leaves reads alone and hits the next update.
  await emu.fault('status', { status: 503, retryAfter: '1', method: 'PUT', path: '/v1/tenants/*/greenpin/*' });
  assert.ok((await emu.api('GET', path)).success);
  const refused = await emu.api('PUT', path, { usage: 'oneway' });
  assert.equal(refused.status, 503);
});

test('each test starts clean', async () => {
  // The clock is back at real time (the first test moved it an hour on).
  assert.ok(Math.abs((await emu.clock()).now_ms - Date.now()) < 60_000);
  const stats = await emu.stats();
  assert.equal(stats.allocations_active, 0);
  assert.equal(stats.allocations_kept, 0);
  assert.deepEqual(await emu.callbacks(), []);
  assert.deepEqual(await emu.requests(), []);

  // The first test's allocation, in the vault when it ended, is gone; and the faults it
  // queued are dropped (else this GET would answer 418).
  if (leftBehind.greenpinId) {
    const got = await emu.api('GET', `/greenpin/${leftBehind.greenpinId}`);
    assert.equal(got.status, 404, JSON.stringify(got));
  }
});
