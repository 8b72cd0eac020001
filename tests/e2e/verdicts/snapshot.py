#!/usr/bin/env python3
"""Runs every simulated product through every scheme and prints one line per
test case: product, scheme, test case, verdict, how it was decided and its
reason, with run-specific values (loopback ports, timings, hashes) replaced by
placeholders. Two snapshots taken from two builds compare with `diff`: a
change of structure that changes no behaviour leaves them identical.

usage: snapshot.py IOTMARK_BINARY OUT_FILE [PRODUCT ...]
"""
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCHEMES = ["uk-psti", "en303645", "en303645-full"]

VOLATILE = [
    (re.compile(r"(127\.0\.0\.1|localhost|\[::1\]):\d+"), r"\1:PORT"),
    (re.compile(r"\bports? \d{4,5}\b"), "port PORT"),
    (re.compile(r"\b\d+(\.\d+)? ?(ms|s|seconds|µs)\b"), "N \\2"),
    (re.compile(r"\b[0-9a-f]{12,}\b"), "HEX"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T[0-9:.]+Z?"), "TIME"),
    (re.compile(r"attempt \d+ came"), "attempt N came"),
    # Reconnection gaps and password strength vary from run to run.
    (re.compile(r"gaps of \[[0-9, ]*\]"), "gaps of [N]"),
    (re.compile(r"10\^\d+(\.\d+)? guesses"), "10^N guesses"),
    (re.compile(r"tried \d+ times"), "tried N times"),
]


def normalise(text):
    text = text.replace(ROOT, "ROOT")
    for pattern, repl in VOLATILE:
        text = pattern.sub(repl, text)
    return " ".join(text.split())


def products():
    folder = os.path.join(ROOT, "examples", "profiles")
    return sorted(
        name[: -len(".json")]
        for name in os.listdir(folder)
        if name.endswith(".json") and name != "iotmark-serve.json"
    )


def run(binary, product, scheme):
    with tempfile.TemporaryDirectory() as out:
        cmd = [
            binary, "run",
            "--profile", os.path.join(ROOT, "examples", "profiles", product + ".json"),
            "--device", "sim:" + product,
            "--scheme", scheme,
            "--out", os.path.join(out, "run"),
        ]
        attest = os.path.join(ROOT, "examples", "attestations", product + ".json")
        if os.path.exists(attest):
            cmd += ["--attestations", attest]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        lines = [f"{product}\t{scheme}\texit\t{proc.returncode}"]
        path = os.path.join(out, "run", "report.json")
        if not os.path.exists(path):
            lines.append(f"{product}\t{scheme}\tno-report\t{normalise(proc.stderr)}")
            return lines
        with open(path) as f:
            report = json.load(f)
        lines.append(f"{product}\t{scheme}\tverdict\t{report.get('verdict')}")
        for provision in report.get("provisions", []):
            for case in provision.get("test_cases", []):
                lines.append("\t".join([
                    product, scheme, case["id"], case["verdict"], case.get("how", ""),
                    normalise(case.get("reason", "")),
                ]))
        return lines


def main():
    binary, out_file = sys.argv[1], sys.argv[2]
    chosen = sys.argv[3:] or products()
    jobs = [(p, s) for p in chosen for s in SCHEMES]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda job: run(binary, *job), jobs))
    with open(out_file, "w") as f:
        for lines in results:
            f.write("\n".join(lines) + "\n")
    print(f"{len(jobs)} runs, {sum(len(r) for r in results)} lines -> {out_file}")


if __name__ == "__main__":
    main()
