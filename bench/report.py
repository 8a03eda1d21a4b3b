#!/usr/bin/env python3
"""bench/report.py RESULTS_DIR [MORE_RESULTS_DIRS...]: the table of bench/run.sh's figures
(figures.tsv), in Markdown, with ratios against nginx and against the reference server. Also
writes the data files for bench/plot.sh (hold-memory.dat, hold-delay.dat) into the first
directory.

With several directories (several `make bench` runs), every figure is the median over the
runs, shown as "median (min-max)", and the ratios are those of the medians."""
import collections
import os
import sys

SERVERS = ["ours", "nginx", "reference"]


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v):
    x = num(v)
    if x is None or x != x:
        return v if v else "-"
    if x == int(x) and abs(x) >= 1000:
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}" if x else "0"


def dat(v):
    """A gnuplot data field ("nan" when missing)."""
    x = num(v)
    return "nan" if x is None else repr(x)


def median(values):
    nums = sorted(x for x in (num(v) for v in values) if x is not None and x == x)
    if not nums:
        return values[0] if values else None
    mid = len(nums) // 2
    return nums[mid] if len(nums) % 2 else (nums[mid - 1] + nums[mid]) / 2


def cell(values):
    """A table cell: the value, or "median (min-max)" over several runs."""
    m = median(values)
    nums = [x for x in (num(v) for v in values) if x is not None and x == x]
    if len(nums) < 2 or min(nums) == max(nums):
        return fmt(m)
    return f"{fmt(m)} ({fmt(min(nums))}-{fmt(max(nums))})"


def ratio(a, b):
    x, y = num(a), num(b)
    if x is None or y is None or y == 0 or x != x or y != y:
        return "-"
    return f"{x / y:.2f}x"


def main():
    dirs = sys.argv[1:]
    out = dirs[0]
    delay = os.environ.get("HOLD_DELAY", "10")
    runs = collections.OrderedDict()  # (scenario, level) -> metric -> server -> [values]
    for d in dirs:
        for line in open(f"{d}/figures.tsv", encoding="utf-8"):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5:
                continue
            scenario, level, server, metric, value = parts
            runs.setdefault((scenario, level), collections.OrderedDict()).setdefault(metric, {}) \
                .setdefault(server, []).append(value)
    figs = collections.OrderedDict()  # the same, one (median) value each
    for key, metrics in runs.items():
        figs[key] = collections.OrderedDict(
            (m, {srv: median(vals) for srv, vals in by.items()}) for m, by in metrics.items())
    if len(dirs) > 1:
        print(f"Medians over {len(dirs)} runs ({', '.join(os.path.basename(d.rstrip('/')) for d in dirs)}); "
              "(min-max) where they differ.\n")

    titles = {
        "hold-burst": "hold (burst): {} keep-alive connections opened at once, 2 requests each, delay "
                      + delay + " s (bench/load_client)",
        "hold-paced": "hold (paced): {} held requests, open loop, deadlines spread evenly, delay "
                      + delay + " s (bench/load_client)",
        "throughput": "throughput: delay 0, {} keep-alive connections (wrk; each run the median of 3)",
        "reject": "reject: MAX_CONCURRENT=1000, {} connections, delay 60 s (bench/load_client; each run the median of 3)",
        "queue": "queue: {} requests against MAX_CONCURRENT=1000 + MAX_WAITING=10000, and against 10,000 slots"
                 " (bench/load_client, bench/queue_error.py; medians of " + os.environ.get("QUEUE_REPS", "3") + " runs;"
                 " llm-mock-server only: the baselines have no queue)",
        "wrkburst": "wrkburst: wrk -t1 -c{} -d" + os.environ.get("WRK_BURST_SECONDS", "25") + "s, chat POST, delay 10 s"
                    " (two rounds a connection; bench/burst.lua; medians of " + os.environ.get("WRK_BURST_REPS", "3")
                    + " runs, servers alternating; delay error = wrk's latency - 10 s)",
        "stream": "stream: {} concurrent SSE streams, TTFT " + os.environ.get("STREAM_TTFT", "0.5") + " s, ITL "
                  + os.environ.get("STREAM_ITL", "0.02") + " s, " + os.environ.get("STREAM_TOKENS", "200")
                  + " tokens, " + os.environ.get("STREAM_PER_CONN", "2") + " streams per connection "
                  "(bench/load_client --stream 1; each run the median of " + os.environ.get("STREAM_REPS", "3")
                  + " repetitions, servers alternating; errors: TTFT signed, gaps |gap - ITL|; nginx cannot stream"
                  " per token)",
    }
    micro = [(k, v) for k, v in figs.items() if k[0] == "micro"]
    if micro:
        print("### micro-benchmarks (llm-mock-server only; thread CPU time, medians)\n")
        print("| benchmark | figure | value |")
        print("| --- | --- | ---: |")
        for (_, level), metrics in micro:
            for metric, by in metrics.items():
                print(f"| {level} | {metric} | {cell(runs[('micro', level)][metric].get('ours', []))} |")
        print()
    for (scenario, level), metrics in figs.items():
        if scenario == "micro":
            continue
        print(f"### {titles.get(scenario, scenario + ' {}').format(level)}\n")
        # A scenario nginx did not run (stream) leaves its columns out.
        with_nginx = any("nginx" in by for by in metrics.values())
        if with_nginx:
            print("| figure | ours | nginx | ours / nginx | reference | ours / reference |")
            print("| --- | ---: | ---: | ---: | ---: | ---: |")
        else:
            print("| figure | ours | reference | ours / reference |")
            print("| --- | ---: | ---: | ---: |")
        for metric, by in metrics.items():
            o, n, r = by.get("ours"), by.get("nginx"), by.get("reference")
            c = {srv: cell(runs[(scenario, level)][metric].get(srv, [])) for srv in SERVERS}
            if with_nginx:
                print(f"| {metric} | {c['ours']} | {c['nginx']} | {ratio(o, n)} | {c['reference']} | {ratio(o, r)} |")
            else:
                print(f"| {metric} | {c['ours']} | {c['reference']} | {ratio(o, r)} |")
        print()

    # Extrapolation from the largest hold level: how many held requests 1 GiB would take.
    holds = sorted((int(k[1]), v) for k, v in figs.items() if k[0] == "hold-burst")
    if holds:
        level, metrics = holds[-1]
        per = metrics.get("memory per held request, bytes", {})
        idle = metrics.get("memory idle MiB", {})
        lines = []
        for s in SERVERS:
            p, i = num(per.get(s)), num(idle.get(s))
            if p and p > 0 and i is not None:
                lines.append(f"{s} {int((1024 - i) * 1048576 / p):,}")
        if lines:
            print(f"Extrapolation (not a measurement): at the memory per held request measured with {level:,} "
                  f"connections, 1 GiB minus the idle server would hold about: " + ", ".join(lines) +
                  " requests. The open-file limit here (20,000 per process) is the real cap on this box.\n")

    # Plot data: one row per level, columns per server.
    with open(f"{out}/hold-memory.dat", "w", encoding="utf-8") as f:
        f.write("# connections " + " ".join(f"{s}_peak_MiB" for s in SERVERS) + "\n")
        for level, metrics in holds:
            m = metrics.get("memory peak MiB", {})
            f.write(f"{level} " + " ".join(dat(m.get(s)) for s in SERVERS) + "\n")
    with open(f"{out}/hold-delay.dat", "w", encoding="utf-8") as f:
        f.write("# connections " + " ".join(f"{s}_burst_est_p99 {s}_burst_first_p99 {s}_paced_est_p99"
                                           for s in SERVERS) + "\n")
        for level, metrics in holds:
            e = metrics.get("delay error p99 ms, established", {})
            a = metrics.get("delay error p99 ms, first request (accept queue)", {})
            paced = figs.get(("hold-paced", str(level)), {}).get("delay error p99 ms, established", {})
            f.write(f"{level} " + " ".join(f"{dat(e.get(s))} {dat(a.get(s))} {dat(paced.get(s))}"
                                           for s in SERVERS) + "\n")


if __name__ == "__main__":
    main()
