#!/usr/bin/env python3
"""CloudWatch Logs benchmark: runnel (strict durability) against moto, one run on one machine.

Workloads, per target (each on a server of its own with a fresh data directory):
  put     wrk (bench/wrk/logs_put.lua) PutLogEvents at --connections (16) for --duration (10 s),
          --batch (100) events of ~110 bytes a request, one stream per wrk thread: events/s
          acknowledged. Afterwards every acknowledged event must read back (FilterLogEvents paged
          through the group), else the run is flagged.
  filter  --events (1,000,000; moto --moto-events, 50,000: it stores and scans in Python) events
          written in batches of 1,000 into 10 streams, one in 10,000 an ERROR line; then
          - FilterLogEvents with filterPattern ERROR, paged through the whole group (nextToken):
            the time to search every event, and events searched per second; every ERROR line must
            come back exactly once
          - the first page of FilterLogEvents without a pattern (limit 100), and GetLogEvents of
            one stream's newest 100: median and p99 of 20 calls each
A run is flagged (exit status 1) on an error answer, wrk socket errors or a count that disagrees
with what was acknowledged. Speed never fails a run.

  python3 bench/logs_bench.py --runnel build/runnel --markdown /tmp/logs-bench.md
  python3 bench/logs_bench.py --smoke --runnel build/runnel   # seconds: 1 s of put, 20,000 events

stdlib only; imports bench/ddb_bench.py for the server, wrk and report plumbing.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ddb_bench as base  # noqa: E402

GROUP_PUT = "/bench/put"
GROUP_FILTER = "/bench/filter"
AUTH = ("AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/logs/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64)


class Client:
    """Logs_20140328 JSON 1.1 requests on one keep-alive connection, unsigned as wrk's."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, operation: str, body: dict) -> dict:
        data = json.dumps(body, separators=(",", ":")).encode()
        for attempt in range(2):
            try:
                self.conn.request("POST", "/", body=data, headers={
                    "Host": f"127.0.0.1:{self.port}", "Content-Type": "application/x-amz-json-1.1",
                    "X-Amz-Target": f"Logs_20140328.{operation}", "X-Amz-Date": "20261125T000000Z",
                    "Authorization": AUTH})
                resp = self.conn.getresponse()
                text = resp.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt == 1:
                    raise
        parsed = json.loads(text) if text else {}
        if resp.status != 200:
            raise base.BenchError(f"{operation} answered {resp.status}: {text[:300]!r}")
        return parsed


def filter_all(client: Client, group: str, **kwargs) -> tuple[list[dict], int]:
    """Every event FilterLogEvents returns for the group, following nextToken; and the calls made."""
    events, token, calls = [], None, 0
    while True:
        body = {"logGroupName": group, **kwargs}
        if token:
            body["nextToken"] = token
        page = client.call("FilterLogEvents", body)
        calls += 1
        events += page.get("events", [])
        token = page.get("nextToken")
        if not token or calls > 100_000:
            return events, calls


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_put(args, target: base.Target, wrk: str) -> dict:
    client = Client(target.port)
    client.call("CreateLogGroup", {"logGroupName": GROUP_PUT})
    threads = 1 if args.connections < 2 else 2
    for s in range(threads):
        client.call("CreateLogStream", {"logGroupName": GROUP_PUT, "logStreamName": f"s{s}"})
    argv = [wrk, "-t", str(threads), "-c", str(args.connections), "-d", args.duration, "--latency", "--timeout", "5s",
            "-s", str(base.WRK_DIR / "logs_put.lua"), f"http://127.0.0.1:{target.port}/", "--",
            GROUP_PUT, str(args.batch), str(threads), "1" if args.smoke else "0"]
    base.log(f"{target.name}: put: {' '.join(argv)}")
    cpu0 = base.proc_cpu_seconds(target.proc.pid)
    t0 = time.monotonic()
    proc = base.subprocess.run(argv, capture_output=True, text=True, timeout=base.duration_seconds(args.duration) + 120)
    wall = time.monotonic() - t0
    cpu1 = base.proc_cpu_seconds(target.proc.pid)
    stats = {}
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            parts = line.split(" ", 2)
            if len(parts) == 3:
                stats[parts[1]] = parts[2]
    if proc.returncode != 0 or "requests" not in stats:
        raise base.BenchError(f"wrk failed: {proc.stdout}\n{proc.stderr}")
    problems = []
    errors = sum(int(stats.get(k, "0")) for k in ("errors_connect", "errors_read", "errors_write", "errors_status",
                                                    "errors_timeout", "bad_responses"))
    if errors:
        problems.append(f"{errors} errors ({stats.get('first_bad', '')})")
    requests = int(stats["requests"])
    secs = int(stats["duration_us"]) / 1e6
    # Every acknowledged batch reads back (wrk's count may miss the requests in flight at its end).
    stored = len(filter_all(client, GROUP_PUT)[0])
    if stored < requests * args.batch or stored > (requests + args.connections) * args.batch:
        problems.append(f"{stored} events stored for {requests} acknowledged batches of {args.batch}")
    return {"events_per_s": requests * args.batch / secs, "requests_per_s": requests / secs,
            "p50_us": int(stats["p50_us"]), "p99_us": int(stats["p99_us"]),
            "server_cpu": (cpu1 - cpu0) / wall if cpu0 is not None and cpu1 is not None else None,
            "problems": problems}


def run_filter(args, target: base.Target, events_total: int) -> dict:
    client = Client(target.port)
    client.call("CreateLogGroup", {"logGroupName": GROUP_FILTER})
    streams = 10
    for s in range(streams):
        client.call("CreateLogStream", {"logGroupName": GROUP_FILTER, "logStreamName": f"s{s}"})
    base.log(f"{target.name}: filter: writing {events_total:,} events")
    now = int(time.time() * 1000) - 3_600_000
    batch, written, errors_expected = 1000, 0, 0
    t0 = time.monotonic()
    while written < events_total:
        n = min(batch, events_total - written)
        events = []
        for i in range(written, written + n):
            level = "ERROR" if i % 10_000 == 0 else "INFO"
            errors_expected += level == "ERROR"
            events.append({"timestamp": now + i // 1000, "message": f"{level} request {i} handled in 12 ms by worker 7"})
        client.call("PutLogEvents", {"logGroupName": GROUP_FILTER, "logStreamName": f"s{(written // batch) % streams}",
                                     "logEvents": events})
        written += n
    load_s = time.monotonic() - t0
    t0 = time.monotonic()
    found, calls = filter_all(client, GROUP_FILTER, filterPattern="ERROR")
    search_s = time.monotonic() - t0
    problems = []
    ids = [e.get("eventId") for e in found]
    if len(found) != errors_expected or len(set(ids)) != len(ids):
        problems.append(f"ERROR search found {len(found)} ({len(set(ids))} distinct), expected {errors_expected}")
    first_page, tail = [], []
    for _ in range(20):
        t = time.monotonic()
        page = client.call("FilterLogEvents", {"logGroupName": GROUP_FILTER, "limit": 100})
        first_page.append(time.monotonic() - t)
        if len(page.get("events", [])) != 100:
            problems.append(f"a first page held {len(page.get('events', []))} events")
            break
        t = time.monotonic()
        got = client.call("GetLogEvents", {"logGroupName": GROUP_FILTER, "logStreamName": "s0", "limit": 100})
        tail.append(time.monotonic() - t)
        if len(got.get("events", [])) != 100:
            problems.append(f"GetLogEvents returned {len(got.get('events', []))} events")
            break
    return {"events": events_total, "load_s": load_s, "search_s": search_s, "search_calls": calls,
            "searched_per_s": events_total / search_s if search_s else 0,
            "first_page_ms": (statistics.median(first_page) * 1000, percentile(first_page, 99) * 1000) if first_page else None,
            "tail_ms": (statistics.median(tail) * 1000, percentile(tail, 99) * 1000) if tail else None,
            "problems": problems}


def render(results: dict, args, versions: dict, command: str) -> str:
    out = base.report_head(command, versions)
    names = list(results)
    out += ["| PutLogEvents, %d connections, %d events a request | %s |" % (args.connections, args.batch, " | ".join(names)),
            "|---|" + "---|" * len(names)]
    out.append("| events/s (requests/s) | " + " | ".join(
        f"{r['put']['events_per_s']:,.0f} ({r['put']['requests_per_s']:,.0f})" if r.get("put") else "—" for r in results.values()) + " |")
    out.append("| request p50 / p99 ms | " + " | ".join(
        f"{base.fmt_ms(r['put']['p50_us'])} / {base.fmt_ms(r['put']['p99_us'])}" if r.get("put") else "—"
        for r in results.values()) + " |")
    out.append("| server CPU (cores) | " + " | ".join(
        f"{r['put']['server_cpu']:.2f}" if r.get("put") and r["put"]["server_cpu"] is not None else "—"
        for r in results.values()) + " |")
    out += ["", "| FilterLogEvents | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    out.append("| events in the group | " + " | ".join(f"{r['filter']['events']:,}" if r.get("filter") else "—"
                                                      for r in results.values()) + " |")
    out.append("| pattern ERROR over all of them: seconds (calls), events searched/s | " + " | ".join(
        f"{r['filter']['search_s']:.2f} s ({r['filter']['search_calls']}), {r['filter']['searched_per_s']:,.0f}/s"
        if r.get("filter") else "—" for r in results.values()) + " |")
    out.append("| first page, no pattern, limit 100: p50 / p99 ms | " + " | ".join(
        f"{r['filter']['first_page_ms'][0]:.2f} / {r['filter']['first_page_ms'][1]:.2f}"
        if r.get("filter") and r["filter"]["first_page_ms"] else "—" for r in results.values()) + " |")
    out.append("| GetLogEvents, newest 100 of a stream: p50 / p99 ms | " + " | ".join(
        f"{r['filter']['tail_ms'][0]:.2f} / {r['filter']['tail_ms'][1]:.2f}"
        if r.get("filter") and r["filter"]["tail_ms"] else "—" for r in results.values()) + " |")
    for name, r in results.items():
        for part in ("put", "filter"):
            for p in (r.get(part) or {}).get("problems", []):
                out.append(f"\nFLAGGED {name} {part}: {p}")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runnel", default="build/runnel")
    ap.add_argument("--targets", default="runnel,moto")
    ap.add_argument("--moto-python")
    ap.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    ap.add_argument("--duration", default="10s")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--moto-events", type=int, default=50_000)
    ap.add_argument("--workloads", default="put,filter")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--markdown")
    ap.add_argument("--tmp")
    args = ap.parse_args(argv)
    if args.smoke:
        args.duration, args.events, args.moto_events = "1s", 20_000, 20_000
        if "--targets" not in " ".join(argv):
            args.targets = "runnel"
    started = time.monotonic()
    versions = {"wrk": base.wrk_version(args.wrk)}
    targets = []
    for name in args.targets.split(","):
        if name == "runnel":
            targets.append(base.Target("runnel", base.runnel_argv(os.path.abspath(args.runnel), "strict", []), args.duration, [], 0, 0))
        elif name == "moto":
            py = base.find_moto(ap, args.moto_python, versions)
            targets.append(base.Target("moto", base.moto_argv(py), args.duration, [], 0, 0))
        else:
            ap.error(f"unknown target {name}")
    workloads = args.workloads.split(",")
    results: dict = {t.name: {} for t in targets}

    def each(target, _tmp):
        if "put" in workloads:
            results[target.name]["put"] = run_put(args, target, args.wrk)
        if "filter" in workloads:
            results[target.name]["filter"] = run_filter(args, target, args.events if target.name == "runnel" else args.moto_events)

    fatal = base.run_targets(targets, args.tmp, "logs-bench-", each)
    report = render(results, args, versions, "python3 bench/logs_bench.py " + " ".join(argv))
    flagged = [f"{name} {part}: {p}" for name, r in results.items() for part in ("put", "filter")
               for p in (r.get(part) or {}).get("problems", [])]
    return base.finish(report, args.markdown, started, f"{len(results)} targets", fatal, flagged)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
