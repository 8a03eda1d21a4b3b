#!/usr/bin/env python3
"""Where each request's time went: TRACE_TIMING's tables joined with load_client's answers log.

usage: phases.py ANSWERS_LOG DELAY_SECONDS TRACE.tsv [TRACE.tsv ...]

The server (TRACE_TIMING=N) writes, per request, the CLOCK_MONOTONIC times of accept, first read,
request complete, admission, slot grant, deadline and first write; load_client --answers-log
writes, per answer, send, receipt, the kernel's arrival stamp, connect() and its local address.
Both clocks are the same (one machine), so the phases join on (client address, index on the
connection) and line up end to end:

  connect -> accept       the accept queue (first requests)
  send -> read            from the client's send to the server's read returning
  read -> complete        parsing (more reads when the request came in pieces)
  complete -> admitted    the admission time the delay counts from, against the read (<0: earlier)
  due - admitted - delay  what the plan added (prefill, a queue's wait); 0 for a plain delay
  written - due           the timer's lateness: the answer's send() returned this long after its deadline
  arrival - written       the kernel's delivery to the client's socket
  error                   arrival - send - delay: what the client saw beyond the delay
  early                   written - complete - delay < 0: an answer out before its delay had passed
                          since the request's last byte was read (must never happen)

Prints p50 / p99 / max (ms) per phase, for first requests on a connection and later ones, and a
RESULT line.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from queue_error import pct  # noqa: E402


def read_traces(paths):
    """TRACE_TIMING's tables: {(peer, seq): {phase_ns: int}}."""
    server = {}
    for path in paths:
        with open(path) as f:
            head = f.readline().split()
            for line in f:
                row = dict(zip(head, line.split()))
                server[(row["peer"], int(row["seq"]))] = {k: int(v) for k, v in row.items() if k.endswith("_ns")}
    return server


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    log, delay = sys.argv[1], float(sys.argv[2]) * 1e9
    server = read_traces(sys.argv[3:])
    phases = {}
    joined = missing = early = 0
    with open(log) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 6:
                sys.exit("phases.py: the answers log has no addresses (load_client older than --answers-log's 6 columns)")
            sent, done, kern, conn, peer, seq = int(parts[0]), int(parts[1]), int(parts[2]), int(parts[3]), parts[4], int(parts[5])
            arrival = kern if kern else done
            s = server.get((peer, seq))
            if s is None:
                missing += 1
                continue
            joined += 1
            group = "first" if seq == 0 else "later"
            due = s["due_ns"] or s["admitted_ns"]
            row = {
                "send -> read": s["read_ns"] - sent,
                "read -> complete": s["complete_ns"] - s["read_ns"],
                "complete -> admitted": s["admitted_ns"] - s["complete_ns"],
                "due - admitted - delay": due - s["admitted_ns"] - delay,
                "written - due": s["written_ns"] - due,
                "arrival - written": arrival - s["written_ns"],
                "error": arrival - sent - delay,
            }
            if seq == 0 and s["accept_ns"]:
                row = {"connect -> accept": s["accept_ns"] - conn, "accept -> read": s["read_ns"] - s["accept_ns"], **row}
            if s["written_ns"] - s["complete_ns"] < delay:
                early += 1
            for k, v in row.items():
                phases.setdefault(group, {}).setdefault(k, []).append(v / 1e6)
    print(f"  joined {joined} answers with the server's trace ({missing} not in it); early answers: {early}")
    result = [f"joined={joined}", f"missing={missing}", f"early={early}"]
    for group in ("first", "later"):
        if group not in phases:
            continue
        n = len(phases[group]["error"])
        print(f"  {group} requests ({n}), ms:          p50       p99       max")
        for k, xs in phases[group].items():
            print(f"    {k:24s} {pct(xs, 50):9.3f} {pct(xs, 99):9.3f} {max(xs):9.3f}")
            key = group + "_" + k.replace(" -> ", "_to_").replace(" - ", "_minus_").replace(" ", "_")
            result += [f"{key}_p50={pct(xs, 50):.3f}", f"{key}_p99={pct(xs, 99):.3f}"]
    print("RESULT phases " + " ".join(result))


if __name__ == "__main__":
    main()
