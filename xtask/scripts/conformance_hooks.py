# Used by `cargo xtask conformance` (copied into target/conformance/ for schemathesis).
#
# Two things beside schemathesis' own checks, which look at shapes and status codes:
#
# 1. Cases aimed at real allocations. Transaction ids come from a counter (the run is
#    deterministic under its seed), and half of the positive cases that name an allocation
#    name one the run created, so updates, reads and deletes reach the logic instead of
#    answering 404.
# 2. Checks of the logic (`GreenPinLogic`), run on every answer: what an update wrote is
#    what a read returns; a PIN generated for `pin_length` has that length; a party without
#    VNs shares the other's; no number is in both parties, even after an update is merged
#    (probed actively); a one-way allocation refuses its B-party's call (a simulated call);
#    a policy longer than `max_deallocation_time` is cut to it; a delete answers the
#    allocation in the vault, and a read finds it there. Each check counts how often it ran:
#    a check that never ran fails the run, so none can pass vacuously.

import json
import os

import requests
import schemathesis

BASE = os.environ["GREENPIN_CONFORMANCE_BASE"]
TENANT = BASE + "/v1/tenants/demo"
AUTH = ("demo-key", "demo-token")

_counter = {"tx": 0, "aim": 0, "number": 0}
_live = []  # ids the run created, newest last


def _api(method, path, body=None):
    r = requests.request(method, TENANT + path, json=body, auth=AUTH, timeout=10)
    return r.status_code, (r.json() if r.content else None)


def _control(method, path, body=None):
    r = requests.request(method, BASE + "/__emulator" + path, json=body, timeout=10)
    return r.status_code, (r.json() if r.content else None)


def _positive(case):
    return case.meta is None or case.meta.generation.mode.is_positive


def _fresh_number():
    _counter["number"] += 1
    return "70%08d" % _counter["number"]


def _aim():
    """Every other time: one of the allocations the run created."""
    _counter["aim"] += 1
    if _live and _counter["aim"] % 2 == 0:
        return _live[-1 - (_counter["aim"] // 2) % len(_live)]
    return None


_answers = {}


@schemathesis.hook
def before_call(context, case, kwargs):
    body = case.body
    if not _positive(case):
        return
    # The country stays India: generated numbers are Indian, and a pattern cannot say that
    # they stop being valid once the account's country changes.
    if isinstance(body, dict) and case.operation.path.endswith("/settings") and "country" in body:
        body["country"] = "IN"
    if isinstance(body, dict) and isinstance(body.get("transaction_id"), str):
        _counter["tx"] += 1
        body["transaction_id"] = "tx-%06d" % _counter["tx"]
        # A create gets numbers no allocation holds yet: generated examples reuse a few
        # numbers, which the first allocation registers on its VNs (409, 13/19). VNs, PINs
        # and the rest stay as generated.
        for side in ("a", "b"):
            party = body.get(side)
            if isinstance(party, dict) and isinstance(party.get("numbers"), list) and party["numbers"]:
                party["numbers"] = [_fresh_number() for _ in party["numbers"]]
    params = case.path_parameters or {}
    if "greenpin_id" in params:
        aimed = _aim()
        if aimed:
            params["greenpin_id"] = aimed
    if isinstance(body, dict) and isinstance(body.get("greenpins"), list):
        for item in body["greenpins"]:
            if isinstance(item, dict) and "greenpin_id" in item:
                aimed = _aim()
                if aimed:
                    item["greenpin_id"] = aimed


@schemathesis.hook
def after_call(context, case, response):
    try:
        code = response.json().get("code")
    except Exception:
        code = None
    key = "%s %s %s/%s" % (case.method, case.operation.path, response.status_code, code)
    _answers[key] = _answers.get(key, 0) + 1
    if case.method == "POST" and 200 <= response.status_code < 300:
        try:
            gid = response.json()["data"]["greenpin_id"]
        except Exception:
            return
        _live.append(gid)
        del _live[:-50]


def _data(response):
    try:
        return response.json().get("data")
    except Exception:
        return None


def _duration_secs(text):
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if isinstance(text, str) and text[:-1].isdigit() and text[-1] in units:
        return int(text[:-1]) * units[text[-1]]
    return None


def _epoch(text, offset):
    import datetime

    t = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    return (t - datetime.datetime(1970, 1, 1)).total_seconds() - offset


@schemathesis.check
class GreenPinLogic:
    """The emulator's logic, beside the shapes: see the file's header."""

    def __init__(self):
        self.ran = {}
        self.probed = set()

    def _ran(self, name):
        self.ran[name] = self.ran.get(name, 0) + 1

    def after_response(self, ctx, response, case):
        if not (200 <= response.status_code < 300):
            return
        data = _data(response)
        body = case.body if isinstance(case.body, dict) else {}
        method, path = case.method, case.operation.path
        if path.endswith("/greenpin") and method == "POST" and isinstance(data, dict):
            self._allocation_rules(body, data)
            self._shares_vns(body, data)
            self._probe_same_number(data)
            self._probe_oneway(data)
            self._cap(body, data)
        elif path.endswith("/greenpin/{greenpin_id}") and method == "PUT" and isinstance(data, dict):
            self._allocation_rules(body, data)
            self._read_back(data)
            self._probe_oneway(data)
            self._cap(body, data)
        elif path.endswith("/greenpin/{greenpin_id}") and method == "DELETE":
            self._vault(case, data)

    def _allocation_rules(self, body, data):
        for side in ("a", "b"):
            asked, got = body.get(side), data.get(side) or {}
            other = data.get("b" if side == "a" else "a") or {}
            if (
                isinstance(asked, dict)
                and asked.get("pin_length") is not None
                and asked.get("pin") is None
                and got.get("pin")
                # The common PIN (a setting) is one PIN for both parties, of A's length.
                and got.get("pin") != other.get("pin")
            ):
                self._ran("pin_length")
                want = int(asked["pin_length"])
                assert len(got["pin"]) == want, (
                    "%s.pin %r does not have the pin_length %d asked for" % (side, got["pin"], want)
                )
        a_numbers = set((data.get("a") or {}).get("numbers") or [])
        b_numbers = set((data.get("b") or {}).get("numbers") or [])
        if a_numbers and b_numbers:
            self._ran("disjoint parties")
            both = a_numbers & b_numbers
            assert not both, "numbers in both parties: %s" % sorted(both)

    def _shares_vns(self, body, data):
        a, b = body.get("a"), body.get("b")
        gave_a = isinstance(a, dict) and a.get("vns")
        gave_b = isinstance(b, dict) and b.get("vns")
        if bool(gave_a) != bool(gave_b):
            self._ran("shared VNs")
            a_vns = (data.get("a") or {}).get("vns") or []
            b_vns = (data.get("b") or {}).get("vns") or []
            assert a_vns == b_vns, "a party without VNs must share the other's: a %s, b %s" % (a_vns, b_vns)

    def _read_back(self, data):
        gid = data.get("greenpin_id")
        status, got = _api("GET", "/greenpin/%s" % gid)
        assert status == 200, "GET %s after a successful update answered %s" % (gid, status)
        self._ran("read back")
        got = got["data"]
        for field in ("usage", "state", "deallocation_time"):
            assert got.get(field) == data.get(field), (
                "GET %s reads %s %r; the update answered %r" % (gid, field, got.get(field), data.get(field))
            )
        for side in ("a", "b"):
            for field in ("vns", "numbers", "pin"):
                g, d = (got.get(side) or {}).get(field), (data.get(side) or {}).get(field)
                assert g == d, "GET %s reads %s.%s %r; the update answered %r" % (gid, side, field, g, d)

    def _probe_same_number(self, data):
        a_numbers = (data.get("a") or {}).get("numbers") or []
        gid = data.get("greenpin_id")
        if not a_numbers or len(self.probed) >= 25 or ("same", gid) in self.probed:
            return
        self.probed.add(("same", gid))
        status, answer = _api("PUT", "/greenpin/%s" % gid, {"b": {"numbers": [a_numbers[0]]}})
        if status == 404:
            return  # expired meanwhile (settings are fuzzed too)
        self._ran("same number refused after merge")
        assert 400 <= status < 500 and (answer or {}).get("code") == 14, (
            "an update putting A's number %s in B answered %s %s" % (a_numbers[0], status, answer)
        )
        status, got = _api("GET", "/greenpin/%s" % gid)
        if status == 200:
            b_numbers = (got["data"].get("b") or {}).get("numbers") or []
            assert a_numbers[0] not in b_numbers, "the refused update was applied anyway"

    def _probe_oneway(self, data):
        if data.get("usage") != "oneway" or data.get("state") != "active":
            return
        a, b = data.get("a") or {}, data.get("b") or {}
        if not b.get("numbers") or not a.get("numbers"):
            return
        if a.get("pin"):
            pin, vns = a["pin"], a.get("vns") or []
        else:
            pin, vns = b.get("pin"), b.get("vns") or []
        if not vns:
            return
        call = {"from": b["numbers"][0], "vn": vns[0]}
        if pin:
            call["pin"] = pin
        status, answer = _control("POST", "/calls", call)
        if status != 200:
            return
        self._ran("oneway refuses B")
        outcome = answer.get("data") or {}
        assert not outcome.get("connected") and outcome.get("reason") == "oneway", (
            "B called a one-way allocation and got %s" % json.dumps(outcome)
        )

    def _cap(self, body, data):
        policy = body.get("deallocation_policy")
        asked = _duration_secs(policy.get("duration")) if isinstance(policy, dict) else None
        if asked is None or not data.get("deallocation_time"):
            return
        status, settings = _api("GET", "/settings")
        cap = _duration_secs((settings or {}).get("data", {}).get("max_deallocation_time"))
        tz = (settings or {}).get("data", {}).get("timezone")
        offset = {"IST": 19800, "UTC": 0}.get(tz)
        status, clock = _control("GET", "/clock")
        if cap is None or offset is None or status != 200:
            return
        self._ran("max_deallocation_time cap")
        now = clock["data"]["now_ms"] / 1000
        lives = _epoch(data["deallocation_time"], offset) - now
        # A policy under 5 minutes is raised to 5 minutes (documented), then capped.
        assert lives <= min(max(asked, 300), cap) + 2, (
            "asked %ss, cap %ss: the allocation lives %.0fs" % (asked, cap, lives)
        )

    def _vault(self, case, data):
        gid = (case.path_parameters or {}).get("greenpin_id")
        if isinstance(data, dict):
            self._ran("delete answers the vault")
            assert data.get("state") == "vault", "DELETE answered state %r" % data.get("state")
        status, got = _api("GET", "/greenpin/%s" % gid)
        self._ran("read after delete")
        assert status == 200 and got["data"]["state"] == "vault", (
            "GET %s after a successful DELETE answered %s %s" % (gid, status, got)
        )

    def after_run(self, ctx):
        print("GreenPinLogic checks run: " + json.dumps(self.ran, sort_keys=True), flush=True)
        print("GreenPinLogic answers: " + json.dumps(_answers, sort_keys=True), flush=True)
        never = [c for c in CHECKS if not self.ran.get(c)]
        assert not never, "logic checks that never ran: %s" % never


CHECKS = [
    "pin_length",
    "disjoint parties",
    "shared VNs",
    "read back",
    "same number refused after merge",
    "oneway refuses B",
    "max_deallocation_time cap",
    "delete answers the vault",
    "read after delete",
]
