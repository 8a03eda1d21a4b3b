#!/usr/bin/env python3
"""Invariants of TRACE_TIMING's tables joined with load_client's answers log (test/suite_timing.sh).

usage: timing_check.py ANSWERS_LOG DELAY_SECONDS TRACE.tsv [TRACE.tsv ...]

Prints one "name value" line per figure; the suite compares them. Every count printed is of
violations except `records`, `joined` and `first`.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from phases import read_traces  # noqa: E402


def main():
    log, delay = sys.argv[1], round(float(sys.argv[2]) * 1e9)
    recs = read_traces(sys.argv[3:])
    bad = {k: 0 for k in ("order", "accept_missing", "admitted_before_complete", "plan_not_delay",
                           "written_before_due", "early_from_last_byte", "client_early")}
    joined = first = 0
    with open(log) as f:
        for line in f:
            sent, done, kern, conn, peer, seq = line.split()
            sent, done, kern, conn, seq = int(sent), int(done), int(kern), int(conn), int(seq)
            r = recs.get((peer, seq))
            if r is None:
                continue
            joined += 1
            if seq == 0:
                first += 1
                if not (conn <= r["accept_ns"] <= r["read_ns"]):
                    bad["accept_missing"] += 1
            elif r["accept_ns"] != 0:
                bad["accept_missing"] += 1
            if not (sent <= r["read_ns"] <= r["complete_ns"] <= r["written_ns"]):
                bad["order"] += 1
            if r["admitted_ns"] < r["complete_ns"]:
                bad["admitted_before_complete"] += 1  # the delay must count from the last byte read
            if r["due_ns"] - r["admitted_ns"] != delay:
                bad["plan_not_delay"] += 1
            if r["written_ns"] < r["due_ns"]:
                bad["written_before_due"] += 1
            if r["written_ns"] - r["complete_ns"] < delay:
                bad["early_from_last_byte"] += 1
            arrival = kern or done
            if arrival - sent < delay:
                bad["client_early"] += 1
    print("records", len(recs))
    print("joined", joined)
    print("first", first)
    for k, v in bad.items():
        print(k, v)


if __name__ == "__main__":
    main()
