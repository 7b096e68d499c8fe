#!/bin/sh
# What a user's first build costs: a blocking hello-world on greenpin-blocking against the
# same program on ureq (default features: rustls, gzip) + serde + serde_json, each built
# cold with -j1 in a throwaway target directory. Prints CPU seconds (user + sys), wall
# seconds and the number of crates compiled, and the ratio. Release and dev both.
# Run from the workspace root: sh xtask/scripts/build_footprint.sh [dev|release] [FEATURE]
# (e.g. `release international-numbers` to build the SDK side with that feature).
set -eu
profile=${1:-release}
features=${2:-}
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/sdk/src" "$work/plain/src"
cat > "$work/sdk/Cargo.toml" <<EOF
[package]
name = "hello-sdk"
version = "0.0.0"
edition = "2024"
publish = false
[dependencies]
greenpin-blocking = { path = "$root/crates/greenpin-blocking", features = [$([ -n "$features" ] && printf '"%s"' "$features")] }
[workspace]
EOF
cat > "$work/sdk/src/main.rs" <<'EOF'
fn main() {
    let client = greenpin_blocking::Client::from_env().build();
    println!("{:?}", client.map(|c| c.get("g-1").map(|a| a.state)));
}
EOF
cat > "$work/plain/Cargo.toml" <<'EOF'
[package]
name = "hello-plain"
version = "0.0.0"
edition = "2024"
publish = false
[dependencies]
ureq = "3"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
[workspace]
EOF
cat > "$work/plain/src/main.rs" <<'EOF'
#[derive(serde::Deserialize, Debug)]
struct Allocation { state: String }
fn main() {
    let r = ureq::get("https://ccm-api.exotel.com/v1/tenants/acme/greenpin/g-1")
        .header("Authorization", "Basic az10")
        .call()
        .and_then(|mut r| r.body_mut().read_to_string());
    println!("{:?}", r.map(|s| serde_json::from_str::<Allocation>(&s).map(|a| a.state)));
}
EOF
# The same lock as the workspace for the SDK (the versions a user gets today), fetched
# before timing so downloads are not counted.
cp "$root/Cargo.lock" "$work/sdk/Cargo.lock"
flag=""
dir=debug
[ "$profile" = release ] && flag="--release" && dir=release
for side in sdk plain; do
  (cd "$work/$side" && cargo fetch -q)
  out="$work/$side.time"
  (cd "$work/$side" && CARGO_TARGET_DIR="$work/$side/target" /usr/bin/time -f "%U %S %e" -o "$out" \
    cargo build -q -j1 $flag --timings)
  crates=$(ls "$work/$side/target/${dir}/.fingerprint" | sed 's/-[0-9a-f]*$//' | sort -u | wc -l)
  set -- $(cat "$out")
  echo "$side cpu=$(echo "$1 + $2" | bc) wall=$3 crates=$crates"
done | tee "$work/result"
awk '{split($2,c,"="); v[$1]=c[2]} END {printf "ratio %.2f\n", v["sdk"]/v["plain"]}' "$work/result"
# Where the SDK's build goes: the slowest units (cargo --timings).
python3 - "$work/sdk/target/cargo-timings/cargo-timing.html" <<'EOF2'
import json, re, sys
html = open(sys.argv[1]).read()
found = re.search(r"UNIT_DATA = (\[.*?\]);\n", html, re.S)
if not found:
    sys.exit("no unit timings in cargo's report")
units = json.loads(found.group(1))
units.sort(key=lambda u: -u["duration"])
print("slowest units (s):", ", ".join("%s%s %.1f" % (u["name"], " (build script)" if u.get("target", "").strip() == "build script" or "build" in u.get("mode", "") else "", u["duration"]) for u in units[:12]))
EOF2
