"""Summarises a cargo-mutants run: counts by outcome, the caught share of viable mutants,
per file, and every missed mutant. Used by `cargo xtask mutants` (argv: outcomes.json files).

Several files (shards, and reruns of what a shard missed) are merged: a mutant is counted
once, with the outcome from the newest file that tested it. A mutant is known by its file,
its function, its place within that function and its description, so a rerun after code
was added above it still replaces its old outcome. Outcomes of mutants the code no longer
has (the current list, from `cargo mutants --list`) are left out and counted apart."""
import collections
import json
import sys

import os

# Files moved since a run: their old outcomes count until a run tests the new file.
MOVED = {
    "crates/greenpin-core/src/retry.rs": "crates/greenpin-core/src/retry/mod.rs",
    "crates/greenpin-core/src/client/budget.rs": "crates/greenpin-core/src/retry/budget.rs",
}

import re
import subprocess


def identity(m):
    """File, function, place in the function (line offset, column) and description."""
    f = m.get("file")
    start = m.get("span", {}).get("start", {})
    fn = m.get("function") or {}
    fn_line = fn.get("span", {}).get("start", {}).get("line", 0)
    desc = re.sub(r"^[^ ]+:\d+:\d+: ", "", m.get("name") or m.get("replacement", ""))
    return (f, fn.get("function_name"), start.get("line", 0) - fn_line, start.get("column"), desc)


latest = {}
packages = set()
for path in sorted(sys.argv[1:], key=os.path.getmtime):
    for o in json.load(open(path))["outcomes"]:
        scenario = o.get("scenario")
        if not isinstance(scenario, dict) or "Mutant" not in scenario:
            continue  # the baseline
        m = scenario["Mutant"]
        if not os.path.exists(m.get("file", "")) and m.get("file") not in MOVED:
            continue  # a file since deleted
        packages.add(m.get("package"))
        latest[identity(m)] = (m, o["summary"])

# The mutants the code has now, in the files tested: outcomes of any other are of code
# since changed or removed.
files_now = sorted({k[0] for k in latest if os.path.exists(k[0])})
gone = 0
untested = []
if files_now:
    cmd = ["cargo", "mutants", "--list", "--json"]
    for p in sorted(x for x in packages if x):
        cmd += ["-p", p]
    for f in files_now:
        cmd += ["--file", f]
    listed = subprocess.run(cmd, capture_output=True, text=True)
    if listed.returncode == 0:
        now = {identity(m): m for m in json.loads(listed.stdout)}
        # Mutants of code changed since it was tested: a rerun tests them.
        untested = [m for k, m in now.items() if k not in latest]
        kept = {k: v for k, v in latest.items() if k in now or k[0] in MOVED}
        gone = len(latest) - len(kept)
        latest = kept
    else:
        print("NOTE cargo mutants --list failed; outcomes of removed code are counted too")

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
if gone:
    print("GONE %d outcomes of mutants the code no longer has (changed or removed since), left out" % gone)
if untested:
    print("UNTESTED %d mutants without an outcome in the files tested (code changed since, or left out of a partial run): the share above covers tested mutants only; --rerun-missed tests them" % len(untested))
for line in missed:
    print("MISSED " + line)
# What a rerun of the misses needs: each file, and each mutant's description without its
# position (lines move when tests are added above them), as one regex.
files = sorted({m.split(":", 1)[0] for m in missed} | {m["file"] for m in untested})
descriptions = sorted({re.sub(r"^[^ ]+:\d+:\d+: ", "", m) for m in missed} | {identity(m)[4] for m in untested})
print("RERUN-FILES " + " ".join(files))
meta = set("\\.+*?()|[]{}^$#&-~")
print("RERUN-RE " + "|".join("".join("\\" + c if c in meta else c for c in d) + "$" for d in descriptions))
