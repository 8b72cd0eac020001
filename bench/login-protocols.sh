#!/usr/bin/env bash
# Side-by-side credential sweeps against real daemons, iotmark's probes
# (crates/adapters/examples/login_sweep.rs, layers included) vs hydra, at the
# same parallelism (4), in one run:
#
#  1. FTP: the 62-entry Mirai dictionary against vsftpd, whose local user
#     (known to PAM through passwd/shadow bind-mounted in the namespace) has
#     the dictionary's last credential;
#  2. RTSP: the same dictionary against GStreamer's RTSP server guarding its
#     stream with Digest, the last credential the camera's;
#  3. SNMP: 50 community strings, the last the agent's read-only one, against
#     net-snmp's snmpd (v2c). An agent is silent to a wrong community, so
#     each wrong one costs a wait (iotmark: 2 tries x 0.5 s, then one GET
#     with the declared community confirming the agent still answers).
#
# Everything runs inside a network and mount namespace made here
# (`unshare --net --mount`, loopback only). Needs root, python3, and installs
# hydra, vsftpd, snmpd and GStreamer's RTSP server from Debian when missing.
# Prints each run's times and the ratios iotmark / hydra (below 1 means
# iotmark is faster). Results land in ${OUT:-target/bench-login-protocols}.
#
# Usage: bench/login-protocols.sh            (RUNS=3 by default)
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
OUT=${OUT:-target/bench-login-protocols}
TARGET_DIR=${CARGO_TARGET_DIR:-target}

if [ "${1:-}" != "--inside" ]; then
  mkdir -p "$OUT"
  need=()
  command -v hydra >/dev/null || need+=(hydra)
  [ -x /usr/sbin/vsftpd ] || need+=(vsftpd)
  [ -x /usr/sbin/snmpd ] || need+=(snmpd)
  /usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0')" 2>/dev/null \
    || need+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good)
  if ((${#need[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  cargo build --release --locked -q -p iotmark-adapters --example login_sweep
  exec unshare --net --mount -- "$0" --inside
fi

ip link set lo up
SWEEP="$TARGET_DIR/release/examples/login_sweep"
WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

# The Mirai dictionary; the device's credential is its last entry.
awk -F, 'NR > 1 && $3 == "mirai" { print $1 "," $2 }' crates/steps/data/default-credentials.csv >"$OUT/mirai.csv"
tr ',' ':' <"$OUT/mirai.csv" >"$OUT/mirai.hydra"
LAST=$(tail -1 "$OUT/mirai.csv")
USER_NAME=${LAST%%,*}
PASSWORD=${LAST#*,}
echo "dictionary: $(wc -l <"$OUT/mirai.csv") Mirai entries; the devices use the last ($USER_NAME)"

# FTP: vsftpd with a local user through PAM, passwd/shadow only in here.
mkdir -p "$WORK/etc" "$WORK/home" "$WORK/empty"
# The user must reach its home after vsftpd drops to its uid.
chmod 755 "$WORK"
chown 4242 "$WORK/home"
cp /etc/passwd "$WORK/etc/passwd"
cp /etc/shadow "$WORK/etc/shadow"
grep -v "^$USER_NAME:" "$WORK/etc/passwd" >"$WORK/etc/passwd.new" || true
grep -v "^$USER_NAME:" "$WORK/etc/shadow" >"$WORK/etc/shadow.new" || true
echo "$USER_NAME:x:4242:4242:bench:$WORK/home:/bin/sh" >>"$WORK/etc/passwd.new"
echo "$USER_NAME:$(openssl passwd -6 -salt benchsalt "$PASSWORD"):19000:0:99999:7:::" >>"$WORK/etc/shadow.new"
mount --bind "$WORK/etc/passwd.new" /etc/passwd
mount --bind "$WORK/etc/shadow.new" /etc/shadow
cat >"$WORK/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=21
background=NO
anonymous_enable=NO
local_enable=YES
pam_service_name=vsftpd
secure_chroot_dir=$WORK/empty
seccomp_sandbox=NO
max_clients=64
max_per_ip=64
EOF
/usr/sbin/vsftpd "$WORK/vsftpd.conf" &
PIDS+=($!)

# RTSP: GStreamer's RTSP server, Digest, the stream at / (where hydra asks).
/usr/bin/python3 crates/adapters/tests/fixtures/gst-rtsp-camera.py \
  127.0.0.1 554 digest "$USER_NAME" "$PASSWORD" / >/dev/null &
PIDS+=($!)

# SNMP: snmpd with one read-only community, the last of 50.
for i in $(seq 49); do echo "community$i"; done >"$OUT/communities.txt"
echo "Qm7xTz4kWp9sLv2n" >>"$OUT/communities.txt"
printf 'agentAddress udp:127.0.0.1:161\nrocommunity Qm7xTz4kWp9sLv2n 127.0.0.1\n' >"$WORK/snmpd.conf"
SNMP_PERSISTENT_DIR="$WORK/snmp" MIBS= /usr/sbin/snmpd -f -Lf /dev/null -C -c "$WORK/snmpd.conf" -M /nonexistent &
PIDS+=($!)
sleep 1.5

# Each tool must find the credential, or the timing means nothing.
"$SWEEP" ftp 127.0.0.1:21 "$OUT/mirai.csv" 4 | tee "$OUT/iotmark-ftp.json"
grep -q "\"accepted\":\[\"$USER_NAME:" "$OUT/iotmark-ftp.json"
timeout 300 hydra -C "$OUT/mirai.hydra" -t 4 -I ftp://127.0.0.1 </dev/null >"$OUT/hydra-ftp.txt" 2>&1 || true
grep -q "password: $PASSWORD" "$OUT/hydra-ftp.txt" || { cat "$OUT/hydra-ftp.txt"; exit 1; }
"$SWEEP" rtsp rtsp://127.0.0.1:554/ 127.0.0.1:554 "$OUT/mirai.csv" 4 | tee "$OUT/iotmark-rtsp.json"
grep -q "\"accepted\":\[\"$USER_NAME:" "$OUT/iotmark-rtsp.json"
timeout 300 hydra -C "$OUT/mirai.hydra" -t 4 -I rtsp://127.0.0.1 </dev/null >"$OUT/hydra-rtsp.txt" 2>&1 || true
grep -q "password: $PASSWORD" "$OUT/hydra-rtsp.txt" || { cat "$OUT/hydra-rtsp.txt"; exit 1; }
"$SWEEP" snmp 127.0.0.1:161 Qm7xTz4kWp9sLv2n "$OUT/communities.txt" 4 | tee "$OUT/iotmark-snmp.json"
grep -q '"accepted":\["<secret' "$OUT/iotmark-snmp.json"
timeout 300 hydra -P "$OUT/communities.txt" -t 4 -I -m 2 127.0.0.1 snmp </dev/null >"$OUT/hydra-snmp.txt" 2>&1 || true
grep -q "password: Qm7xTz4kWp9sLv2n" "$OUT/hydra-snmp.txt" || { cat "$OUT/hydra-snmp.txt"; exit 1; }

# Both tools timed to their result line (hydra 9.4 sometimes lingers after
# printing it), the same method for both.
{
  bench/time_to_result.py "$RUNS" '"probe":"ftp-sweep"' 300 -- \
    "$SWEEP" ftp 127.0.0.1:21 "$OUT/mirai.csv" 4
  bench/time_to_result.py "$RUNS" 'valid passwords? found' 300 -- \
    hydra -C "$OUT/mirai.hydra" -t 4 -I ftp://127.0.0.1
} | tee "$OUT/ftp.jsonl"
{
  bench/time_to_result.py "$RUNS" '"probe":"rtsp-sweep"' 300 -- \
    "$SWEEP" rtsp rtsp://127.0.0.1:554/ 127.0.0.1:554 "$OUT/mirai.csv" 4
  bench/time_to_result.py "$RUNS" 'valid passwords? found' 300 -- \
    hydra -C "$OUT/mirai.hydra" -t 4 -I rtsp://127.0.0.1
} | tee "$OUT/rtsp.jsonl"
{
  bench/time_to_result.py "$RUNS" '"probe":"snmp-sweep"' 300 -- \
    "$SWEEP" snmp 127.0.0.1:161 Qm7xTz4kWp9sLv2n "$OUT/communities.txt" 4
  bench/time_to_result.py "$RUNS" 'valid passwords? found' 300 -- \
    hydra -P "$OUT/communities.txt" -t 4 -I -m 2 127.0.0.1 snmp
} | tee "$OUT/snmp.jsonl"

echo
echo "ratios (iotmark / hydra; below 1 means iotmark is faster):"
for f in ftp rtsp snmp; do
  python3 - "$OUT/$f.jsonl" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ours, other = r[0], r[1]
print(f"  {ours['command'][:60]} / {other['command'][:40]}: "
      f"{ours['mean']:.3f} s / {other['mean']:.3f} s = {ours['mean'] / other['mean']:.2f}")
PY
done
