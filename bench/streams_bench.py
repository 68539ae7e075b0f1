#!/usr/bin/env python3
"""DynamoDB Streams benchmark (issue 3): what a stream costs the writer, how fast a consumer sees a
record, and how fast (and in how much memory) a large shard drains.

1. PutItem throughput with a NEW_AND_OLD_IMAGES stream vs without, same wrk load (bench/wrk/put.lua),
   interleaved rounds on one server per target: runnel (strict durability) and moto (the peer with
   DynamoDB Streams; dynalite has none). After each stream round the whole stream is read back and
   must hold exactly one record per item written.
2. Write-acknowledged -> record visible to a waiting consumer: build/bench/stream_wake_bench (in
   process, strict durability, consumer woken by the commit), at full speed and paced at 1,000/s.
3. GetRecords drain of one shard of --drain-records records (default 1,000,000) over HTTP with
   Limit=1000, with the server's resident memory sampled every 100 ms before, during and after.

  python3 bench/streams_bench.py --runnel build/runnel --wake-bench build/bench/stream_wake_bench \
      --markdown /tmp/streams-bench.md
  python3 bench/streams_bench.py --smoke ...   # seconds-long runs, small shard; checks still apply

stdlib + boto3 (setup only), and ddb_bench.py's server and wrk plumbing.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ddb_bench as ddb  # noqa: E402

STREAMS_TARGET = "DynamoDBStreams_20120810."


def call(port: int, target: str, body: dict, timeout: float = 60.0) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/", body=json.dumps(body).encode(), headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target,
            "X-Amz-Date": "20261125T000000Z", "Authorization": ddb.AUTHORIZATION})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    if resp.status != 200:
        raise ddb.BenchError(f"{target} answered {resp.status}: {data[:300]!r}")
    return json.loads(data)


def create_table(client, name: str, stream: bool) -> None:
    kwargs = {}
    if stream:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}], **kwargs)


def stream_arn(port: int, table: str) -> str:
    return call(port, "DynamoDB_20120810.DescribeTable", {"TableName": table})["Table"]["LatestStreamArn"]


def drain(port: int, arn: str, on_page=None, max_seconds: float = 1800) -> int:
    """Reads every shard from TRIM_HORIZON to its current end; returns the number of records."""
    total = 0
    shards = call(port, STREAMS_TARGET + "DescribeStream", {"StreamArn": arn})["StreamDescription"]["Shards"]
    deadline = time.monotonic() + max_seconds
    for shard in shards:
        it = call(port, STREAMS_TARGET + "GetShardIterator", {
            "StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
        while it and time.monotonic() < deadline:
            page = call(port, STREAMS_TARGET + "GetRecords", {"ShardIterator": it, "Limit": 1000})
            n = len(page["Records"])
            total += n
            if on_page:
                on_page(n)
            if n == 0:
                break  # the open shard's current end
            it = page.get("NextShardIterator")
    return total


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stream_cost(args, target: ddb.Target, results: list) -> None:
    client = ddb.boto_client(target.port)
    rounds = {"plain": [], "stream": []}
    for r in range(args.rounds):
        order = ["plain", "stream"] if r % 2 == 0 else ["stream", "plain"]
        for variant in order:
            table = f"put_{variant}_{r}_{uuid.uuid4().hex[:6]}"
            create_table(client, table, variant == "stream")
            stats, cmd, _wall, server_cpu, _ = ddb.run_wrk(args.wrk, target, "PutItem", args.conns, args.duration,
                                                            table, f"s{r}{variant[0]}", False)
            requests = int(stats["requests"])
            rps = requests / (int(stats.get("duration_us", "1")) / 1e6)
            errors = sum(int(stats.get(f"errors_{k}", 0)) for k in ("connect", "read", "write", "timeout", "status"))
            problems = [f"{errors} wrk errors"] if errors else []
            time.sleep(0.5)  # requests still in flight when wrk stopped land now, before the counts
            items = ddb.count_items(client, table)
            if not requests <= items <= requests + args.conns:
                problems.append(f"{items} items after {requests} acknowledged puts")
            if variant == "stream":
                records = drain(target.port, stream_arn(target.port, table))
                if records != items:
                    problems.append(f"stream holds {records} records for {items} items")
            rounds[variant].append(rps)
            ddb.log(f"{target.name} PutItem {variant} round {r}: {rps:,.0f}/s p99 {int(stats.get('p99_us', 0)) / 1000:.2f} ms"
                    f" server cpu {server_cpu or 0:.2f}{'  ** ' + '; '.join(problems) if problems else ''}")
            results.append({"target": target.name, "variant": variant, "round": r, "rps": rps,
                            "p50_us": int(stats.get("p50_us", 0)), "p99_us": int(stats.get("p99_us", 0)),
                            "server_cpu": server_cpu, "problems": problems, "command": cmd})
    plain, stream = statistics.median(rounds["plain"]), statistics.median(rounds["stream"])
    ddb.log(f"{target.name}: median plain {plain:,.0f}/s, with stream {stream:,.0f}/s, cost {100 * (1 - stream / plain):.1f}%")


def wake_latency(args) -> list[dict]:
    out = []
    for extra in (["--writes", str(args.wake_writes)], ["--writes", str(args.wake_writes // 2), "--rate", "1000"]):
        argv = [args.wake_bench, *extra, "--dir", os.path.join(args.tmp, "wake")]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise ddb.BenchError(f"{' '.join(argv)} failed: {proc.stderr[-500:]}")
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1]
        r = json.loads(line)
        r["command"] = " ".join(argv)
        ddb.log(f"wake: {line}")
        out.append(r)
    return out


def drain_rate(args, target: ddb.Target) -> dict:
    client = ddb.boto_client(target.port)
    table = "drain"
    create_table(client, table, True)
    # Fill one shard with PutItem load until it holds --drain-records records.
    deadline = time.monotonic() + 1800
    written = 0
    while written < args.drain_records and time.monotonic() < deadline:
        stats, *_ = ddb.run_wrk(args.wrk, target, "PutItem", 64, "10s" if not args.smoke else "1s", table,
                                f"d{written}", False)
        time.sleep(0.5)  # let the requests in flight when wrk stopped land before counting
        written = call(target.port, "DynamoDB_20120810.DescribeTable", {"TableName": table})["Table"]["ItemCount"]
        ddb.log(f"drain: shard holds {written:,} records")
    arn = stream_arn(target.port, table)
    shards = call(target.port, STREAMS_TARGET + "DescribeStream", {"StreamArn": arn})["StreamDescription"]["Shards"]
    rss_before = rss_kib(target.proc.pid)
    peak = [rss_before]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kib(target.proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    pages = [0]
    t0 = time.monotonic()
    records = drain(target.port, arn, on_page=lambda n: pages.__setitem__(0, pages[0] + 1))
    seconds = time.monotonic() - t0
    stop.set()
    sampler.join()
    rss_after = rss_kib(target.proc.pid)
    result = {"records": records, "items": written, "shards": len(shards), "pages": pages[0], "seconds": seconds,
              "records_per_s": records / seconds, "rss_before_mib": rss_before / 1024, "rss_peak_mib": peak[0] / 1024,
              "rss_after_mib": rss_after / 1024, "problems": []}
    if records != written:
        result["problems"].append(f"drained {records} records for {written} items")
    ddb.log(f"drain: {json.dumps(result)}")
    return result


def render(args, cost: list, wake: list, drained: dict | None, command: str) -> str:
    lines = ["## DynamoDB Streams", "", f"`{command}`", ""]
    lines += ddb.machine_facts() + [""]
    lines += ["### PutItem with a NEW_AND_OLD_IMAGES stream vs without",
              f"{args.conns} connections, {args.duration} per round, {args.rounds} interleaved rounds, median.", "",
              "| target | without stream | with stream | cost | rounds (without / with) |", "|---|---|---|---|---|"]
    for name in sorted({c["target"] for c in cost}, key=lambda n: (not n.startswith("runnel"), n)):
        plain = [c["rps"] for c in cost if c["target"] == name and c["variant"] == "plain"]
        stream = [c["rps"] for c in cost if c["target"] == name and c["variant"] == "stream"]
        mp, ms = statistics.median(plain), statistics.median(stream)
        lines.append(f"| {name} | {mp:,.0f}/s | {ms:,.0f}/s | {100 * (1 - ms / mp):.1f}% | "
                     f"{', '.join(f'{x:,.0f}' for x in plain)} / {', '.join(f'{x:,.0f}' for x in stream)} |")
    lines += ["", "### Write acknowledged -> record in a waiting consumer's hands (in process, strict)", "",
              "| load | writes/s | p50 | p90 | p99 | max | seen before the ack |", "|---|---|---|---|---|---|---|"]
    for w in wake:
        a = w["ack_to_visible_us"]
        load = f"paced {w['rate']}/s" if w["rate"] else f"{w['in_flight']} in flight"
        lines.append(f"| {load} | {w['writes_per_s']:,.0f} | {a['p50']:.0f} µs | {a['p90']:.0f} µs | {a['p99']:.0f} µs | "
                     f"{a['max']:.0f} µs | {w['visible_before_ack']} of {w['writes']} |")
    if drained:
        d = drained
        lines += ["", "### GetRecords drain of one shard (HTTP, Limit=1000, one consumer)", "",
                  f"- {d['records']:,} records in {d['seconds']:.1f} s: **{d['records_per_s']:,.0f} records/s** "
                  f"({d['pages']} pages)",
                  f"- server RSS: {d['rss_before_mib']:.0f} MiB before, {d['rss_peak_mib']:.0f} MiB peak while "
                  f"draining, {d['rss_after_mib']:.0f} MiB after"]
    problems = [p for c in cost for p in c["problems"]] + (drained["problems"] if drained else [])
    if problems:
        lines += ["", "**FLAGGED:** " + "; ".join(problems)]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runnel", required=True)
    p.add_argument("--wake-bench", help="build/bench/stream_wake_bench (skipped when absent)")
    p.add_argument("--moto-python", help="python with moto (default: the first one found)")
    p.add_argument("--no-moto", action="store_true")
    p.add_argument("--wrk", default="wrk")
    p.add_argument("--duration", default="10s")
    p.add_argument("--conns", type=int, default=64)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--wake-writes", type=int, default=20000)
    p.add_argument("--drain-records", type=int, default=1_000_000)
    p.add_argument("--parts", default="cost,wake,drain", help="comma-separated subset of cost,wake,drain")
    p.add_argument("--markdown")
    p.add_argument("--smoke", action="store_true", help="seconds-long runs and a small shard")
    args = p.parse_args(argv)
    if args.smoke:
        args.duration, args.rounds, args.wake_writes, args.drain_records, args.conns = "1s", 2, 1000, 5000, 16
    args.tmp = tempfile.mkdtemp(prefix="streams-bench-")
    command = "python3 bench/streams_bench.py " + " ".join(argv)

    targets = [ddb.Target("runnel-strict", lambda port, d: [args.runnel, "serve", "--port", str(port), "--data-dir", d,
                                                             "--durability", "strict", "--log-level", "warn"],
                          args.duration, [args.conns], 0, 0)]
    if not args.no_moto:
        moto_python = ddb.find_python_with("moto", args.moto_python)
        if moto_python:
            targets.append(ddb.Target("moto", lambda port, d: [moto_python, "-m", "moto.server", "-H", "127.0.0.1",
                                                               "-p", str(port)], args.duration, [args.conns], 0, 0))
        else:
            ddb.log("moto not found: runnel only")
    cost: list = []
    wake: list = []
    drained = None
    parts = set(args.parts.split(","))
    try:
        for t in targets if "cost" in parts else []:
            t.start(args.tmp)
            try:
                stream_cost(args, t, cost)
            finally:
                t.stop()
        if "wake" in parts and args.wake_bench:
            wake = wake_latency(args)
        if "drain" in parts:
            d = ddb.Target("runnel-drain", targets[0].argv_fn, args.duration, [64], 0, 0)
            d.start(args.tmp)
            try:
                drained = drain_rate(args, d)
            finally:
                d.stop()
    except ddb.BenchError as e:
        ddb.log(f"FAILED: {e}")
        return 1
    report = render(args, cost, wake, drained, command)
    print(report)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(report)
    flagged = any(c["problems"] for c in cost) or (drained and drained["problems"])
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
