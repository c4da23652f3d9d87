#!/usr/bin/env python3
"""Runs the intake benchmark's loads with wrk and prints the results table.

Called by bench/intake/run.sh once PostgreSQL, kfix, the baseline and the
no-op server are up (standard library only). Every load is bounded in time
by wrk's -d. For each phase it records wrk's result line (see wrk/*.lua),
the CPU seconds used meanwhile by each server process tree, by PostgreSQL
and by wrk itself, and for kfix the server-side ack-latency and batch-size
histograms from /metrics.
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
WRK_DIR = os.path.join(HERE, "wrk")
TICK = os.sysconf("SC_CLK_TCK")


# -- process CPU -------------------------------------------------------------


def _proc_table():
    table = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                stat = f.read()
        except OSError:
            continue
        # The command may contain spaces: fields start after the last ')'.
        rest = stat[stat.rfind(")") + 2:].split()
        ppid = int(rest[1])
        cpu = (int(rest[11]) + int(rest[12])) / TICK  # utime + stime
        table[int(pid)] = (ppid, cpu)
    return table


def tree_cpu(root_pids):
    """CPU seconds of each root process plus its live descendants."""
    table = _proc_table()
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out = {}
    for name, root in root_pids.items():
        total, pending = 0.0, [root]
        while pending:
            pid = pending.pop()
            if pid in table:
                total += table[pid][1]
                pending.extend(children.get(pid, []))
        out[name] = total
    return out


# -- kfix /metrics -------------------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')


def scrape(url):
    """The histogram samples of kfix's /metrics as {(name, labels): value}."""
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m and m.group(1).startswith(("kfix_webhook_ack_seconds",
                                        "kfix_intake_batch_size")):
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def histogram_delta(before, after, name):
    """Bucket bounds with per-phase cumulative counts, plus count and sum."""
    buckets = []
    for (metric, labels), value in after.items():
        if metric != name + "_bucket":
            continue
        le = re.search(r'le="([^"]+)"', labels).group(1)
        bound = float("inf") if le == "+Inf" else float(le)
        buckets.append((bound, value - before.get((metric, labels), 0.0)))
    buckets.sort()
    count = after.get((name + "_count", ""), 0) - before.get((name + "_count", ""), 0)
    total = after.get((name + "_sum", ""), 0) - before.get((name + "_sum", ""), 0)
    return buckets, count, total


def bucket_quantile(buckets, count, q):
    """Upper bound of the bucket holding quantile q (a conservative value)."""
    if count <= 0:
        return None
    for bound, cumulative in buckets:
        if cumulative >= q * count:
            return bound
    return float("inf")


def server_side(before, after):
    buckets, count, _ = histogram_delta(before, after, "kfix_webhook_ack_seconds")
    if count <= 0:
        return None
    within_10ms = next((c for b, c in buckets if abs(b - 0.01) < 1e-12), None)
    _, batches, alerts = histogram_delta(before, after, "kfix_intake_batch_size")
    return {
        "acks": int(count),
        "p50_le_ms": bucket_quantile(buckets, count, 0.50) * 1000,
        "p99_le_ms": bucket_quantile(buckets, count, 0.99) * 1000,
        "share_le_10ms": (within_10ms / count) if within_10ms is not None else None,
        "commits": int(batches),
        "mean_batch": (alerts / batches) if batches else None,
    }


# -- phases --------------------------------------------------------------------


class Bench:
    def __init__(self, args):
        self.args = args
        self.results = []
        self.roots = {
            "kfix": args.kfix_pid,
            "baseline": args.baseline_pid,
            "baseline_tp": args.baseline_tp_pid,
            "ceiling": args.noop_pid,
            "postgres": args.pg_pid,
        }
        self.urls = {
            "kfix": "http://127.0.0.1:%d" % args.kfix_port,
            "baseline": "http://127.0.0.1:%d" % args.baseline_port,
            "baseline_tp": "http://127.0.0.1:%d" % args.baseline_tp_port,
            "ceiling": "http://127.0.0.1:%d" % args.noop_port,
        }

    def wrk(self, server, script, threads, connections, seconds, script_args):
        cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds,
               "--timeout", "10s", "-s", os.path.join(WRK_DIR, script),
               self.urls[server], "--"] + [str(a) for a in script_args]
        usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu0 = tree_cpu(self.roots)
        t0 = time.monotonic()
        # wrk's own -d bounds the run; the timeout is a safety net.
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=seconds + 60)
        wall = time.monotonic() - t0
        cpu1 = tree_cpu(self.roots)
        usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        line = next((l for l in proc.stdout.splitlines()
                     if l.startswith("BENCH_JSON ")), None)
        if proc.returncode != 0 or line is None:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit("wrk failed: %s" % " ".join(cmd))
        res = json.loads(line[len("BENCH_JSON "):])
        cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
        cpu["wrk"] = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
        res["cpu_s"] = cpu
        res["wall_s_wrk"] = wall
        res["cmd"] = " ".join(cmd)
        return res

    def phase(self, name, server, script, threads, connections, seconds, script_args):
        metrics_url = self.urls["kfix"] + "/metrics"
        before = scrape(metrics_url) if server == "kfix" else None
        res = self.wrk(server, script, threads, connections, seconds, script_args)
        if server == "kfix":
            res["server_side"] = server_side(before, scrape(metrics_url))
        res.update(name=name, server=server, connections=connections,
                   seconds=seconds)
        self.results.append(res)
        self.log(res)
        time.sleep(1)  # let the servers settle
        return res

    def log(self, r):
        rate = r["requests"] / r["duration_s"] if r["duration_s"] else 0
        sys.stderr.write(
            "bench: %-16s %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  errors %d\n"
            % (r["name"], rate, r["p50_ms"], r["p99_ms"], errors(r)))


def errors(r):
    return sum(r[k] for k in ("err_connect", "err_read", "err_write",
                              "err_status", "err_timeout"))


def psql(args, sql):
    out = subprocess.run(
        ["psql", "-X", "-tA", "-h", "127.0.0.1", "-p", str(args.pg_port),
         "-U", "postgres", "-d", "kfix", "-c", sql],
        capture_output=True, text=True, check=True, timeout=60)
    return out.stdout.strip()


def psql_count(args, prefix):
    return int(psql(args, "SELECT count(*) FROM alerts WHERE delivery_id LIKE '%s-%%'" % prefix))


def run(args):
    b = Bench(args)
    quick = args.quick
    d_max = 5 if quick else 15
    d_rate = 5 if quick else 20
    d_burst = 30  # an upper bound: the burst's wall time is measured apart
    run_id = args.run_id
    t = 2  # wrk threads: one per core

    # Warm-up (not reported): first connections, Python imports, the
    # checkout incident's pipeline run triggered by kfix's first alert.
    for server in ("kfix", "baseline", "baseline_tp", "ceiling"):
        b.wrk(server, "max.lua", t, 16, 3, ["warm-%s-%s" % (server, run_id)])
        time.sleep(1)
    b.results.clear()

    for server in ("kfix", "baseline", "baseline_tp", "ceiling"):
        b.phase("%s-max" % server, server, "max.lua", t, args.max_connections,
                d_max, ["max-%s-%s" % (server, run_id)])
    for rate, conns in ((100, 8), (1000, 32), (5000, 128)):
        r = b.phase("kfix-rate-%d" % rate, "kfix", "rate.lua", t, conns, d_rate,
                    ["rate%d-%s" % (rate, run_id), rate, t])
        r["target_rate"] = rate
    # The baseline at the latency target's rate, for comparison.
    b.phase("baseline-rate-1000", "baseline", "rate.lua", t, 32, d_rate,
            ["brate1000-%s" % run_id, 1000, t])
    prefix = "burst-%s" % run_id
    r = b.phase("kfix-burst", "kfix", "burst.lua", t, 200, d_burst,
                [prefix, args.burst, t])
    r["burst_total"] = args.burst
    r["rows_stored"] = psql_count(args, prefix)
    # Context for the analysis: every stored alert also updates its
    # incident's row, so the one-row incidents table grows dead versions.
    pages, live, alerts = psql(args, "SELECT pg_relation_size('incidents') / 8192, "
                               "(SELECT count(*) FROM incidents), "
                               "(SELECT count(*) FROM alerts)").split("|")
    r["incidents_pages"], r["incidents_rows"], r["alerts_rows"] = int(pages), int(live), int(alerts)
    return b.results


# -- report ----------------------------------------------------------------------


def fmt_cpu(r, servers):
    """CPU use during a phase, in % of one core (2 cores = 200 %)."""
    d = r["duration_s"]
    parts = []
    for k in servers + ["postgres", "wrk"]:
        parts.append("%s %.0f%%" % (k, 100 * r["cpu_s"].get(k, 0) / d))
    return ", ".join(parts)


def report(results, meta):
    by = {r["name"]: r for r in results}
    lines = []
    w = lines.append
    w("K-Fix intake benchmark  %s  (%s)" % (meta["date"], meta["machine"]))
    w("PostgreSQL: %s" % meta["pg_settings"])
    w("Payload: %s (%d bytes), unique delivery id + cycle key per alert"
      % (meta["payload"], meta["payload_bytes"]))
    w("")
    w("Maximum rate (wrk -t2 -c%d, %d s, closed loop)" % (
        meta["max_connections"], by["kfix-max"]["seconds"]))
    w("%-34s %10s %9s %9s %9s %7s" % ("server", "alerts/s", "p50 ms", "p99 ms",
                                      "max ms", "errors"))
    labels = {
        "kfix-max": "kfix (parse + PostgreSQL commit)",
        "baseline-max": "baseline: FastAPI+uvicorn+psycopg2",
        "baseline_tp-max": "  same, psycopg2 in thread pool",
        "ceiling-max": "ceiling (same server, no work)",
    }
    names = ("kfix-max", "baseline-max", "baseline_tp-max", "ceiling-max")
    for name in names:
        r = by[name]
        w("%-34s %10.0f %9.2f %9.2f %9.2f %7d" % (
            labels[name], r["requests"] / r["duration_s"], r["p50_ms"],
            r["p99_ms"], r["max_ms"], errors(r)))
    k = by["kfix-max"]["requests"] / by["kfix-max"]["duration_s"]
    base_inline = by["baseline-max"]["requests"] / by["baseline-max"]["duration_s"]
    base_tp = by["baseline_tp-max"]["requests"] / by["baseline_tp-max"]["duration_s"]
    base = max(base_inline, base_tp)  # the ratio uses the faster variant
    ceil = by["ceiling-max"]["requests"] / by["ceiling-max"]["duration_s"]
    ratio_base = k / base if base else float("inf")
    ratio_ceil = k / ceil if ceil else 0.0
    w("kfix / baseline = %.2fx (faster variant; %.2fx the thread-pool one)    kfix / ceiling = %.1f %%"
      % (ratio_base, k / base_tp if base_tp else float("inf"), 100 * ratio_ceil))
    for name in names:
        server = name.split("-")[0]
        w("  cpu during %-13s %s" % (name + ":", fmt_cpu(by[name], [server])))
    ss = by["kfix-max"].get("server_side")
    if ss:
        w("  kfix server-side at max rate: %d commits, %.1f alerts per commit"
          % (ss["commits"], ss["mean_batch"] or 0))
    w("")
    w("Fixed rates (wrk + delay() pacing; ack latency = request written to answer read)")
    w("%-14s %9s %8s %8s %8s %6s %6s  %s" % ("server @ rate", "achieved", "p50 ms",
                                           "p99 ms", "max ms", "errors", "late",
                                           "kfix server-side (kfix_webhook_ack_seconds)"))
    rows = [("kfix @ %d" % rate, "kfix-rate-%d" % rate) for rate in (100, 1000, 5000)]
    rows.append(("baseline @ 1000", "baseline-rate-1000"))
    for label, name in rows:
        r = by[name]
        ss = r.get("server_side") or {}
        side = ""
        if ss:
            side = "p99 <= %g ms, %.2f%% <= 10 ms, %.1f alerts/commit" % (
                ss["p99_le_ms"], 100 * (ss["share_le_10ms"] or 0),
                ss["mean_batch"] or 0)
        w("%-14s %9.0f %8.2f %8.2f %8.2f %6d %6d  %s" % (
            label, r["requests"] / r["duration_s"], r["p50_ms"], r["p99_ms"],
            r["max_ms"], errors(r), r.get("late_sends", 0), side))
    for label, name in rows:
        server = name.split("-")[0]
        w("  cpu, %-15s %s" % (label + ":", fmt_cpu(by[name], [server])))
    w("")
    r = by["kfix-burst"]
    wall = float(r["wall_s"])
    w("Burst: %d distinct alerts, wrk -t2 -c200" % r["burst_total"])
    if wall > 0:
        w("  wall %.2f s  throughput %.0f alerts/s  p50 %.2f ms  p99 %.2f ms  max %.2f ms"
          % (wall, r["answered"] / wall, r["p50_ms"], r["p99_ms"], r["max_ms"]))
    else:
        w("  INCOMPLETE within %d s: %d answered" % (r["seconds"], r["answered"]))
    w("  answers: 2xx %d, 4xx %d, 5xx %d, other %d; socket errors %d"
      % (r["s2xx"], r["s4xx"], r["s5xx"], r["sother"],
         r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"]))
    w("  rows in alerts with the burst's prefix: %d (%s)" % (
        r["rows_stored"], "no loss" if r["rows_stored"] == r["burst_total"]
        else "MISMATCH"))
    ss = r.get("server_side")
    if ss:
        w("  server-side: %d commits, %.1f alerts per commit" % (
            ss["commits"], ss["mean_batch"] or 0))
    w("  after the run: %d alerts stored in %d incident(s); incidents table %d pages (8 KiB)"
      % (r["alerts_rows"], r["incidents_rows"], r["incidents_pages"]))
    w("")
    w("kfix RSS: idle %.1f MiB (VmRSS 2 s after ready); after the run %.1f MiB, peak %.1f MiB"
      % (meta["rss_idle_kib"] / 1024, meta["rss_after_kib"] / 1024,
         meta["hwm_after_kib"] / 1024))
    w("")
    p99_1000 = by["kfix-rate-1000"]["p99_ms"]
    achieved_1000 = by["kfix-rate-1000"]["requests"] / by["kfix-rate-1000"]["duration_s"]
    targets = [
        ("throughput >= 20x baseline", ratio_base >= 20, "%.2fx" % ratio_base),
        ("throughput >= 50 % of ceiling", ratio_ceil >= 0.5, "%.1f %%" % (100 * ratio_ceil)),
        ("p99 ack < 10 ms at 1,000 alerts/s", p99_1000 < 10 and achieved_1000 >= 990,
         "%.2f ms at %.0f/s" % (p99_1000, achieved_1000)),
        ("idle RSS < 64 MiB", meta["rss_idle_kib"] < 64 * 1024,
         "%.1f MiB" % (meta["rss_idle_kib"] / 1024)),
        ("burst: no loss", r["rows_stored"] == r["burst_total"] and r["s2xx"] == r["burst_total"],
         "%d/%d stored, %d 2xx" % (r["rows_stored"], r["burst_total"], r["s2xx"])),
    ]
    w("Targets")
    for label, ok, value in targets:
        w("  %-10s %-36s %s" % ("[met]" if ok else "[NOT MET]", label, value))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", required=True, help="folder for results.json and report.txt")
    ap.add_argument("--run-id", required=True)
    ap.add_argument("--kfix-port", type=int, required=True)
    ap.add_argument("--baseline-port", type=int, required=True)
    ap.add_argument("--noop-port", type=int, required=True)
    ap.add_argument("--baseline-tp-port", type=int, required=True)
    ap.add_argument("--baseline-tp-pid", type=int, required=True)
    ap.add_argument("--pg-port", type=int, required=True)
    ap.add_argument("--kfix-pid", type=int, required=True)
    ap.add_argument("--baseline-pid", type=int, required=True)
    ap.add_argument("--noop-pid", type=int, required=True)
    ap.add_argument("--pg-pid", type=int, required=True)
    ap.add_argument("--max-connections", type=int, default=64)
    ap.add_argument("--burst", type=int, default=10000)
    ap.add_argument("--meta", required=True, help="JSON file with run facts")
    args = ap.parse_args()

    with open(args.meta) as f:
        meta = json.load(f)
    results = run(args)
    with open("/proc/%d/status" % args.kfix_pid) as f:
        status = f.read()
    meta["rss_after_kib"] = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    meta["hwm_after_kib"] = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    meta["max_connections"] = args.max_connections
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    text = report(results, meta)
    with open(os.path.join(args.out, "report.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
