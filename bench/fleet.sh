#!/usr/bin/env bash
# Fleet throughput: `iotmark run --units N` on sim:good-camera (the UK PSTI
# scheme, every unit its own simulation, evidence log and report) for 100,
# 300 and 1000 units. Prints, per size, the wall time and the peak resident
# memory of the whole process (GNU time's %M), and the user and system CPU
# seconds, as a table; each size is run RUNS times and every run is shown.
#
# Every unit must come out conformant, or the timing means nothing (the
# script stops).
#
# Usage: bench/fleet.sh                  (SIZES="100 300 1000" RUNS=1 JOBS=4)
#        SIZES=1000 RUNS=3 JOBS=8 bench/fleet.sh
set -euo pipefail

cd "$(dirname "$0")/.."
SIZES=${SIZES:-100 300 1000}
RUNS=${RUNS:-1}
JOBS=${JOBS:-4}
OUT=${OUT:-target/bench-fleet}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
mkdir -p "$OUT"

[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time; Debian package: time)" >&2; exit 2; }

cargo build --release --locked -q -p iotmark --bin iotmark
BIN="$TARGET_DIR/release/iotmark"

printf '%-6s %-4s %-4s %10s %12s %8s %8s\n' units jobs run "wall (s)" "peak RSS" "user s" "sys s"
for n in $SIZES; do
  for run in $(seq "$RUNS"); do
    dir="$OUT/units-$n"
    rm -rf "$dir"
    /usr/bin/time -f '%e %M %U %S' -o "$OUT/time.txt" \
      "$BIN" run --profile examples/profiles/good-camera.json --device sim:good-camera \
      --scheme uk-psti --units "$n" --jobs "$JOBS" --out "$dir" --format json \
      >"$OUT/fleet-$n.json" 2>"$OUT/fleet-$n.err" || {
      echo "the $n-unit run failed (exit $?); see $OUT/fleet-$n.err" >&2
      exit 1
    }
    conformant=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["conformant"])' "$OUT/fleet-$n.json")
    [ "$conformant" = "$n" ] || { echo "only $conformant of $n units conformant" >&2; exit 1; }
    read -r wall rss user sys <"$OUT/time.txt"
    printf '%-6s %-4s %-4s %10s %9s MB %8s %8s\n' "$n" "$JOBS" "$run" "$wall" "$((rss / 1024))" "$user" "$sys"
  done
done
echo "load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
