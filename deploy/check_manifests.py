#!/usr/bin/python3
"""Offline checks of compose.yaml and deploy/kubernetes/*.yaml (no cluster, no engine).

kubeconform is not packaged in Debian and `kubectl --dry-run=client` needs an API server, so
this parses every manifest (PyYAML), checks the fields each kind requires, and checks what ties
the files together and to the server: selectors match the pod labels, named ports exist, the
grace period outlasts the preStop pause plus the delay, the probes hit /health and a TCP port,
the resources are the measured 1 CPU / 1 GiB shape. Prints "ok ..." or "FAIL ..." per check.

usage: check_manifests.py REPO_DIR
"""
import os
import sys

import yaml

failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1
    return cond


def get(d, path, default=None):
    for key in path.split("."):
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


def interp(value):
    """Compose's ${VAR:-default} with VAR unset: the default, as an int when it is one."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}") and ":-" in value:
        value = value[2:-1].split(":-", 1)[1]
        return int(value) if value.isdigit() else value
    return value


def seconds(text):
    """Compose durations: "30s", "1m30s", "500ms", or a number of seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    total, num = 0.0, ""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    i = 0
    while i < len(text):
        c = text[i]
        if c.isdigit() or c == ".":
            num += c
            i += 1
            continue
        unit = text[i:i + 2] if text[i:i + 2] in ("ms", "us") else c
        total += float(num) * units[unit]
        num, i = "", i + len(unit)
    return total + (float(num) if num else 0.0)


def check_compose(repo):
    path = os.path.join(repo, "compose.yaml")
    with open(path) as f:
        doc = yaml.safe_load(f)
    check(isinstance(doc, dict) and "services" in doc, "compose: compose.yaml parses and has services")
    check("name" not in doc, "compose: no top-level name: (docker-compose 1.29 rejects it)")
    services = doc.get("services", {})
    shapes = {"llm-mock-1c1g": (1.0, 1 << 30), "llm-mock-2c2g": (2.0, 2 << 30)}
    for name, (cpus, mem) in shapes.items():
        s = services.get(name)
        if not check(isinstance(s, dict), f"compose: service {name} exists"):
            continue
        check(float(s.get("cpus", 0)) == cpus, f"compose: {name} cpus {cpus}")
        check(str(s.get("mem_limit", "")).lower() in (f"{mem >> 30}g", f"{mem >> 30}gb", str(mem)),
              f"compose: {name} mem_limit {mem >> 30}g")
        nofile = get(s, "ulimits.nofile")
        soft = interp(nofile.get("soft") if isinstance(nofile, dict) else nofile)
        check(isinstance(soft, int) and soft >= 65536, f"compose: {name} ulimits nofile raised ({soft})")
        check(int(get(s, "sysctls", {}).get("net.core.somaxconn", 0)) >= 4096,
              f"compose: {name} sysctls net.core.somaxconn")
        test = get(s, "healthcheck.test", [])
        check(isinstance(test, list) and test[:1] == ["CMD"] and "healthcheck" in test,
              f"compose: {name} exec-form healthcheck calling the binary")
        delay = float(interp(str(s.get("environment", {}).get("RESPONSE_DELAY_SECONDS", "10"))))
        grace = seconds(s.get("stop_grace_period", "10s"))
        # The server's own drain deadline is delay + 5 s (SHUTDOWN_TIMEOUT_SECONDS).
        check(grace > delay + 5, f"compose: {name} stop_grace_period {grace:g}s > delay {delay:g}s + 5s")
        check(s.get("stop_signal", "SIGTERM") == "SIGTERM", f"compose: {name} stop_signal SIGTERM")
        check(any(str(p).endswith(":8080") or get(p if isinstance(p, dict) else {}, "target") == 8080
                  for p in s.get("ports", [])), f"compose: {name} publishes container port 8080")


def load_kube(repo):
    kdir = os.path.join(repo, "deploy", "kubernetes")
    objs = {}
    for fn in sorted(os.listdir(kdir)):
        if not fn.endswith((".yaml", ".yml")):
            continue
        with open(os.path.join(kdir, fn)) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        check(len(docs) > 0, f"kubernetes: {fn} parses")
        for d in docs:
            ok = isinstance(d, dict) and d.get("apiVersion") and d.get("kind")
            check(bool(ok), f"kubernetes: {fn} {d.get('kind') if isinstance(d, dict) else '?'} has apiVersion and kind")
            if ok:
                if d["kind"] != "Kustomization":
                    check(bool(get(d, "metadata.name")), f"kubernetes: {fn} {d['kind']} has metadata.name")
                objs[d["kind"]] = (fn, d)
    return objs


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_kube(repo):
    objs = load_kube(repo)
    for kind in ("Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"):
        check(kind in objs, f"kubernetes: a {kind}")
    monitored = "ServiceMonitor" in objs
    if "Deployment" not in objs:
        return
    _, dep = objs["Deployment"]
    check(dep["apiVersion"] == "apps/v1", "kubernetes: Deployment apps/v1")
    tmpl_labels = get(dep, "spec.template.metadata.labels", {})
    check(matches(get(dep, "spec.selector.matchLabels"), tmpl_labels),
          "kubernetes: Deployment selector matches its pod template labels")
    pod = get(dep, "spec.template.spec", {})
    containers = pod.get("containers", [])
    if not check(len(containers) == 1 and containers[0].get("image") and containers[0].get("name"),
                 "kubernetes: one container with name and image"):
        return
    c = containers[0]
    ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
    check(ports.get("http") == 8080, "kubernetes: container port http = 8080")
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    check(env.get("PORT", "8080") == "8080", "kubernetes: PORT matches the container port")
    for what in ("requests", "limits"):
        r = get(c, f"resources.{what}", {})
        check(str(r.get("cpu")) in ("1", "1000m") and r.get("memory") == "1Gi",
              f"kubernetes: resources.{what} 1 CPU / 1Gi")

    def port_ok(p):
        return p in ports or p == 8080

    rp = c.get("readinessProbe", {})
    check(get(rp, "httpGet.path") == "/health" and port_ok(get(rp, "httpGet.port")),
          "kubernetes: readiness probe GET /health on the server's port")
    lp = c.get("livenessProbe", {})
    live_tcp = "tcpSocket" in lp and port_ok(get(lp, "tcpSocket.port"))
    live_cheap = "exec" in lp or "grpc" in lp
    check(live_tcp or live_cheap, "kubernetes: liveness probe is a TCP (or separate) check, not /health")
    check(get(lp, "httpGet.path") != "/health",
          "kubernetes: liveness does not use /health (503 under load would restart busy replicas)")
    pre = get(c, "lifecycle.preStop", {})
    pause = get(pre, "sleep.seconds", 0)
    check(pause > 0 or "exec" in pre, "kubernetes: preStop pause")
    delay = float(env.get("RESPONSE_DELAY_SECONDS", "10"))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    check(grace > pause + delay + 5,
          f"kubernetes: terminationGracePeriodSeconds {grace} > preStop {pause} + delay {delay:g} + 5")
    sc = {**pod.get("securityContext", {}), **c.get("securityContext", {})}
    check(sc.get("runAsNonRoot") is True and sc.get("runAsUser", 65532) == 65532,
          "kubernetes: runs as non-root 65532, like the image")
    ann = get(dep, "spec.template.metadata.annotations", {})
    check(monitored or (ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/path") == "/metrics"),
          "kubernetes: Prometheus scrape annotations or a ServiceMonitor")

    if "Service" in objs:
        _, svc = objs["Service"]
        check(matches(get(svc, "spec.selector"), tmpl_labels), "kubernetes: Service selects the pods")
        targets = [p.get("targetPort") for p in get(svc, "spec.ports", [])]
        check(bool(targets) and all(port_ok(t) for t in targets), "kubernetes: Service targetPort exists on the pod")
    if "PodDisruptionBudget" in objs:
        _, pdb = objs["PodDisruptionBudget"]
        check(pdb["apiVersion"] == "policy/v1", "kubernetes: PodDisruptionBudget policy/v1")
        check(matches(get(pdb, "spec.selector.matchLabels"), tmpl_labels), "kubernetes: PDB selects the pods")
        check(("minAvailable" in pdb["spec"]) != ("maxUnavailable" in pdb["spec"]),
              "kubernetes: PDB sets exactly one of minAvailable/maxUnavailable")
    if "HorizontalPodAutoscaler" in objs:
        _, hpa = objs["HorizontalPodAutoscaler"]
        check(hpa["apiVersion"] == "autoscaling/v2", "kubernetes: HPA autoscaling/v2")
        ref = get(hpa, "spec.scaleTargetRef", {})
        check(ref.get("kind") == "Deployment" and ref.get("name") == get(dep, "metadata.name"),
              "kubernetes: HPA targets the Deployment")
        lo, hi = get(hpa, "spec.minReplicas", 1), get(hpa, "spec.maxReplicas", 0)
        check(isinstance(hi, int) and 1 <= lo <= hi and len(get(hpa, "spec.metrics", [])) > 0,
              f"kubernetes: HPA replicas {lo}..{hi} with metrics")
    if monitored:
        _, sm = objs["ServiceMonitor"]
        svc_labels = get(objs.get("Service", ("", {}))[1], "metadata.labels", {})
        check(matches(get(sm, "spec.selector.matchLabels"), svc_labels), "kubernetes: ServiceMonitor selects the Service")
        check(any(e.get("path") == "/metrics" for e in get(sm, "spec.endpoints", [])),
              "kubernetes: ServiceMonitor scrapes /metrics")
    if "Kustomization" in objs:
        fn, k = objs["Kustomization"]
        kdir = os.path.join(repo, "deploy", "kubernetes")
        check(all(os.path.exists(os.path.join(kdir, r)) for r in k.get("resources", [])),
              "kubernetes: kustomization resources exist")


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else "."
    check_compose(repo)
    check_kube(repo)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
