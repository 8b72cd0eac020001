#!/usr/bin/env python3
"""Time a command until it prints its final result line, RUNS times.

    time_to_result.py RUNS RESULT_REGEX TIMEOUT -- COMMAND...

Prints one JSON line: the command, each run's seconds (null when the result
never appeared within TIMEOUT), mean and median of the runs that finished,
and how many runs had to be killed after their result (hydra 9.4 sometimes
keeps waiting on its dead workers after printing its result; the time to the
result is what a lab waits for, so that is what is measured).
"""
import json
import re
import statistics
import subprocess
import sys
import time


def one(pattern, timeout, cmd):
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    result_at = None
    lingered = False
    try:
        for line in proc.stdout:
            if re.search(pattern, line):
                result_at = time.monotonic() - started
                break
            if time.monotonic() - started > timeout:
                break
        if result_at is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                lingered = True
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return result_at, lingered


def main():
    runs, pattern, timeout = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    times, lingered = [], 0
    for _ in range(runs):
        t, stuck = one(pattern, timeout, cmd)
        times.append(t)
        lingered += stuck
    done = [t for t in times if t is not None]
    print(json.dumps({
        "command": " ".join(cmd),
        "runs": times,
        "mean": statistics.mean(done) if done else None,
        "median": statistics.median(done) if done else None,
        "killed_after_result": lingered,
    }))


if __name__ == "__main__":
    main()
