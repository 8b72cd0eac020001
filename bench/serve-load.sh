#!/usr/bin/env bash
# Load test of `iotmark serve` beside a minimal axum handler, in one run on
# one machine, with wrk:
#
#   1. the JSON verify endpoint   GET /api/v1/verify/<label digits>
#   2. the consumer label page    GET /l/<label digits>
#   3. crates/serve/examples/minimal_server.rs GET / -> {"ok":true}
#
# Each target gets DURATION seconds of wrk (THREADS threads, CONNECTIONS
# connections, --latency) after a short warm-up, while the server's resident
# memory (VmRSS) is sampled every SAMPLE seconds. The label is a real one
# (a throwaway authority and lab, a run on the simulated good camera, issued
# with the CLI) and revocation is checked on every request (the lab's status
# list is loaded).
#
# Per-client rate limiting: wrk is one client, so the limit is raised to
# RATE_LIMIT requests per second (default 1000000, burst the same). The
# limiter still runs on every request; it just never refuses. The
# production default is 20/s with a burst of 60. Likewise wrk's connections
# all come from one address, so the per-client connection cap (default 32)
# is raised to twice CONNECTIONS.
#
# Pass criteria (exit 1 if any fails): each iotmark endpoint reaches at least
# 0.5x the minimal handler's requests/s; p99 latency under 10 ms; zero
# non-2xx responses and zero socket errors; RSS flat: the last sample is no
# more than 10 % + 4 MiB above the sample taken after warm-up.
#
# Pinning (optional, the same for both servers): SERVER_CPUS and CLIENT_CPUS
# are taskset CPU lists, e.g. SERVER_CPUS=1 CLIENT_CPUS=0 on two cores, so
# that the client and the server under test do not take turns on one core.
# The load average is printed before and after: figures from a machine busy
# with other work are not comparable with a quiet one's.
#
# usage: bench/serve-load.sh            (DURATION=60 by default)
#        DURATION=20 CONNECTIONS=16 bench/serve-load.sh
#        SERVER_CPUS=1 CLIENT_CPUS=0 THREADS=1 bench/serve-load.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-60}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
SAMPLE="${SAMPLE:-5}"
RATE_LIMIT="${RATE_LIMIT:-1000000}"
SERVER_CPUS="${SERVER_CPUS:-}"
CLIENT_CPUS="${CLIENT_CPUS:-}"
target_dir="${CARGO_TARGET_DIR:-target}"

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
server_pin=(); client_pin=()
if [ -n "$SERVER_CPUS" ]; then server_pin=(taskset -c "$SERVER_CPUS"); fi
if [ -n "$CLIENT_CPUS" ]; then client_pin=(taskset -c "$CLIENT_CPUS"); fi
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "== build (release)"
cargo build --release --locked -p iotmark --bin iotmark >&2
cargo build --release --locked -p iotmark-serve --example minimal_server >&2
bin="$target_dir/release/iotmark"
minimal="$target_dir/release/examples/minimal_server"

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== labels"
"$bin" keys init-authority --name "Bench Accreditation Body" --out "$work/authority" >/dev/null
"$bin" keys init-lab --authority "$work/authority" --name "Bench Test Lab" --out "$work/lab" >/dev/null
"$bin" run --profile examples/profiles/good-camera.json --device sim:good-camera \
  --scheme uk-psti --out "$work/run" --lab-key "$work/lab/lab.key" --lab-cert "$work/lab/lab.pem" >/dev/null
"$bin" issue --allow-simulated --report "$work/run/report.json" --key "$work/lab/lab.key" \
  --cert "$work/lab/lab.pem" --out "$work/label-1" >/dev/null
"$bin" issue --allow-simulated --report "$work/run/report.json" --key "$work/lab/lab.key" \
  --cert "$work/lab/lab.pem" --out "$work/label-2" >/dev/null
# A status list, so that revocation is really checked on each request.
"$bin" revoke --registry "$work/lab/registry.db" --serial 2 --key "$work/lab/lab.key" \
  --cert "$work/lab/lab.pem" --reason "bench" >/dev/null
digits="$(sed 's#.*/##' "$work/label-1/label.url")"

# start NAME CMD...: run a server, wait for its address line.
start() {
  local name="$1"; shift
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  local pid="$!"
  for _ in $(seq 100); do
    if [ -s "$work/$name.out" ]; then break; fi
    sleep 0.05
  done
  local url
  url="$(head -1 "$work/$name.out" | sed 's/.*"listening":"\([^"]*\)".*/\1/')"
  echo "$pid $url"
}

read -r serve_pid serve_url < <(start serve "${server_pin[@]}" "$bin" serve --listen 127.0.0.1:0 \
  --trust-anchor "$work/authority/authority.pem" --registry "$work/lab/registry.db" \
  --rate-limit "$RATE_LIMIT" --rate-burst "$RATE_LIMIT" \
  --max-connections-per-client "$((CONNECTIONS * 2))")
read -r minimal_pid minimal_url < <(start minimal "${server_pin[@]}" "$minimal" 127.0.0.1:0)
# start ran in a subshell: remember the servers here, so the trap stops them.
pids+=("$serve_pid" "$minimal_pid")
echo "iotmark serve at $serve_url (pid $serve_pid), rate limit $RATE_LIMIT/s per client"
echo "minimal axum at $minimal_url (pid $minimal_pid)"

# Sanity: each target answers 200 with what it should.
curl -sf "$serve_url/api/v1/verify/$digits" | grep -q '"status":"valid"'
curl -sf "$serve_url/l/$digits" | grep -q 'Security updates until'
curl -sf "$minimal_url/" | grep -q '"ok":true'

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# bench NAME PID URL: warm up, then wrk while sampling RSS; prints one summary line.
results=()
failed=0
bench() {
  local name="$1" pid="$2" url="$3"
  "${client_pin[@]}" wrk -t "$THREADS" -c "$CONNECTIONS" -d 3s "$url" >/dev/null
  local rss_start; rss_start="$(rss_kib "$pid")"
  local samples=("$rss_start")
  "${client_pin[@]}" wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency "$url" >"$work/$name.wrk" &
  local wrk_pid=$!
  while kill -0 "$wrk_pid" 2>/dev/null; do
    sleep "$SAMPLE"
    samples+=("$(rss_kib "$pid")")
  done
  wait "$wrk_pid"
  local rss_end="${samples[-1]}"
  local rps p99 non2xx errors
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$work/$name.wrk")"
  p99="$(awk '$1 == "99%" {print $2}' "$work/$name.wrk")"
  non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$work/$name.wrk")"
  errors="$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$work/$name.wrk")"
  non2xx="${non2xx:-0}"; errors="${errors:-0}"
  local p99_ms
  p99_ms="$(awk -v v="$p99" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
    else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 }
    else print 999999 }')"
  echo "--- $name: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s"
  sed -n '/Latency Distribution/,/Requests\/sec/p' "$work/$name.wrk"
  echo "RSS samples (KiB, every ${SAMPLE}s): ${samples[*]}"
  results+=("$name $rps $p99_ms $non2xx $errors $rss_start $rss_end")
}

bench minimal "$minimal_pid" "$minimal_url/"
bench verify-json "$serve_pid" "$serve_url/api/v1/verify/$digits"
bench label-page "$serve_pid" "$serve_url/l/$digits"

echo
echo "== summary ($(nproc) cores; $DURATION s per target; wrk -t$THREADS -c$CONNECTIONS; rate limit $RATE_LIMIT/s per client)"
echo "load average (1, 5, 15 min): before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pinning: server ${SERVER_CPUS:-any CPU}, client ${CLIENT_CPUS:-any CPU}"
printf '%-12s %12s %10s %8s %8s %10s %10s %8s\n' target req/s p99_ms non2xx sockerr rss_start rss_end vs_min
min_rps="$(echo "${results[0]}" | awk '{print $2}')"
for r in "${results[@]}"; do
  read -r name rps p99 non2xx errors rs re <<<"$r"
  ratio="$(awk -v a="$rps" -v b="$min_rps" 'BEGIN {printf "%.2f", a / b}')"
  printf '%-12s %12s %10s %8s %8s %10s %10s %8s\n' "$name" "$rps" "$p99" "$non2xx" "$errors" "${rs}K" "${re}K" "$ratio"
  if [ "$name" != minimal ]; then
    awk -v x="$ratio" 'BEGIN {exit !(x >= 0.5)}' || { echo "FAIL $name: below 0.5x the minimal handler"; failed=1; }
    awk -v x="$p99" 'BEGIN {exit !(x < 10)}' || { echo "FAIL $name: p99 $p99 ms >= 10 ms"; failed=1; }
  fi
  [ "$non2xx" = 0 ] || { echo "FAIL $name: $non2xx non-2xx responses"; failed=1; }
  [ "$errors" = 0 ] || { echo "FAIL $name: $errors socket errors"; failed=1; }
  awk -v s="$rs" -v e="$re" 'BEGIN {exit !(e <= s * 1.10 + 4096)}' \
    || { echo "FAIL $name: RSS grew from ${rs} KiB to ${re} KiB"; failed=1; }
done
curl -s "$serve_url/metrics" | grep -E '^iotmark_(verification_cache_total|label_verifications_total|rate_limited_total)' || true
if [ "$failed" = 0 ]; then echo "serve-load: PASS"; else echo "serve-load: FAIL"; fi
exit "$failed"
