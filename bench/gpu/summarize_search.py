#!/usr/bin/env python3
"""One line per GPU search session: evaluations, evaluations per minute, and the best node's
time, the baseline's time measured in the same evaluation, the speedup and the fraction of the
roofline floor (from the session's stored evaluation results).

usage: summarize_search.py PROBLEM SESSION.kevo EXIT_CODE SECONDS"""
import json
import sqlite3
import sys

problem, session, rc, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
try:
    db = sqlite3.connect(f"file:{session}?mode=ro", uri=True)
    rows = db.execute("select verdict, result, label from evaluations").fetchall()
except Exception as e:  # noqa: BLE001 - report and go on with the next problem
    print(f"{problem:18s} exit {rc}: no session ({e})")
    sys.exit(0)
best = None
ok = 0
for verdict, result, label in rows:
    r = json.loads(result)
    if verdict != "ok":
        continue
    ok += 1
    s = r["shape_sets"][0]
    if best is None or s["timing"]["median_seconds"] < best[1]["timing"]["median_seconds"]:
        best = (label, s)
n = len(rows)
line = f"{problem:18s} evals {n:3d} ({ok:3d} ok) in {seconds:5.1f} s = {60 * n / max(seconds, 1e-9):5.1f}/min"
if best:
    label, s = best
    t = s["timing"]["median_seconds"] * 1e6
    b = (s.get("baseline") or {}).get("median_seconds", 0) * 1e6
    floor = s["roofline"]["floor_seconds"] * 1e6
    line += (f" | best {t:8.1f} us ({label}) baseline {b:8.1f} us speedup {b / t if t else 0:5.2f}x"
             f" | floor {floor:7.1f} us = {100 * s['roofline']['fraction_of_floor']:5.1f}% of floor"
             f" ({s['roofline']['floor_bound']})")
else:
    line += " | no correct kernel"
print(line)
