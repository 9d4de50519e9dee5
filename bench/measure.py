#!/usr/bin/env python3
"""Runs a command N times with a file on stdin; prints the median wall time (seconds) and
the peak resident set size (MiB) of the runs, as JSON.

usage: measure.py RUNS INPUT -- COMMAND...   (INPUT is '-' for no stdin)"""
import json
import resource
import statistics
import subprocess
import sys
import time

runs = int(sys.argv[1])
input_path = sys.argv[2]
command = sys.argv[4:]
times = []
for _ in range(runs):
    stdin = open(input_path, "rb") if input_path != "-" else subprocess.DEVNULL
    start = time.perf_counter()
    done = subprocess.run(command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    times.append(time.perf_counter() - start)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {done.stderr.decode()[:500]}")
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"median_s": statistics.median(times), "runs": runs, "peak_rss_mib": peak_kib / 1024}))
