#!/usr/bin/env bash
# Headless-Chromium end-to-end check of the label page (valid, support ended,
# revoked, forged): visible text from the DOM, and screenshots checked for
# size, content and banner colour. Needs Debian's chromium and python3.
#
# usage: tests/e2e/browser/run.sh [IOTMARK_BINARY] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../../.."
bin="${1:-target/release/iotmark}"
out="${2:-target/e2e-browser}"
if [ ! -x "$bin" ]; then
  echo "no iotmark binary at $bin (cargo build --release first)" >&2
  exit 2
fi
command -v chromium >/dev/null || { echo "chromium is not installed" >&2; exit 2; }
exec python3 tests/e2e/browser/check_pages.py "$bin" "$out"
