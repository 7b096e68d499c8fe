"""Summarises a cargo-mutants run: counts by outcome, the caught share of viable mutants,
per file, and every missed mutant. Used by `cargo xtask mutants` (argv[1]: outcomes.json)."""
import collections
import json
import sys

data = json.load(open(sys.argv[1]))
per_file = collections.defaultdict(collections.Counter)
missed = []
totals = collections.Counter()
for o in data["outcomes"]:
    scenario = o.get("scenario")
    if not isinstance(scenario, dict) or "Mutant" not in scenario:
        continue  # the baseline
    m = scenario["Mutant"]
    summary = o["summary"]
    totals[summary] += 1
    f = m.get("file", "?")
    per_file[f][summary] += 1
    if summary == "MissedMutant":
        span = m.get("span", {}).get("start", {})
        missed.append("%s:%s: %s" % (f, span.get("line", "?"), m.get("name") or m.get("replacement", "")))


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
