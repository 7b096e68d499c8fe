#!/bin/sh
# Instructions per update, the SDK against serde_json's floor, counted by valgrind's
# callgrind: stable on a busy machine, where wall time is not. Per call = the difference
# between 3,000 and 1,000 iterations, divided by 2,000 (set-up and first use cancel out).
# Run from the workspace root: sh xtask/scripts/update_instructions.sh
set -eu
bin=$(cargo bench -p greenpin-core --bench update_instructions --no-run --message-format=json 2>/dev/null \
  | sed -n 's/.*"executable":"\([^"]*update_instructions[^"]*\)".*/\1/p' | tail -1)
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 \
    | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
for side in sdk plain; do
  low=$(count "$side" 1000)
  high=$(count "$side" 3000)
  echo "$side $(( (high - low) / 2000 ))"
done | awk '{print; v[$1]=$2} END {printf "ratio %.3f\n", v["sdk"]/v["plain"]}'
