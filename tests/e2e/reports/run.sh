#!/usr/bin/env bash
# End-to-end checks of a run's outputs with other people's tools:
#  - junit.xml validated by xmllint against the Jenkins/Surefire JUnit schema
#    (junit-10.xsd from pytest's hash-pinned source distribution);
#  - cucumber.json rendered by cucumber-html-reporter (npm, locked in
#    package-lock.json) with every scenario present in the page;
#  - report.html (and the statement of compliance) rendered by headless
#    Chromium: the DOM's verdict table against report.json, and screenshots
#    checked for size, content and verdict colours;
#  - the signed folder verified with the lab's trust anchor, and a one-character
#    edit refused.
# Needs chromium, xmllint (libxml2-utils), node/npm, python3 with pip.
#
# usage: tests/e2e/reports/run.sh [IOTMARK_BINARY] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../../.."
bin="${1:-target/release/iotmark}"
out="${2:-target/e2e-reports}"
here=tests/e2e/reports
if [ ! -x "$bin" ]; then
  echo "no iotmark binary at $bin (cargo build --release first)" >&2
  exit 2
fi
for tool in chromium xmllint node npm python3; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
rm -rf "$out"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

echo "== runs: good-camera (signed), mirai-dvr, good-camera en303645"
"$bin" keys init-authority --name "E2E Accreditation Body" --out "$out/authority" >/dev/null
"$bin" keys init-lab --authority "$out/authority" --name "E2E Test Lab" --out "$out/lab" >/dev/null
expect() { # expect CODE command...
  local want="$1"; shift
  set +e; "$@" >"$out/last.log" 2>&1; local got=$?; set -e
  if [ "$got" != "$want" ]; then
    echo "FAIL: exit $got, expected $want: $*" >&2; tail -20 "$out/last.log" >&2; exit 1
  fi
}
expect 0 "$bin" run --profile examples/profiles/good-camera.json --device sim:good-camera \
  --scheme uk-psti --out "$out/good" --lab-key "$out/lab/lab.key" --lab-cert "$out/lab/lab.pem"
expect 1 "$bin" run --profile examples/profiles/mirai-dvr.json --device sim:mirai-dvr \
  --scheme uk-psti --out "$out/mirai"
# Without attestations the assessor-only cases are INCONCLUSIVE (exit 3):
# errors, failures and skips all appear in junit.xml.
set +e
"$bin" run --profile examples/profiles/good-camera.json --device sim:good-camera \
  --scheme en303645 --out "$out/full" >"$out/full.log" 2>&1
code=$?
set -e
case "$code" in 0|1|3) ;; *) echo "FAIL: en303645 run exit $code" >&2; tail "$out/full.log" >&2; exit 1;; esac

echo "== signed report: verify, then a one-character edit"
expect 0 "$bin" report verify "$out/good" --trust-anchor "$out/authority/authority.pem"
cp -r "$out/good" "$out/good-edited"
sed -i '0,/"verdict": "PASS"/s//"verdict": "FAIL"/' "$out/good-edited/report.json"
expect 1 "$bin" report verify "$out/good-edited" --trust-anchor "$out/authority/authority.pem"
grep -q "report.json" "$out/last.log" || { echo "FAIL: verify did not name report.json" >&2; exit 1; }
rm -rf "$out/good-edited"
echo "ok"

echo "== junit.xml against junit-10.xsd"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
  --require-hashes -r "$here/junit-schema.txt" -d "$out/xsd"
tar -xzf "$out"/xsd/pytest-*.tar.gz -C "$out/xsd" --wildcards '*/testing/example_scripts/junit-10.xsd'
xsd="$(ls "$out"/xsd/pytest-*/testing/example_scripts/junit-10.xsd)"
for run in good mirai full; do
  xmllint --noout --schema "$xsd" "$out/$run/junit.xml"
done

echo "== cucumber.json through cucumber-html-reporter"
(cd "$here" && npm ci --no-audit --no-fund --silent)
for run in good mirai full; do
  node "$here/render_cucumber.js" "$out/$run/cucumber.json" "$out/$run/cucumber-report.html"
done

echo "== report.html in headless Chromium"
python3 "$here/check_pages.py" "$out/screenshots" "$out/good" "$out/mirai" "$out/full"
echo "end-to-end report checks passed; screenshots in $out/screenshots"
