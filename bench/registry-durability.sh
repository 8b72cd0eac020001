#!/usr/bin/env bash
# Registry durability: run `iotmark issue` N times (default 1000) against one
# registry, SIGKILLing about half of the issuers at a random moment (0-80 ms
# after start, so kills land before, during and after the SQLite commit).
# Then check that every label an issuer *returned* (exit 0, JSON printed) is
# in the registry byte for byte, under a verifying inclusion proof, and that
# `iotmark log audit` finds the log consistent (every leaf, every signed head).
#
#   cargo build --release && bench/registry-durability.sh 1000
#   IOTMARK=target/debug/iotmark bench/registry-durability.sh 200
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
BIN=${IOTMARK:-target/release/iotmark}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$BIN" keys init-authority --name "Durability Body" --out "$work/authority" >/dev/null
"$BIN" keys init-lab --authority "$work/authority" --name "Durability Lab" --scope uk-psti --out "$work/lab" >/dev/null
"$BIN" run --profile examples/profiles/good-camera.json --device sim:good-camera \
  --scheme uk-psti --out "$work/run" --lab-key "$work/lab/lab.key" --lab-cert "$work/lab/lab.pem" --format json >/dev/null
db="$work/lab/registry.db"

returned=0 killed=0 refused=0
start=$(date +%s)
for i in $(seq 1 "$N"); do
  out="$work/labels/$i"
  "$BIN" issue --allow-simulated --report "$work/run/report.json" --key "$work/lab/lab.key" \
    --cert "$work/lab/lab.pem" --registry "$db" --out "$out" --format json \
    >"$work/stdout.$i" 2>"$work/stderr.$i" &
  pid=$!
  if (( RANDOM % 2 == 0 )); then
    sleep "0.0$(( RANDOM % 80 ))"
    kill -9 "$pid" 2>/dev/null && killed=$((killed + 1)) || true
  fi
  if wait "$pid" 2>/dev/null; then
    serial=$(sed -n 's/^  "serial": \([0-9]*\),$/\1/p' "$work/stdout.$i")
    if [[ -z "$serial" ]]; then echo "issue $i exited 0 without a serial" >&2; exit 1; fi
    echo "$serial $out" >>"$work/returned"
    returned=$((returned + 1))
  else
    refused=$((refused + 1))
  fi
done
elapsed=$(( $(date +%s) - start ))

missing=0
while read -r serial out; do
  "$BIN" log inclusion --registry "$db" --serial "$serial" --out "$work/proof.json" 2>"$work/err" \
    || { echo "label $serial returned but not in the registry: $(cat "$work/err")" >&2; missing=$((missing + 1)); continue; }
  want=$(od -An -v -tx1 "$out/label.cose" | tr -d ' \n')
  grep -q "\"label\": \"$want\"" "$work/proof.json" \
    || { echo "label $serial: registry bytes differ from the returned label.cose" >&2; missing=$((missing + 1)); continue; }
  "$BIN" log verify "$work/proof.json" --cert "$work/lab/lab.pem" \
    --trust-anchor "$work/authority/authority.pem" >/dev/null \
    || { echo "label $serial: inclusion proof does not verify" >&2; missing=$((missing + 1)); }
done <"$work/returned"

"$BIN" log audit --registry "$db"
echo "issues started: $N; killed: $killed; returned a label: $returned; died before returning: $refused; elapsed ${elapsed}s"
echo "returned labels missing or different in the registry: $missing"
[[ $missing -eq 0 ]]
