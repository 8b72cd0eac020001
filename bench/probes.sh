#!/usr/bin/env bash
# Side-by-side probe benchmarks on one loopback target, in one run:
#
#  1. the 62-entry Mirai credential sweep over telnet against the simulated
#     mirai-dvr's BusyBox-style console: iotmark's telnet probe stack
#     (crates/adapters/examples/probe_bench.rs, layers included) vs hydra,
#     at the same parallelism (4, hydra's recommended telnet setting, and 16);
#  2. a full TCP port scan (1-65535) of 127.0.0.1 while the simulation runs,
#     like for like: iotmark's SYN scan (what the harness runs as root) vs
#     `nmap -p-` (as root nmap's default is a SYN scan too), and iotmark's
#     connect scan (512 connects in flight; what it runs unprivileged) vs
#     `nmap -sT -p-`. Both iotmark scans must find the simulation's port.
#  3. the Mirai sweep against real BusyBox telnetd, and 4. the Mirai list
#     over HTTP Digest against real lighttpd, each beside hydra.
#
# Installs hydra, nmap and hyperfine from Debian when missing (needs root).
# Prints hyperfine's tables and the ratios iotmark / other tool (below 1 means
# iotmark is faster). Needs python3. Results land in ${OUT:-target/bench-probes}.
#
# Usage: bench/probes.sh            (RUNS=5 by default)
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
OUT=${OUT:-target/bench-probes}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
mkdir -p "$OUT"

need=()
command -v hydra >/dev/null || need+=(hydra)
command -v nmap >/dev/null || need+=(nmap)
command -v hyperfine >/dev/null || need+=(hyperfine)
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release --locked -q -p iotmark --bin iotmark -p iotmark-adapters --example probe_bench
BIN="$TARGET_DIR/release/iotmark"
PROBE="$TARGET_DIR/release/examples/probe_bench"

# The Mirai dictionary: the `mirai` rows of the default-credential data.
awk -F, 'NR > 1 && $3 == "mirai" { print $1 "," $2 }' crates/steps/data/default-credentials.csv >"$OUT/mirai.csv"
tr ',' ':' <"$OUT/mirai.csv" >"$OUT/mirai.hydra"
echo "credentials: $(wc -l <"$OUT/mirai.csv") Mirai entries"

"$BIN" simulate mirai-dvr >"$OUT/sim.json" 2>"$OUT/sim.err" &
SIM=$!
trap 'kill "$SIM" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  grep -q '"telnet://' "$OUT/sim.json" 2>/dev/null && break
  sleep 0.1
done
PORT=$(grep -o '"telnet://127.0.0.1:[0-9]*"' "$OUT/sim.json" | grep -o '[0-9]*"$' | tr -d '"')
[ -n "$PORT" ] || { echo "the simulation printed no telnet port" >&2; exit 1; }
echo "target: sim:mirai-dvr telnet console on 127.0.0.1:$PORT (accepts root/xc3511)"

# Both tools must find the credential, or the timing means nothing.
"$PROBE" telnet-sweep "127.0.0.1:$PORT" "$OUT/mirai.csv" 4 >"$OUT/iotmark-sweep.json"
cat "$OUT/iotmark-sweep.json"
grep -q '"accepted":\["root:' "$OUT/iotmark-sweep.json"
# hydra hangs after its last attempt when stdin is a pipe that stays open:
# give it /dev/null.
timeout 120 hydra -C "$OUT/mirai.hydra" -t 4 -I -s "$PORT" 127.0.0.1 telnet </dev/null >"$OUT/hydra.txt" 2>&1 || true
cat "$OUT/hydra.txt"
grep -q 'password: xc3511' "$OUT/hydra.txt"

# hydra 9.4 sometimes prints its result and then waits forever on workers
# that have exited, so both tools are timed to their result line (the same
# method for both) rather than with hyperfine.
for t in 4 16; do
  {
    bench/time_to_result.py "$RUNS" '"probe":"telnet-sweep"' 300 -- \
      "$PROBE" telnet-sweep "127.0.0.1:$PORT" "$OUT/mirai.csv" "$t"
    bench/time_to_result.py "$RUNS" 'valid passwords? found' 300 -- \
      hydra -C "$OUT/mirai.hydra" -t "$t" -I -s "$PORT" 127.0.0.1 telnet
  } | tee "$OUT/sweep-$t.jsonl"
done

# 3. The same Mirai sweep against real BusyBox telnetd (Debian
#    busybox-static) running the device console of tests/e2e/daemons/login.sh
#    (accepts root/xc3511, 0.3 s per refusal), and 4. the Mirai list over HTTP
#    Digest (MD5, qop auth) against real lighttpd accepting root/xc3511: both
#    beside hydra, at 4 in parallel, timed to the result line.
BUSYBOX=$(command -v busybox || true)
if [ -n "$BUSYBOX" ] && "$BUSYBOX" --list | grep -qx telnetd && command -v lighttpd >/dev/null; then
  sed -e 's/@USER@/root/' -e 's/@PASSWORD@/xc3511/' tests/e2e/daemons/login.sh >"$OUT/login.sh"
  chmod 700 "$OUT/login.sh"
  printf '\n' >"$OUT/issue"
  TPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$BUSYBOX" telnetd -F -K -b 127.0.0.1 -p "$TPORT" -l "$OUT/login.sh" -f "$OUT/issue" &
  TELNETD=$!
  mkdir -p "$OUT/www"
  echo '<h1>cam</h1>' >"$OUT/www/index.html"
  printf 'admin:Kq7vTx2mRp9wLc4z\nroot:xc3511\n' >"$OUT/digest-users"
  HPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$OUT/lighttpd.conf" <<CONF
server.document-root = "$PWD/$OUT/www"
server.bind = "127.0.0.1"
server.port = $HPORT
index-file.names = ("index.html")
server.modules = ("mod_auth", "mod_authn_file")
auth.backend = "plain"
auth.backend.plain.userfile = "$PWD/$OUT/digest-users"
auth.require = ("/" => ("method" => "digest", "realm" => "IPCamera", "require" => "valid-user", "algorithm" => "MD5"))
CONF
  lighttpd -D -f "$OUT/lighttpd.conf" &
  LIGHTTPD=$!
  trap 'kill "$SIM" "$TELNETD" "$LIGHTTPD" 2>/dev/null || true' EXIT
  sleep 1
  "$PROBE" telnet-sweep "127.0.0.1:$TPORT" "$OUT/mirai.csv" 4 | tee "$OUT/iotmark-busybox.json"
  grep -q '"accepted":\["root:' "$OUT/iotmark-busybox.json"
  "$PROBE" http-sweep "127.0.0.1:$HPORT" /index.html "$OUT/mirai.csv" 4 | tee "$OUT/iotmark-digest.json"
  grep -q '"accepted":\["root:' "$OUT/iotmark-digest.json"
  {
    bench/time_to_result.py "$RUNS" '"probe":"telnet-sweep"' 300 -- \
      "$PROBE" telnet-sweep "127.0.0.1:$TPORT" "$OUT/mirai.csv" 4
    bench/time_to_result.py "$RUNS" 'valid passwords? found' 300 -- \
      hydra -C "$OUT/mirai.hydra" -t 4 -I -s "$TPORT" 127.0.0.1 telnet
  } | tee "$OUT/sweep-busybox.jsonl"
  {
    bench/time_to_result.py "$RUNS" '"probe":"http-sweep"' 300 -- \
      "$PROBE" http-sweep "127.0.0.1:$HPORT" /index.html "$OUT/mirai.csv" 4
    bench/time_to_result.py "$RUNS" 'valid passwords? found' 300 -- \
      hydra -C "$OUT/mirai.hydra" -t 4 -I -s "$HPORT" 127.0.0.1 http-get /index.html
  } | tee "$OUT/sweep-digest.jsonl"
else
  echo "busybox-static or lighttpd missing: the real-daemon sweeps are skipped" >&2
fi

"$PROBE" scan 127.0.0.1 >"$OUT/iotmark-scan.json"
cat "$OUT/iotmark-scan.json"
grep -q '"method":"syn"' "$OUT/iotmark-scan.json" || { echo "no SYN scan: run as root" >&2; exit 1; }
grep -q "$PORT" "$OUT/iotmark-scan.json"
"$PROBE" scan-connect 127.0.0.1 >"$OUT/iotmark-connect.json"
cat "$OUT/iotmark-connect.json"
grep -q "$PORT" "$OUT/iotmark-connect.json"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/scan-syn.json" \
  -n "iotmark SYN scan -p 1-65535" "$PROBE scan 127.0.0.1" \
  -n "nmap -p- (SYN scan as root)" "nmap -p- -n -T4 127.0.0.1"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/scan-connect.json" \
  -n "iotmark connect scan -p 1-65535" "$PROBE scan-connect 127.0.0.1" \
  -n "nmap -sT -p- (connect scan)" "nmap -sT -p- -n -T4 127.0.0.1"

ratios() {
  # mean of the first command over the mean of each other command
  python3 - "$1" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
r = (json.loads(text)["results"] if '"results"' in text
     else [json.loads(l) for l in text.splitlines() if l.strip()])
ours = r[0]
for other in r[1:]:
    print(f"  {ours['command']} / {other['command']}: "
          f"{ours['mean']:.3f} s / {other['mean']:.3f} s = {ours['mean'] / other['mean']:.2f}")
PY
}
echo
echo "ratios (iotmark / other; below 1 means iotmark is faster):"
ratios "$OUT/sweep-4.jsonl"
ratios "$OUT/sweep-16.jsonl"
[ -f "$OUT/sweep-busybox.jsonl" ] && ratios "$OUT/sweep-busybox.jsonl"
[ -f "$OUT/sweep-digest.jsonl" ] && ratios "$OUT/sweep-digest.jsonl"
ratios "$OUT/scan-syn.json"
ratios "$OUT/scan-connect.json"
