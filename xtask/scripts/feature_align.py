#!/usr/bin/env python3
"""What each slim feature set of `cargo xtask ci` compiles that the workspace build has not.

Run from the workspace root: `python3 xtask/scripts/feature_align.py`. For each set, with
`feature-align` selected beside it as CI selects it, it prints the third-party crates
whose compilation the workspace's `cargo test --workspace` could not lend (their features,
or a dependency's, differ), and the features they have there and in the set. Nothing is
compiled: it reads cargo's unit graph (`--unit-graph`, unstable, allowed here with
`RUSTC_BOOTSTRAP=1` for this cargo alone). Use it to keep xtask/feature-align/Cargo.toml's
lists current after a dependency changes.
"""
import hashlib
import json
import os
import subprocess
import sys

# As xtask/src/ci.rs's FEATURE_SETS.
SETS = [
    ("core", ["-p", "greenpin-core", "--no-default-features"]),
    ("blocking", ["-p", "greenpin-blocking", "--no-default-features"]),
    ("async", ["-p", "greenpin-async", "--no-default-features", "--features", "greenpin-async/axum"]),
    ("cli", ["-p", "greenpin-cli", "--no-default-features"]),
]


def units(args):
    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    out = subprocess.run(
        ["cargo", "test", "--no-run", "--unit-graph", "-Zunstable-options", *args],
        capture_output=True, text=True, env=env,
    )
    if out.returncode:
        sys.exit(out.stderr)
    graph = json.loads(out.stdout)["units"]
    memo = {}

    def identity(i):
        # A unit is reused when it and everything under it are the same: hash them so.
        if i not in memo:
            u = graph[i]
            profile = {k: v for k, v in u["profile"].items() if k != "name"}
            key = json.dumps([
                u["pkg_id"], u["target"]["name"], u["target"]["kind"], u["mode"],
                u["features"], profile, u["platform"],
                sorted(identity(d["index"]) for d in u["dependencies"]),
            ], sort_keys=True)
            memo[i] = hashlib.sha1(key.encode()).hexdigest()
        return memo[i]

    return {identity(i): graph[i] for i in range(len(graph))}


def name(unit):
    return unit["pkg_id"].split("#")[-1]


def main():
    base = units(["--workspace"])
    features = {}
    for u in base.values():
        features.setdefault(name(u), set()).update(u["features"])
    for align, args in SETS:
        got = units([*args, "-p", "feature-align", "--features", f"feature-align/{align}"])
        new = {name(u): u for h, u in got.items()
               if h not in base and not u["pkg_id"].startswith("path+")}
        print(f"{align}: {len(new)} third-party crates compiled")
        for crate, u in sorted(new.items()):
            there = sorted(features.get(crate, set()))
            print(f"  {crate}: here {sorted(u['features'])}, in the workspace build {there}")


if __name__ == "__main__":
    main()
