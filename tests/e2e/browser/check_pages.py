#!/usr/bin/env python3
"""Headless-browser check of the label page a shopper sees.

Makes labels with the iotmark CLI (a throwaway authority and lab, a run on
the simulated good camera, two demonstration labels, one revoked, the same
claims signed by the lab without the demonstration mark as for a tested
product (tested_label.py), and one from a rogue authority), starts `iotmark serve` twice on loopback (today, and with
--now after the support end), then for each state — valid, support ended,
demonstration, revoked, forged — and for the GS1 Digital Link form (the
label's own GTIN, and another product's) loads the page in headless Chromium:

- the DOM Chromium built (--dump-dom) must show the expected words;
- the screenshot (--screenshot, 390x844, a phone) must be a PNG of exactly
  that size, not blank, and the status banner at the top must be the
  expected colour (green, amber, grey, red), sampled from its pixels.

Screenshots are kept in the output folder. Standard library, and cbor2 and
cryptography for tested_label.py.

usage: check_pages.py IOTMARK_BINARY OUT_DIR
"""

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pngread import read_png  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tested_label import tested_label  # noqa: E402

WIDTH, HEIGHT = 390, 844

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def cli(binary, *args):
    run = subprocess.run([binary, *args], capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"iotmark {' '.join(args)}: exit {run.returncode}\n{run.stderr}")
    return run.stdout


def make_lab(binary, root, authority, lab, name):
    cli(binary, "keys", "init-authority", "--name", f"{name} Accreditation Body",
        "--out", os.path.join(root, authority))
    cli(binary, "keys", "init-lab", "--authority", os.path.join(root, authority),
        "--name", f"{name} Test Lab", "--out", os.path.join(root, lab))


def issue(binary, root, lab, out):
    """Seal the run with `lab`'s key and issue a demonstration label from it
    (the run is against a simulated product)."""
    cli(binary, "report", "sign", os.path.join(root, "run"),
        "--key", os.path.join(root, lab, "lab.key"), "--cert", os.path.join(root, lab, "lab.pem"))
    cli(binary, "issue", "--allow-simulated", "--report", os.path.join(root, "run", "report.json"),
        "--key", os.path.join(root, lab, "lab.key"), "--cert", os.path.join(root, lab, "lab.pem"),
        "--out", os.path.join(root, out))
    with open(os.path.join(root, out, "label.url")) as f:
        return f.read().strip().rsplit("/", 1)[-1]


def start_server(binary, root, *extra):
    proc = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0",
         "--trust-anchor", os.path.join(root, "authority", "authority.pem"),
         "--registry", os.path.join(root, "lab", "registry.db"), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    try:
        return proc, json.loads(line)["listening"]
    except (ValueError, KeyError):
        proc.kill()
        fail(f"iotmark serve printed {line!r}")


def chromium(*args):
    profile = tempfile.mkdtemp(prefix="iotmark-chromium-")
    try:
        run = subprocess.run(
            ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return run


def visible_text(dom):
    dom = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", dom)
    text = re.sub(r"<[^>]+>", " ", dom)
    return " ".join(html.unescape(text).split())


def decode_png(path):
    """(width, height, rows of (r, g, b)) for an 8-bit RGB or RGBA PNG."""
    try:
        return read_png(path)
    except ValueError as e:
        fail(str(e))


def classify(rgb):
    r, g, b = rgb
    if g > r + 40 and g > b + 30:
        return "green"
    if r > 200 and 130 <= g <= 215 and b < 110:
        return "amber"
    if r > 140 and g < 90 and b < 90:
        return "red"
    if max(rgb) - min(rgb) < 20 and 60 < r < 140:
        return "grey"
    return f"other{rgb}"


def check_screenshot(path, want_colour):
    width, height, rows = decode_png(path)
    if (width, height) != (WIDTH, HEIGHT):
        fail(f"{path} is {width}x{height}, expected {WIDTH}x{HEIGHT}")
    colours = {px for row in rows[::8] for px in row[::8]}
    if len(colours) < 4:
        fail(f"{path} is blank ({len(colours)} colours)")
    # The banner fills the top of the page; its left padding has no text.
    samples = [rows[y][x] for y in range(4, 100, 8) for x in (3, 6, 9)]
    kinds = [classify(p) for p in samples]
    majority = max(set(kinds), key=kinds.count)
    if majority != want_colour or kinds.count(majority) < len(kinds) * 0.9:
        fail(f"{path}: banner is {majority} ({kinds.count(majority)}/{len(kinds)} samples, "
             f"e.g. {samples[0]}), expected {want_colour}")
    # Below the banner the page is mostly white.
    lower = [px for row in rows[400::16] for px in row[::16]]
    white = sum(1 for p in lower if min(p) > 235)
    if white < len(lower) * 0.5:
        fail(f"{path}: the page below the banner is not mostly white")
    return samples[0]


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    binary, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if shutil.which("chromium") is None:
        fail("chromium is not installed (apt-get install chromium)")
    os.makedirs(out, exist_ok=True)
    root = tempfile.mkdtemp(prefix="iotmark-e2e-")
    servers = []
    try:
        make_lab(binary, root, "authority", "lab", "Example")
        run = subprocess.run(
            [binary, "run", "--profile", os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                                       "examples", "profiles", "good-camera.json"),
             "--device", "sim:good-camera", "--scheme", "uk-psti",
             "--out", os.path.join(root, "run")], capture_output=True, text=True)
        if run.returncode != 0:
            fail(f"iotmark run: exit {run.returncode}\n{run.stderr}")
        demo = issue(binary, root, "lab", "label-1")
        revoked = issue(binary, root, "lab", "label-2")
        # The same claims for a product the lab really tested: no mark.
        valid = tested_label(os.path.join(root, "label-1", "label.cose"),
                             os.path.join(root, "lab", "lab.key"), serial=1000)
        cli(binary, "revoke", "--registry", os.path.join(root, "lab", "registry.db"), "--serial", "2",
            "--key", os.path.join(root, "lab", "lab.key"), "--cert", os.path.join(root, "lab", "lab.pem"),
            "--reason", "firmware recalled")
        with open(os.path.join(root, "label-1", "label.json")) as f:
            digital_link = json.load(f)["digital_link_url"]
        link = digital_link[digital_link.index("/01/"):digital_link.index("L=") + 2] + valid
        make_lab(binary, root, "rogue-authority", "rogue-lab", "Rogue")
        forged = issue(binary, root, "rogue-lab", "label-forged")

        today_proc, today = start_server(binary, root)
        servers.append(today_proc)
        later_proc, later = start_server(binary, root, "--now", "2032-03-01")
        servers.append(later_proc)

        cases = [
            ("valid", f"{today}/l/{valid}", "green",
             ["Security updates until 31 December 2031", "left", "Report a security problem",
              "Goodcam Devices Ltd GC-200", "Example Test Lab", "UK product security law"]),
            ("support-ended", f"{later}/l/{valid}", "amber",
             ["Security updates have ended", "Security updates ended on 31 December 2031",
              "Report a security problem", "Goodcam Devices Ltd GC-200"]),
            ("demonstration", f"{today}/l/{demo}", "grey",
             ["Demonstration label — not a tested product", "simulated product",
              "Goodcam Devices Ltd GC-200"]),
            ("revoked", f"{today}/l/{revoked}", "red",
             ["Do not rely on this label", "withdrawn", "revoked"]),
            ("forged", f"{today}/l/{forged}", "red",
             ["Do not rely on this label", "could not be verified"]),
            # The GS1 Digital Link form a phone opens from `issue --digital-link`.
            ("digital-link", f"{today}{link}", "green",
             ["Security updates until 31 December 2031", "Goodcam Devices Ltd GC-200"]),
            # The genuine label pasted into another product's link.
            ("other-gtin", f"{today}/01/04006381333931?L={valid}", "red",
             ["Do not rely on this label", "names GTIN 04006381333931"]),
        ]
        for name, url, colour, words in cases:
            dom = chromium("--dump-dom", url)
            if dom.returncode != 0 or "<html" not in dom.stdout:
                fail(f"{name}: chromium --dump-dom failed ({dom.returncode}): {dom.stderr[-2000:]}")
            text = visible_text(dom.stdout)
            for w in words:
                if w not in text:
                    fail(f"{name}: {w!r} not in the page text: {text}")
            if name in ("forged", "other-gtin") and "GC-200" in text:
                fail(f"{name}: the page shows the label's product")
            if name == "demonstration" and "passed independent security testing" in text:
                fail(f"{name}: a demonstration label is shown as a tested product")
            shot = os.path.join(out, f"label-{name}.png")
            if os.path.exists(shot):
                os.remove(shot)
            run = chromium(f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", url)
            if not os.path.exists(shot):
                fail(f"{name}: no screenshot ({run.returncode}): {run.stderr[-2000:]}")
            pixel = check_screenshot(shot, colour)
            print(f"ok  {name:14} banner {colour} {pixel}  {shot}")
        print(f"browser e2e: {len(cases)} label pages checked")
    finally:
        for p in servers:
            p.kill()
            p.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
