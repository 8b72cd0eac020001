#!/usr/bin/env python3
"""Render report folders' HTML in headless Chromium and check what a reader sees.

For each report folder given: report.html is loaded from disk (no network),
the DOM Chromium built is read back and its verdict table compared with
report.json row by row, the overall verdict banner checked, and a screenshot
taken and decoded (with this file's own PNG reader) to check its size, that it
is not blank, and that the verdict colours are on screen. The statement of
compliance is loaded too and its Schedule 4 rows checked.

usage: check_pages.py OUT_DIR REPORT_DIR [REPORT_DIR ...]
"""

import html.parser
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pngread import read_png  # noqa: E402

WIDTH, HEIGHT = 1280, 1600
PASS_RGB = (0xD7, 0xF5, 0xDD)
FAIL_RGB = (0xFB, 0xD5, 0xD5)
STATEMENT_ROWS = [
    "product", "manufacturers", "authorised_representatives", "prepared_by",
    "compliance", "standard", "support_period", "signatory_name",
    "signatory_function", "signature", "place_of_issue", "date_of_issue",
]


def chromium(args, timeout=90):
    with tempfile.TemporaryDirectory(prefix="iotmark-chromium-") as profile:
        cmd = [
            "chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
            "--hide-scrollbars", "--force-device-scale-factor=1",
            f"--user-data-dir={profile}",
        ] + args
        return subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)


def dump_dom(path):
    r = chromium(["--dump-dom", "file://" + os.path.abspath(path)])
    if r.returncode != 0 or not r.stdout:
        raise SystemExit(f"chromium --dump-dom {path} failed: {r.stderr.decode()[-500:]}")
    return r.stdout.decode("utf-8", "replace")


def screenshot(path, png):
    r = chromium([f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}",
                  "file://" + os.path.abspath(path)])
    if not os.path.exists(png):
        raise SystemExit(f"chromium --screenshot {path} wrote nothing: {r.stderr.decode()[-500:]}")


class Tables(html.parser.HTMLParser):
    """Rows (lists of cell text) of every table, keyed by the table's id,
    and the text of elements by id for a few ids we ask for."""

    def __init__(self, ids):
        super().__init__()
        self.tables, self.text, self.ids = {}, {}, set(ids)
        self.table, self.row, self.cell, self.open_ids = None, None, None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.table = a.get("id", f"table-{len(self.tables)}")
            self.tables[self.table] = []
        elif tag == "tr" and self.table is not None:
            self.row = {"id": a.get("id"), "cells": []}
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""
        if a.get("id") in self.ids:
            self.open_ids.append((tag, a["id"]))
            self.text[a["id"]] = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row["cells"].append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None and self.table is not None:
            self.tables[self.table].append(self.row)
            self.row = None
        elif tag == "table":
            self.table = None
        if self.open_ids and self.open_ids[-1][0] == tag:
            self.open_ids.pop()

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        for _, i in self.open_ids:
            self.text[i] += data


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def check_report(out, folder):
    report = json.load(open(os.path.join(folder, "report.json")))
    name = os.path.basename(os.path.normpath(folder))
    dom = dump_dom(os.path.join(folder, "report.html"))
    t = Tables(["verdict"])
    t.feed(dom)
    rows = [r["cells"] for r in t.tables.get("verdict-table", []) if r["id"]]
    seen = {cells[2]: cells[5] for cells in rows if len(cells) >= 6}
    want = {tc["id"]: tc["verdict"]
            for p in report["provisions"] for tc in p["test_cases"]}
    if seen != want:
        fail(f"{name}: verdict table in the rendered DOM differs from report.json:\n"
             f"  DOM   {seen}\n  JSON  {want}")
    banner = t.text.get("verdict", "")
    if report["verdict"] not in banner:
        fail(f"{name}: banner {banner!r} does not show {report['verdict']}")
    if "http://" in dom.split("<body", 1)[0] or "<script" in dom:
        fail(f"{name}: report.html pulls in scripts or remote resources")

    png = os.path.join(out, f"{name}-report.png")
    screenshot(os.path.join(folder, "report.html"), png)
    try:
        w, h, pixels = read_png(png)
    except ValueError as e:
        fail(str(e))
    if (w, h) != (WIDTH, HEIGHT):
        fail(f"{name}: screenshot is {w}x{h}, not {WIDTH}x{HEIGHT}")
    colours, counts = set(), {PASS_RGB: 0, FAIL_RGB: 0}
    for row in pixels[::2]:
        for px in row[::2]:
            colours.add(px)
            if px in counts:
                counts[px] += 1
    if len(colours) < 20:
        fail(f"{name}: screenshot looks blank ({len(colours)} colours)")
    verdicts = set(want.values())
    if "PASS" in verdicts and counts[PASS_RGB] == 0:
        fail(f"{name}: no PASS-green cell on screen")
    if "FAIL" in verdicts and counts[FAIL_RGB] == 0:
        fail(f"{name}: no FAIL-red cell on screen")
    print(f"{name}: report.html rendered, {len(rows)} verdict rows match report.json, "
          f"banner {report['verdict']}, screenshot {w}x{h} with {len(colours)} colours "
          f"(pass {counts[PASS_RGB]}, fail {counts[FAIL_RGB]} sampled pixels) -> {png}")

    statement = os.path.join(folder, "statement-of-compliance.html")
    if os.path.exists(statement):
        s = Tables([])
        s.feed(dump_dom(statement))
        ids = [r["id"] for rows in s.tables.values() for r in rows if r["id"]]
        missing = [i for i in STATEMENT_ROWS if i not in ids]
        if missing:
            fail(f"{name}: statement of compliance lacks rows {missing}")
        screenshot(statement, os.path.join(out, f"{name}-statement.png"))
        print(f"{name}: statement of compliance has all {len(STATEMENT_ROWS)} Schedule 4 rows")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for folder in sys.argv[2:]:
        check_report(out, folder)


if __name__ == "__main__":
    main()
