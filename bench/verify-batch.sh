#!/usr/bin/env bash
# Bulk verification beside raw Ed25519, in one run on one machine.
#
# 1. crates/labels/examples/batch_corpus signs N labels (default 100000) under a
#    throwaway authority and lab, writes their URLs to a file, and times on
#    this machine ed25519-dalek's verify_strict over the labels' exact signed
#    bytes (one thread), the library's verify one label at a time (one
#    thread), and verify_many (all cores).
# 2. `iotmark verify --batch FILE` then verifies the same N URLs end to end
#    (reading the file, parsing every URL, chain and signature checks, one
#    JSON line out per label), timed as a whole process.
#
# Prints the rates and `iotmark verify --batch` relative to the raw
# single-signature rate. Exit 1 if any label is not valid.
#
# usage: bench/verify-batch.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-100000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --locked -p iotmark-labels --example batch_corpus
cargo build --release --quiet --locked --bin iotmark
target="${CARGO_TARGET_DIR:-target}"

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
corpus="$("$target/release/examples/batch_corpus" "$work" "$N")"
echo "library: $corpus"

start=$(date +%s.%N)
"$target/release/iotmark" verify --batch "$work/labels.txt" \
  --trust-anchor "$work/authority.pem" --lab-cert "$work/lab.pem" \
  --format json > "$work/out.jsonl"
end=$(date +%s.%N)
summary="$(tail -n 1 "$work/out.jsonl")"
echo "cli: $summary"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$corpus" "$summary" "$start" "$end" "$N" <<'PY'
import json, sys
corpus = json.loads(sys.argv[1])
summary = json.loads(sys.argv[2])["summary"]
seconds = float(sys.argv[4]) - float(sys.argv[3])
n = int(sys.argv[5])
rate = n / seconds
raw = corpus["raw_verify_strict_per_s"]
print(f"iotmark verify --batch: {n} labels in {seconds:.2f} s = {rate:,.0f}/s on {corpus['cores']} cores; "
      f"raw verify_strict (one thread) {raw:,.0f}/s; ratio {rate / raw:.2f}x")
print(f"library, one thread: {corpus['verify_one_thread_per_s']:,.0f}/s ({corpus['one_thread_vs_raw']:.2f}x raw); "
      f"verify_many: {corpus['verify_many_per_s']:,.0f}/s ({corpus['many_vs_raw']:.2f}x raw)")
if not summary.get("all_valid") or summary.get("valid") != n:
    print("not every label verified", file=sys.stderr)
    sys.exit(1)
PY
