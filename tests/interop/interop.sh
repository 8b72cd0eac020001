#!/usr/bin/env bash
# Check iotmark's outputs with tools we did not write: openssl verifies the
# certificate chain, zbarimg decodes the QR image to exactly the label URL, and
# Python's cbor2 + cryptography verify the COSE_Sign1 signature.
# Usage: tests/interop/interop.sh [path/to/iotmark]   (needs openssl, zbarimg,
# python3 with cbor2 and cryptography; .ci/run installs them)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${1:-$repo/target/release/iotmark}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$bin" keys init-authority --name "Interop Accreditation Body" --out "$work/authority" >/dev/null
"$bin" keys init-lab --authority "$work/authority" --name "Interop Lab" --out "$work/lab" >/dev/null
"$bin" run --profile "$repo/examples/profiles/good-camera.json" --device sim:good-camera \
  --out "$work/run" --lab-key "$work/lab/lab.key" --lab-cert "$work/lab/lab.pem" --format json >/dev/null
"$bin" issue --allow-simulated --report "$work/run/report.json" --key "$work/lab/lab.key" --cert "$work/lab/lab.pem" \
  --out "$work/label" >/dev/null

passed=0
failed=0
check() {
  local name="$1"; shift
  if "$@"; then
    echo "ok   $name"; passed=$((passed + 1))
  else
    echo "FAIL $name"; failed=$((failed + 1))
  fi
}

openssl_chain() {
  openssl verify -CAfile "$work/authority/authority.pem" "$work/lab/lab.pem" | grep -q ': OK$'
}
zbar_decodes_url() {
  local decoded expected
  decoded="$(zbarimg --quiet --raw "$work/label/label.png" | tr -d '\n')"
  expected="$(tr -d '\n' < "$work/label/label.url")"
  [ -n "$decoded" ] && [ "$decoded" = "$expected" ]
}
python_verifies_cose() {
  python3 "$here/verify_cose.py" "$work/label/label.cose" "$work/lab/lab.pem"
}

check "openssl verify accepts the lab certificate" openssl_chain
check "zbarimg decodes label.png to label.url" zbar_decodes_url
check "cbor2 + cryptography verify label.cose" python_verifies_cose

echo "interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
