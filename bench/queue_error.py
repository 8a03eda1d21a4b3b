#!/usr/bin/env python3
"""Queue-time error of a waiting-queue run (bench/run.sh's queue scenario).

usage: queue_error.py ANSWERS_LOG SLOTS SERVICE_SECONDS

ANSWERS_LOG is load_client's --answers-log: each 2xx answer's send and finish time and the
kernel's arrival stamp of its last bytes (ns). Finish times are the kernel's stamps where given
(on loopback, when the server's write delivered the answer: the load tool's own delay in
getting to the read is left out), else the tool's clock. With
SLOTS slots, a FIFO queue that never empties, and every request taking the same SERVICE_SECONDS
(delay + prefill) once it has a slot, the k-th answer to finish started when the (k - SLOTS)-th
finished: its slot was that one's. So the client can tell each request's planned time without
knowing the server's queue:
  the first SLOTS answers   error = finish - send - service   (no wait)
  every later one           error = finish - finish[k - SLOTS] - service
(the wait it saw, minus the wait the queue planned: the slot's hand-over, the timer's and the
delivery's lateness). Prints p50/p99/max/min in ms for both groups and a RESULT line.
"""
import sys


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def main():
    path, slots, service = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    rows = []
    with open(path) as f:
        for line in f:
            a, b, *k = line.split()
            done = int(k[0]) if k and int(k[0]) != 0 else int(b)
            rows.append((int(a), done))
    rows.sort(key=lambda r: r[1])
    svc = service * 1e9
    first = [(done - sent - svc) / 1e6 for sent, done in rows[:slots]]
    queued = [(rows[k][1] - rows[k - slots][1] - svc) / 1e6 for k in range(slots, len(rows))]
    waits = [(rows[k][1] - rows[k][0] - svc) / 1e9 for k in range(slots, len(rows))]
    for name, xs in (("unqueued", first), ("queued", queued)):
        print(f"  {name:8s} {len(xs):6d} answers: error ms p50 {pct(xs, 50):.3f} p99 {pct(xs, 99):.3f} "
              f"max {max(xs, default=float('nan')):.3f} min {min(xs, default=float('nan')):.3f}")
    if waits:
        print(f"  queued waits s: p50 {pct(waits, 50):.3f} max {max(waits):.3f}")
    print(f"RESULT queue answers={len(rows)} first_p50_ms={pct(first, 50):.3f} first_p99_ms={pct(first, 99):.3f} "
          f"queued_p50_ms={pct(queued, 50):.3f} queued_p99_ms={pct(queued, 99):.3f} "
          f"queued_max_ms={max(queued, default=float('nan')):.3f} queued_min_ms={min(queued, default=float('nan')):.3f} "
          f"wait_max_s={max(waits, default=float('nan')):.3f}")


if __name__ == "__main__":
    main()
