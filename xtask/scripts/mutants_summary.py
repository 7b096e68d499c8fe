"""Summarises a cargo-mutants run: counts by outcome, the caught share of viable mutants,
per file, and every missed mutant. Used by `cargo xtask mutants` (argv: outcomes.json files).

Several files (shards, and reruns of what a shard missed) are merged: a mutant is counted
once, with the outcome from the newest file that tested it."""
import collections
import json
import sys

import os

# Files moved since a run: their old outcomes count until a run tests the new file.
MOVED = {
    "crates/greenpin-core/src/retry.rs": "crates/greenpin-core/src/retry/mod.rs",
    "crates/greenpin-core/src/client/budget.rs": "crates/greenpin-core/src/retry/budget.rs",
}

latest = {}
for path in sorted(sys.argv[1:], key=os.path.getmtime):
    for o in json.load(open(path))["outcomes"]:
        scenario = o.get("scenario")
        if not isinstance(scenario, dict) or "Mutant" not in scenario:
            continue  # the baseline
        m = scenario["Mutant"]
        if not os.path.exists(m.get("file", "")) and m.get("file") not in MOVED:
            continue  # a file since deleted
        span = m.get("span", {}).get("start", {})
        key = (m.get("file"), span.get("line"), span.get("column"), m.get("name") or m.get("replacement"))
        latest[key] = (m, o["summary"])

tested = {key[0] for key in latest}
latest = {k: v for k, v in latest.items() if not (k[0] in MOVED and MOVED[k[0]] in tested)}

per_file = collections.defaultdict(collections.Counter)
missed = []
totals = collections.Counter()
for m, summary in latest.values():
    totals[summary] += 1
    f = m.get("file", "?")
    per_file[f][summary] += 1
    if summary == "MissedMutant":
        span = m.get("span", {}).get("start", {})
        name = m.get("name") or m.get("replacement", "")
        missed.append(name if name.startswith(f) else "%s:%s: %s" % (f, span.get("line", "?"), name))


def share(c):
    viable = c["CaughtMutant"] + c["MissedMutant"] + c["Timeout"]
    return (100.0 * (c["CaughtMutant"] + c["Timeout"]) / viable) if viable else 100.0


print("file caught missed timeout unviable caught%")
for f in sorted(per_file):
    c = per_file[f]
    print("%s %d %d %d %d %.1f" % (f, c["CaughtMutant"], c["MissedMutant"], c["Timeout"], c["Unviable"], share(c)))
print("TOTAL %d %d %d %d %.1f" % (totals["CaughtMutant"], totals["MissedMutant"], totals["Timeout"], totals["Unviable"], share(totals)))
for line in missed:
    print("MISSED " + line)
# What a rerun of the misses needs: each file, and each mutant's description without its
# position (lines move when tests are added above them), as one regex.
import re
files = sorted({m.split(":", 1)[0] for m in missed})
descriptions = sorted({re.sub(r"^[^ ]+:\d+:\d+: ", "", m) for m in missed})
print("RERUN-FILES " + " ".join(files))
meta = set("\\.+*?()|[]{}^$#&-~")
print("RERUN-RE " + "|".join("".join("\\" + c if c in meta else c for c in d) for d in descriptions))
