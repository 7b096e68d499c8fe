"""The wrapper against a real emulator, through the ``greenpin_emulator`` fixture only.

Run with the plugin installed (entry point) or named: ``pytest -p greenpin_emulator.pytest_plugin``;
``GREENPIN_EMULATOR_BIN`` picks the binary. The tests run in file order: the last one checks
that what the earlier ones left behind is gone.
"""

import time

# An allocation: A (7987686144) reaches B through VN 6292134471 with a 4-digit PIN, for 1 h.
ALLOCATION = {
    "transaction_id": "order-42",
    "a": {"numbers": ["7987686144"], "vns": ["6292134471"], "pin_length": 4},
    "b": {"numbers": ["9956555625"]},
    "deallocation_policy": {"duration": "1h"},
}

# What the first test left behind, for the last one to look for.
left_behind = {}


def create(emu):
    created = emu.api("POST", "/greenpin", ALLOCATION)
    assert created["success"], created
    return created["data"]


def test_allocate_call_and_expire(greenpin_emulator):
    emu = greenpin_emulator
    allocation = create(emu)
    pin = allocation["a"]["pin"]
    assert len(pin) == 4 and pin.isdigit(), pin

    # A caller who is not B dials the VN with A's PIN: the call reaches B.
    answer = emu.call("7000000001", "6292134471", pin=pin)
    assert answer["connected"], answer
    assert answer["to"] == "+919956555625"
    assert answer["greenpin_id"] == allocation["greenpin_id"]

    # Its call_completed callback is recorded (not sent: no endpoint is set).
    callback = emu.wait_for_callback(call_sid=answer["call_sid"])
    assert callback is not None
    assert callback["kind"] == "call_completed"

    # Past its hour, the allocation is deallocated and kept readable in the vault.
    emu.advance(3601)
    got = emu.api("GET", f"/greenpin/{allocation['greenpin_id']}")
    assert got["success"], got
    assert got["data"]["state"] == "vault"

    left_behind["greenpin_id"] = allocation["greenpin_id"]
    # Faults for the next test to trip over, unless the reset drops them.
    emu.fault("status", times=10, status=418)


def test_fault_fails_the_next_request(greenpin_emulator):
    emu = greenpin_emulator
    allocation = create(emu)
    path = f"/greenpin/{allocation['greenpin_id']}"

    emu.fault("status", status=503)
    failed = emu.api("GET", path)
    assert failed["status"] == 503, failed
    assert not failed["success"]

    # The fault hit once (times=1): the next request is served.
    assert emu.api("GET", path)["success"]

    # Scoped to updates, a fault leaves reads alone and hits the next update.
    emu.fault("status", status=503, method="PUT", path="/v1/tenants/*/greenpin/*")
    assert emu.api("GET", path)["success"]
    assert emu.api("PUT", path, {"usage": "oneway"})["status"] == 503


def test_each_test_starts_clean(greenpin_emulator):
    emu = greenpin_emulator
    # The clock is back at real time (the first test moved it an hour on).
    assert abs(emu.clock()["now_ms"] - time.time() * 1000) < 60_000
    stats = emu.stats()
    assert stats["allocations_active"] == 0 and stats["allocations_kept"] == 0, stats
    assert emu.callbacks() == []
    assert emu.requests() == []

    # The first test's allocation, in the vault when it ended, is gone; and the faults it
    # queued are dropped (else this GET would answer 418).
    if "greenpin_id" in left_behind:
        got = emu.api("GET", f"/greenpin/{left_behind['greenpin_id']}")
        assert got["status"] == 404, got
