#!/usr/bin/env python3
"""The dashboard suite's helpers (test/suite_dashboard.sh), one per subcommand:

  promql GRAFANA_JSON METRICS_FILE   every expression in the Grafana dashboard names only metric
                                     families METRICS_FILE exports (its # TYPE lines); prints one
                                     line per problem and "ok N expressions, M names" at the end
  load URL COUNT SECONDS             COUNT streamed chat requests over 16 threads, stopped after
                                     SECONDS whatever is left; every 8th uses the key sk-slow
  compare DUMP BEFORE_METRICS AFTER_METRICS BEFORE_HEALTH AFTER_HEALTH SAMPLES
                                     the page's figures against the server's before and after the
                                     browser ran (counters between them, gauges within the range
                                     SAMPLES saw, percentiles within 2x of theirs); "PASS name" or
                                     "FAIL name (detail)" lines
"""
import json
import re
import sys
import threading
import time
import urllib.request
from html.parser import HTMLParser

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
            "offset", "inf", "nan", "le"}


def families(metrics_text):
    fam = {}
    for line in metrics_text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            fam[m.group(1)] = m.group(2)
    return fam


def names_in(expr):
    """The metric names an expression reads: identifiers outside strings, label matchers and
    ranges that are not functions (followed by '('), keywords or grouping labels."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    out = []
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        word = m.group(0)
        rest = e[m.end():].lstrip()
        if rest.startswith("(") or word.lower() in KEYWORDS:
            continue
        if m.start() > 0 and (e[m.start() - 1].isdigit() or e[m.start() - 1] in ".$"):
            continue  # 1e3's e, $__rate_interval
        out.append(word)
    return out


def family_ok(name, fam):
    """True when name is an exported family, or a histogram's (summary's) _bucket/_sum/_count."""
    if fam.get(name) in ("counter", "gauge", "untyped"):
        return True
    for suffix, kinds in (("_bucket", ("histogram",)), ("_sum", ("histogram", "summary")),
                          ("_count", ("histogram", "summary"))):
        if name.endswith(suffix) and fam.get(name[: -len(suffix)]) in kinds:
            return True
    return False


def exprs(dash):
    for p in dash.get("panels", []):
        for t in p.get("targets", []):
            yield p.get("title", "?"), t.get("expr", "")
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            m = re.match(r"label_values\((.*),\s*\w+\)$", v.get("query", ""))
            yield "variable " + v["name"], m.group(1) if m else v.get("query", "")


def promql(dash_file, metrics_file):
    dash = json.load(open(dash_file))
    fam = families(open(metrics_file).read())
    problems, count, seen = 0, 0, set()
    for where, expr in exprs(dash):
        count += 1
        names = names_in(expr)
        if not names:
            print(f"{where}: no metric name in {expr!r}")
            problems += 1
        for n in names:
            seen.add(n)
            if not family_ok(n, fam):
                print(f"{where}: {n} is not exported ({expr})")
                problems += 1
    print(f"ok {count} expressions, {len(seen)} names" if problems == 0 else f"{problems} problems")
    return 0 if problems == 0 else 1


def load(url, count, seconds):
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    state = {"left": count, "done": 0}
    body = json.dumps({"model": "qwen-plus", "stream": True, "max_tokens": 8,
                       "messages": [{"role": "user", "content": "hello"}]}).encode()

    def run():
        while time.monotonic() < deadline:
            with lock:
                if state["left"] == 0:
                    return
                state["left"] -= 1
                n = state["left"]
            key = "sk-slow" if n % 8 == 0 else "sk-load"
            rq = urllib.request.Request(url + "/v1/chat/completions", data=body, method="POST", headers={
                "Content-Type": "application/json", "Authorization": "Bearer " + key})
            try:
                with urllib.request.urlopen(rq, timeout=10) as r:
                    r.read()
            except Exception:
                pass  # 429s and injected faults are part of the load
            with lock:
                state["done"] += 1

    threads = [threading.Thread(target=run) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(state["done"])
    return 0


class Figures(HTMLParser):
    def __init__(self):
        super().__init__()
        self.figures = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a and "data-v" in a:
            self.figures[a["id"]] = {"v": a["data-v"], "all": a.get("data-all")}


def samples(text):
    out = []
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$", line)
        if m:
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
            out.append((m.group(1), labels, float(m.group(3))))
    return out


def by(ms, name, key=None, skip=None):
    o = {}
    for n, l, v in ms:
        if n == name and not (skip and skip(l)):
            k = l.get(key, "") if key else ""
            o[k] = o.get(k, 0) + v
    return o


def quantile(q, ms, fam):
    b = by(ms, fam + "_bucket", "le")
    rows = sorted(((float("inf") if k == "+Inf" else float(k)), c) for k, c in b.items())
    if not rows or rows[-1][1] <= 0:
        return None
    rank, lo, below = q * rows[-1][1], 0.0, 0.0
    for le, c in rows:
        if c >= rank:
            if le == float("inf"):
                return lo
            return le if c == below else lo + (le - lo) * (rank - below) / (c - below)
        lo, below = le, c
    return lo


def compare(dump, mb, ma, hb, ha, sample_file):
    f = Figures()
    f.feed(open(dump, encoding="utf-8", errors="replace").read())
    fig = f.figures
    b, a = samples(open(mb).read()), samples(open(ma).read())
    hb, ha = json.load(open(hb)), json.load(open(ha))
    seen = [json.loads(x) for x in open(sample_file) if x.strip().startswith("{")] + [hb, ha]
    bad = 0

    def out(ok, name, detail):
        nonlocal bad
        bad += not ok
        print(("PASS " if ok else "FAIL ") + name + ("" if ok else f" ({detail})"))

    def val(key, field="v"):
        try:
            return float(fig[key][field])
        except (KeyError, TypeError, ValueError):
            return None

    def between(name, key, lo, hi, slack=0):
        v = val(key)
        out(v is not None and lo - slack <= v <= hi + slack, name, f"page {v}, server {lo}..{hi}")

    out(val("v-polls") is not None and val("v-polls") >= 2, "the page polled at least twice",
        f"polls {val('v-polls')}")
    between("MAX_CONCURRENT", "v-max", ha["max_concurrent_requests"], ha["max_concurrent_requests"])
    rng = lambda f: (min(f(s) for s in seen), max(f(s) for s in seen))
    between("held requests within the samples' range", "v-held", *rng(lambda s: s["active_requests"]), slack=2)
    between("open connections within the samples' range", "v-conns", *rng(lambda s: s["open_connections"]), slack=4)
    between("queue waiting", "v-queue", *rng(lambda s: s["queue"]["waiting"]))
    between("uptime", "v-uptime", hb["uptime_seconds"], ha["uptime_seconds"])
    rss = ha["memory"]["process_rss_bytes"]
    between("process RSS within 2x", "v-rss", rss / 2, rss * 2)
    own = lambda l: l.get("route") in ("health", "metrics", "dashboard")
    sb, sa = by(b, "llm_mock_requests_total", "status", own), by(a, "llm_mock_requests_total", "status", own)
    for k in sorted(sa):
        if ("v-status-" + k) in fig or sb.get(k, 0) != 0:  # else first counted after the page's last poll
            between(f"answers with status {k}: total", "v-status-" + k, sb.get(k, 0), sa[k])
    out(len(sa) >= 2 and all(("v-status-" + k) in fig for k in sb), "every status the server counted is shown",
        f"server {sorted(sa)}, page {sorted(x for x in fig if x.startswith('v-status-'))}")
    fb, fa = by(b, "llm_mock_faults_injected_total", "kind"), by(a, "llm_mock_faults_injected_total", "kind")
    for k in sorted(fa):
        between(f"faults {k}: total", "v-fault-" + k, fb.get(k, 0), fa[k])
    between("faults: sum", "v-faults", sum(fb.values()), sum(fa.values()))
    rb, ra = sum(by(b, "llm_mock_rate_limited_total").values()), sum(by(a, "llm_mock_rate_limited_total").values())
    between("rate-limited total", "v-ratelimited", rb, ra)
    eb, ea = sum(by(b, "llm_mock_early_retries_total").values()), sum(by(a, "llm_mock_early_retries_total").values())
    between("early retries total", "v-early", eb, ea)
    out(ra > 0 and ea > 0 and sum(fa.values()) > 0, "the load made 429s, early retries and faults",
        f"rate-limited {ra}, early {ea}, faults {sum(fa.values())}")
    ph = [v for n, l, v in a if n == "llm_mock_scenario_phase"]
    between("scenario phase", "v-phase", ph[0] if ph else -9, ph[0] if ph else -9)
    for key, fam in (("ttft", "llm_mock_time_to_first_token_seconds"), ("itl", "llm_mock_inter_token_latency_seconds"),
                     ("late", "llm_mock_response_lateness_seconds")):
        for q in (50, 99):
            qb, qa, v = quantile(q / 100, b, fam), quantile(q / 100, a, fam), val(f"v-{key}-p{q}", "all")
            ok = qb is not None and qa is not None and v is not None and \
                min(qb, qa) * 0.5 - 1e-6 <= v <= max(qb, qa) * 2 + 1e-6  # not bracketed: a burst moves it
            out(ok, f"{key} p{q} since start near the server's", f"page {v}, server {qb}..{qa}")
            w = val(f"v-{key}-p{q}")
            out(w is not None and w >= 0, f"{key} p{q} of the last 10 s shown", f"page {w}")
    return 1 if bad else 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "promql":
        sys.exit(promql(sys.argv[2], sys.argv[3]))
    if cmd == "load":
        sys.exit(load(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
    if cmd == "compare":
        sys.exit(compare(*sys.argv[2:8]))
    sys.exit(2)
