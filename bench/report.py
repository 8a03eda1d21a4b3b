#!/usr/bin/env python3
"""bench/report.py RESULTS_DIR: the table of bench/run.sh's figures (RESULTS_DIR/figures.tsv),
in Markdown, with ratios against nginx and against the reference server. Also writes the data
files for bench/plot.sh (hold-memory.dat, hold-delay.dat)."""
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


def ratio(a, b):
    x, y = num(a), num(b)
    if x is None or y is None or y == 0 or x != x or y != y:
        return "-"
    return f"{x / y:.2f}x"


def main():
    out = sys.argv[1]
    delay = os.environ.get("HOLD_DELAY", "10")
    figs = collections.OrderedDict()  # (scenario, level) -> metric -> server -> value
    for line in open(f"{out}/figures.tsv", encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 5:
            continue
        scenario, level, server, metric, value = parts
        figs.setdefault((scenario, level), collections.OrderedDict()).setdefault(metric, {})[server] = value

    titles = {
        "hold-burst": "hold (burst): {} keep-alive connections opened at once, 2 requests each, delay "
                      + delay + " s (bench/load_client, one run)",
        "hold-paced": "hold (paced): {} held requests, open loop, deadlines spread evenly, delay "
                      + delay + " s (bench/load_client, one run)",
        "throughput": "throughput: delay 0, {} keep-alive connections (wrk, medians)",
        "reject": "reject: MAX_CONCURRENT=1000, {} connections (bench/load_client, medians)",
    }
    micro = [(k, v) for k, v in figs.items() if k[0] == "micro"]
    if micro:
        print("### micro-benchmarks (llm-mock-server only; thread CPU time, medians)\n")
        print("| benchmark | figure | value |")
        print("| --- | --- | ---: |")
        for (_, level), metrics in micro:
            for metric, by in metrics.items():
                print(f"| {level} | {metric} | {fmt(by.get('ours'))} |")
        print()
    for (scenario, level), metrics in figs.items():
        if scenario == "micro":
            continue
        print(f"### {titles.get(scenario, scenario + ' {}').format(level)}\n")
        print("| figure | ours | nginx | ours / nginx | reference | ours / reference |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for metric, by in metrics.items():
            o, n, r = by.get("ours"), by.get("nginx"), by.get("reference")
            print(f"| {metric} | {fmt(o)} | {fmt(n)} | {ratio(o, n)} | {fmt(r)} | {ratio(o, r)} |")
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
            f.write(f"{level} " + " ".join(m.get(s, "nan") for s in SERVERS) + "\n")
    with open(f"{out}/hold-delay.dat", "w", encoding="utf-8") as f:
        f.write("# connections " + " ".join(f"{s}_burst_est_p99 {s}_burst_first_p99 {s}_paced_est_p99"
                                           for s in SERVERS) + "\n")
        for level, metrics in holds:
            e = metrics.get("delay error p99 ms, established", {})
            a = metrics.get("delay error p99 ms, first request (accept queue)", {})
            paced = figs.get(("hold-paced", str(level)), {}).get("delay error p99 ms, established", {})
            f.write(f"{level} " + " ".join(f"{e.get(s, 'nan')} {a.get(s, 'nan')} {paced.get(s, 'nan')}"
                                           for s in SERVERS) + "\n")


if __name__ == "__main__":
    main()
