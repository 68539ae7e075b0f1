#!/usr/bin/env python3
"""SNS wire-protocol benchmark: runnel (strict durability) against moto, Publish delivered to SQS.

Both targets get the same load in one run. SNS speaks the Query protocol only (Action=<Op>&Version=
2010-03-31 form POST with an sns credential scope, XML answers); the SQS side (queues, counts, the
consumer) speaks SQS's JSON protocol, as bench/sqs_bench.py does. Subscriptions are Protocol=sqs with
the queue's ARN as Endpoint (confirmed at once on both targets) and raw delivery off, so every SQS
body is the SNS JSON envelope whose "Message" is the published text. Workloads:

  publish   Publish of a 100-byte message (bench/wrk/sns_publish.lua) to a topic with ONE SQS
            subscription, a fresh topic and queue per run; the rate is acknowledged publishes/s
  latency   --consumers processes (default 1) blocked in SQS ReceiveMessage (WaitTimeSeconds 20,
            up to 10 messages; a deleter process deletes what they got) and 4 producer processes publishing on
            one schedule at a fixed rate (200/s and 1,000/s), plain http.client; per message: the
            consumer's receive returned - the producer's Publish acknowledged (and - Publish started)
  wake      the latency workload from compiled clients (bench/sqs_wake_bench.cc, threads of one
            process; --wake-consumers consumers, default 4), runnel targets only
  fanout    Publish to a topic with 100 SQS subscriptions (100 queues); publishes/s and
            deliveries/s (= 100 x)

1, 16 and 64 connections for publish, 1 and 16 for fanout (moto: 3 s runs instead of 10 s).

A run fails (exit status 1) on wrk socket errors, timeouts or non-2xx answers; on a wrong answer
(one Publish per target and per fan-out topic is checked by hand: the MessageId, then the envelope
each subscribed queue got — Type, TopicArn, Message, MessageId, MD5OfBody against hashlib; --smoke
and a 1 s warm-up of the publish workload check every Publish answer in the Lua script); when a
subscribed queue afterwards disagrees with what was acknowledged (ApproximateNumberOfMessages +
NotVisible + Delayed, read once the server is idle, grew by the acknowledged publishes, up to the
requests in flight when wrk stopped — for fanout, every one of the 100 queues); and in the latency
workload when a message is not received exactly once, with the envelope of the Publish that
acknowledged it, or the queue is not empty afterwards. Speed never fails a run.

  python3 bench/sns_bench.py --runnel build/runnel --markdown /tmp/sns-bench.md
  python3 bench/sns_bench.py --smoke --runnel build/runnel   # seconds-long runs, small fan-out

stdlib only; imports bench/sqs_bench.py (and through it bench/ddb_bench.py) for the server, wrk,
SQS client, the latency harness (sqs_bench.measure_latency with PublishFlow) and report plumbing.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ddb_bench as ddb  # noqa: E402
import sqs_bench as sqs  # noqa: E402

PAYLOAD = ddb.PAYLOAD  # the same 100 bytes as bench/wrk/common.lua
AUTH_SNS = ("AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/sns/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, " + sqs.SIG)
TARGET_ORDER = ["runnel-strict", "runnel-relaxed", "moto"]
DEFAULT_TARGETS = ["runnel-strict", "moto"]  # runnel-relaxed: on request (--targets)
PUBLISH, FANOUT = "Publish", "Publish fan-out"
WORKLOADS = ["publish", "latency", "wake", "fanout"]
END_ID = sqs.END_ID

BenchError = sqs.BenchError
log = ddb.log
pct, fmt_ms, fmt_us = sqs.pct, sqs.fmt_ms, sqs.fmt_us


# ----------------------------------------------------------------------------------------------
# SNS client (Query protocol)


class SnsClient(sqs.Client):
    """sqs_bench.Client for SNS: one keep-alive connection, SNS's Query protocol."""

    def __init__(self, host: str, port: int, timeout: float = 60.0):
        super().__init__(host, port, "sns-query", timeout)

    @classmethod
    def of(cls, target: sqs.SqsTarget, timeout: float = 60.0) -> "SnsClient":
        return cls(target.host, target.port, timeout)

    def encode(self, op: str, params: dict) -> tuple[bytes, dict]:
        body = urllib.parse.urlencode([("Action", op), ("Version", "2010-03-31"), *params.items()]).encode()
        return body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                      "X-Amz-Date": "20261125T000000Z", "Authorization": AUTH_SNS}

    def parse(self, op: str, status: int, text: str) -> dict:
        """The <op>Result's leaf members ({"__unparsed": text} for a 200 answer that is no <op>Response)."""
        parsed: dict = {}
        if status == 200:
            try:
                root = ET.fromstring(text)
                result = next((c for c in root if sqs._local(c.tag) == f"{op}Result"), None)
                parsed = {sqs._local(c.tag): c.text or "" for c in (result if result is not None else [])
                          if len(c) == 0}
                if sqs._local(root.tag) != f"{op}Response":
                    parsed["__unparsed"] = text
            except ET.ParseError:
                parsed = {"__unparsed": text}
        return parsed


def wire(sns: SnsClient, sqsc: sqs.Client, tag: str, queues: int) -> tuple[str, list[str]]:
    """A topic with `queues` subscribed SQS queues (raw delivery off) -> (topic ARN, queue URLs)."""
    name = f"{tag}-{uuid.uuid4().hex[:8]}"
    topic = sns.call("CreateTopic", {"Name": name}).get("TopicArn", "")
    if not topic:
        raise BenchError(f"CreateTopic {name} returned no TopicArn")
    urls = []
    for k in range(queues):
        url = sqs.create_queue(sqsc, f"{name}-{k}")
        arn = sqsc.call("GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]}).get(
            "Attributes", {}).get("QueueArn", "")
        sub = sns.call("Subscribe", {"TopicArn": topic, "Protocol": "sqs", "Endpoint": arn}).get("SubscriptionArn", "")
        if not sub.startswith(topic + ":"):
            raise BenchError(f"Subscribe {arn} to {topic} returned SubscriptionArn {sub!r} (pending?)")
        urls.append(url)
    return topic, urls


def envelope_problem(m: dict, topic: str, text: str, message_id: str | None) -> str:
    """What is wrong with a received SQS message that should carry Publish(text) to topic ('' if nothing)."""
    body = m.get("Body", "")
    if m.get("MD5OfBody") != hashlib.md5(body.encode()).hexdigest():
        return f"MD5OfBody {m.get('MD5OfBody')!r} does not match the body"
    try:
        env = json.loads(body)
    except ValueError:
        return f"the body is no JSON envelope: {body[:200]!r}"
    want = {"Type": "Notification", "TopicArn": topic, "Message": text}
    if message_id is not None:
        want["MessageId"] = message_id
    wrong = {k: env.get(k) for k, v in want.items() if env.get(k) != v}
    return f"envelope fields {wrong} (expected {want})" if wrong else ""


def check_delivery(target: sqs.SqsTarget, sns: SnsClient, sqsc: sqs.Client, topic: str, urls: list[str]) -> None:
    """One Publish with the script's message, checked in full: a MessageId, and exactly one message in
    every subscribed queue, the envelope of that Publish (received, checked, deleted: the queues are
    empty again)."""
    problems: list[str] = []
    status, resp, text = sns.raw("Publish", {"TopicArn": topic, "Message": PAYLOAD})
    mid = resp.get("MessageId", "")
    if status != 200 or "__unparsed" in resp or not mid:
        raise BenchError(f"{target.name}: sample Publish answered {status}: {text[:400]}")
    for url in urls:
        got = sqsc.call("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1}
                        ).get("Messages", [])
        if len(got) != 1:
            problems.append(f"{url.rsplit('/', 1)[-1]}: ReceiveMessage returned {len(got)} messages, expected 1")
            continue
        bad = envelope_problem(got[0], topic, PAYLOAD, mid)
        if bad:
            problems.append(f"{url.rsplit('/', 1)[-1]}: {bad}")
        sqsc.call("DeleteMessage", {"QueueUrl": url, "ReceiptHandle": got[0].get("ReceiptHandle", "")})
    for url in urls:
        left = sqs.queue_counts(sqsc, url)["total"]
        if left:
            problems.append(f"{url.rsplit('/', 1)[-1]}: {left} messages left after the delete")
    if problems:
        raise BenchError(f"{target.name}: sample Publish delivered wrongly:\n  " + "\n  ".join(problems[:10]))
    log(f"{target.name}: sample Publish to {len(urls)} subscribed queue(s) delivered correctly (MessageId {mid})")


# ----------------------------------------------------------------------------------------------
# publish and fanout


def idle_counts(target: sqs.SqsTarget, sqsc: sqs.Client, urls: list[str]) -> list[int]:
    """Every queue's total once the server is idle (requests in flight when wrk stopped have landed:
    moto takes a good part of a second per fan-out publish, so a pause in the counts proves nothing)."""
    sqs.settle(target, 60)
    return [sqs.queue_counts(sqsc, u)["total"] for u in urls]


def measure_publish(args, target: sqs.SqsTarget, sns: SnsClient, sqsc: sqs.Client, conns: int, duration: str,
                    check: bool, wired: tuple[str, list[str]] | None = None) -> sqs.Result:
    """wrk Publish; every subscribed queue must hold one more message per acknowledged publish."""
    topic, urls = wired or wire(sns, sqsc, f"pub-{conns}", 1)
    op = PUBLISH if len(urls) == 1 else FANOUT
    before = idle_counts(target, sqsc, urls)
    h0 = target.health()
    # --timeout 60s: moto takes ~1 s per fan-out publish, so 16 connections wait many seconds — slow, not wrong
    stats, cmd, _wall, scpu, wcpu = sqs.run_wrk(args, target, "sns_publish.lua", conns, duration, topic, check,
                                                timeout="60s")
    h1 = target.health()
    res = sqs.to_result(target, op, conns, duration, check, stats, scpu, wcpu)
    res.writes_per_group = sqs.writes_per_group(h0, h1)
    res.extra.update(command=cmd, subscriptions=len(urls), before=sum(before), deliveries_per_s=res.rps * len(urls))
    if target.alive():
        after = idle_counts(target, sqsc, urls)
        res.extra["after"] = sum(after)
        wrong = [(u, a - b) for u, b, a in zip(urls, before, after) if not res.requests <= a - b <= res.requests + conns]
        if wrong:
            res.problems.append(f"{len(wrong)} of {len(urls)} queues disagree with {res.requests} acknowledged "
                                f"publishes (first: {wrong[0][0].rsplit('/', 1)[-1]} grew by {wrong[0][1]})")
        if res.server_cpu is not None and res.rps:
            res.extra["cpu_us_per_publish"] = res.server_cpu * 1e6 / res.rps
    return sqs.report(res, f"{op} ({len(urls)} sub{'s' if len(urls) > 1 else ''})")


# ----------------------------------------------------------------------------------------------
# latency: Publish acknowledged -> the long-polling SQS consumer's receive returned


class PublishFlow(sqs.LatencyFlow):
    """sqs_bench's latency workload with Publish for SendMessage: the producers publish message i to
    a topic whose one subscribed queue the consumer long-polls; each received envelope must carry
    the message and the MessageId its Publish answered."""
    op = "Publish"
    noun = "publishes"
    time_key = "publish_us"
    started = "publish start"

    def __init__(self, target: sqs.SqsTarget, rate: int):
        self.target = target
        self.client = sqs.Client.of(target)
        self.sns = SnsClient.of(target)
        self.topic, (self.url,) = wire(self.sns, self.client, f"lat-{rate}", 1)

    def producer_client(self) -> SnsClient:
        return SnsClient(self.target.host, self.target.port, timeout=40)

    def params(self, i: int) -> dict:
        return {"TopicArn": self.topic, "Message": sqs.lat_text(i)}

    def answered(self, i: int, params: dict, resp: dict) -> tuple[tuple, str]:
        mid = resp.get("MessageId", "")
        return (mid,), "" if mid else f"Publish {i}: no MessageId"

    def read(self, m: dict) -> tuple[int, tuple, str]:
        try:
            env = json.loads(m.get("Body", ""))
            text = env.get("Message", "")
            i = int(text[4:12]) if text.startswith("lat-") else -1
        except (ValueError, AttributeError):
            env, text, i = {}, "", -1
        problem = envelope_problem(m, self.topic, sqs.lat_text(i), None) if i >= 0 else "no lat- id"
        return i, (env.get("MessageId", ""),), problem

    def bad_problem(self, bad: list[str]) -> str:
        return f"{len(bad)} received messages with a wrong envelope (first: {bad[0]})"

    def mismatch(self, sent: list[int], seen: dict, times: dict) -> str:
        crossed = [i for i in sent if i in seen and seen[i][1] != times[i][2]]
        return (f"{len(crossed)} envelopes carry another MessageId than their Publish answered "
                f"(first id {crossed[0]}: {seen[crossed[0]][1]} vs {times[crossed[0]][2]})") if crossed else ""

    def send_one(self, i: int) -> None:
        self.sns.call(self.op, self.params(i))

    def close(self) -> None:
        self.sns.close()
        self.client.close()


def measure_latency(args, target: sqs.SqsTarget, rate: int, seconds: float) -> dict:
    """sqs_bench.measure_latency with Publish for SendMessage (PublishFlow)."""
    return sqs.measure_latency(args, target, rate, seconds, PublishFlow(target, rate))


# ----------------------------------------------------------------------------------------------
# Report


def ratio(a: float, b: float) -> str:
    return f"{a / b:,.1f}×" if b else "—"


def evaluate(results: list[sqs.Result], latency: list[dict], lead: str,
             wake: list[dict] | None = None) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) rows for the issue's targets, for the lead runnel target."""
    rows = []
    by = {(r.target, r.op, r.conns): r for r in results if not r.duration.endswith("(warm-up)")}
    for runs, clients in ((latency, f"Python client processes, {sqs.consumers_text(latency) if latency else ''}"),
                          (wake or [], f"compiled clients, {(wake or [{}])[0].get('consumers', 0)} consumers")):
        lat = {x["rate"]: x for x in runs if x["target"] == lead}
        if 1000 not in lat:
            continue
        x = lat[1000]
        p99 = x["ack_to_recv_us"]["p99"]
        why = ([f"p99 {p99 / 5000:.1f}× the bound"] if p99 >= 5000 else []) + (
            [f"reached {x['achieved_rate']:,.0f} of 1,000 publishes/s"] if x["achieved_rate"] < 950 else []) + (
            ["errors"] if x["problems"] else [])
        other = "".join(f"; at {y['rate']:,}/s: p99 {fmt_us(y['ack_to_recv_us']['p99'])}" for r, y in sorted(lat.items())
                        if r != 1000)
        rows.append((f"publish → long-poll wake p99 < 5 ms at 1,000 msg/s ({clients})",
                     f"p99 {fmt_us(p99)} (p50 {fmt_us(x['ack_to_recv_us']['p50'])}, achieved "
                     f"{x['achieved_rate']:,.0f}/s){other}", "met" if not why else f"missed ({'; '.join(why)})"))
    cells, short = [], []
    for op in (PUBLISH, FANOUT):
        for c in sorted({k[2] for k in by if k[1] == op}):
            mine, moto = by.get((lead, op, c)), by.get(("moto", op, c))
            if not mine or not moto:
                continue
            what = f"{'publish' if op == PUBLISH else 'fan-out'} c={c}"
            if not moto.rps:
                cells.append(f"{what}: moto completed none")
                continue
            x = mine.rps / moto.rps
            if x < 50:
                short.append(what)
            cells.append(f"{what}: {x:,.0f}×")
    if cells:
        rows.append(("≥ 50× moto's throughput, per connection count", "; ".join(cells),
                     "met everywhere" if not short else f"missed at {', '.join(short)}"))
    capacity = sqs.capacity_row([r for r in results if r.target in (lead, "moto")], lead, ["moto"], 50.0,
                                {PUBLISH: "publish", FANOUT: "fan-out"})
    if capacity:
        rows.append(("≥ 50× moto's throughput (each server's best rate over the connection counts)", *capacity))
    return rows


def render(args, results: list[sqs.Result], latency: list[dict], targets: list[str], versions: dict,
           command: str, notes: list[str], wake: list[dict] | None = None) -> str:
    out = ddb.report_head(command, versions)
    lead = next((t for t in targets if t.startswith("runnel")), "")
    by = {(r.target, r.op, r.conns): r for r in results if not r.duration.endswith("(warm-up)")}
    if by:
        fan = max((r.extra.get("subscriptions", 1) for r in results if r.op == FANOUT), default=0)
        out += ["Throughput: acknowledged publishes/s (p50 / p99 latency of one Publish, ms); fan-out also "
                f"deliveries/s (= {fan} × publishes):" if fan else
                "Throughput: acknowledged publishes/s (p50 / p99 latency of one Publish, ms):", "",
                "| workload | conns | " + " | ".join(targets) + (f" | {lead} / moto |" if "moto" in targets and lead
                                                                  else " |"),
                "|---|---:|" + "---:|" * len(targets) + ("---:|" if "moto" in targets and lead else "")]
        for op in (PUBLISH, FANOUT):
            for c in sorted({k[2] for k in by if k[1] == op}):
                cells = ddb.throughput_cells(by, targets, op, c, (lambda r: f" = {r.extra['deliveries_per_s']:,.0f} "
                                             "deliveries/s") if op == FANOUT else None)
                if "moto" in targets and lead:
                    a, b = by.get((lead, op, c)), by.get(("moto", op, c))
                    cells.append(ratio(a.rps, b.rps) if a and b else "—")
                label = "Publish, 1 subscription" if op == PUBLISH else f"Publish, {fan} subscriptions"
                out.append(f"| {label} | {c} | " + " | ".join(cells) + " |")
        out.append("")
    if latency:
        out += [f"Publish → receive latency: {latency[0].get('producers', 1)} producer processes (one connection "
                "each) publishing together on one schedule at the rate to a topic with one SQS subscription, "
                f"{sqs.consumers_text(latency)} in ReceiveMessage on its queue (WaitTimeSeconds 20, up to 10 messages; a deleter "
                "process deletes what it received). Per message: consumer's receive returned − producer's Publish "
                "acknowledged (negative: the consumer had the message first), and − Publish started:", ""]
        out += sqs.latency_table(latency, "publish", "Publish", "publish_us", False)
        lat = {(x["target"], x["rate"]): x for x in latency}
        pairs = [(rate, lat[(lead, rate)], lat[("moto", rate)]) for rate in sorted({x["rate"] for x in latency})
                 if (lead, rate) in lat and ("moto", rate) in lat]
        if pairs:
            out += ["", f"moto / {lead} (how many times longer moto takes; achieved rate: {lead} / moto): " + "; ".join(
                f"{rate:,}/s: ack→recv p50 {ratio(m['ack_to_recv_us']['p50'], r['ack_to_recv_us']['p50'])}, "
                f"p99 {ratio(m['ack_to_recv_us']['p99'], r['ack_to_recv_us']['p99'])}, Publish p50 "
                f"{ratio(m['publish_us']['p50'], r['publish_us']['p50'])}, rate "
                f"{ratio(r['achieved_rate'], m['achieved_rate'])}" for rate, r, m in pairs)]
        out.append("")
    out += sqs.wake_text(wake or [], "Publish")
    out += sqs.targets_table(evaluate(results, latency, lead, wake or []), f"Against the targets ({lead}):")
    if results:
        out += ["Every wrk run, with the CPU the server and wrk kept busy (in cores, of "
                f"{os.cpu_count()}) and, for runnel, acknowledged writes per group commit; the queue column "
                "sums the subscribed queues:", "",
                "| target | workload | subs | conns | wrk -t | duration | requests | publishes/s | deliveries/s "
                "| p50 ms | p90 ms | p99 ms | errors | server CPU | wrk CPU | server µs per publish | writes/group "
                "| queue(s) before → after | bodies checked |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        out += sqs.wrk_run_rows(results, targets, PUBLISH, ("cpu_us_per_publish",), lambda r: (
            [str(r.extra.get("subscriptions", 1))], [f"{r.extra.get('deliveries_per_s', 0):,.0f}"]))
        out.append("")
    out += [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sqs.add_common_options(ap, TARGET_ORDER, DEFAULT_TARGETS, WORKLOADS, "publish", "publishes",
                           "publish: connection counts (default 1,16,64)",
                           "skip the checked 1 s publish warm-up per target",
                           "CI mode: seconds-long runs, 1 and 16 connections, 10 fan-out subscriptions, "
                           "every answer checked")
    ap.add_argument("--fanout-connections", default="1,16", help="fanout: connection counts (default 1,16)")
    ap.add_argument("--subscriptions", type=int, default=100, help="fanout: SQS subscriptions (default 100)")
    args = ap.parse_args(argv)

    check = args.smoke
    if args.smoke:
        args.subscriptions = min(args.subscriptions, 10)
    conns, rates, workloads, names = sqs.common_setup(ap, args, TARGET_ORDER, WORKLOADS)
    fan_conns = [int(c) for c in args.fanout_connections.split(",") if c]
    names.sort(key=TARGET_ORDER.index)

    versions = {"wrk": ddb.wrk_version(args.wrk)}
    targets = [sqs.runnel_target(ap, args, name, conns, versions) if name.startswith("runnel") else
               sqs.moto_target(ap, args, conns, versions) for name in names]

    command = "python3 bench/sns_bench.py " + " ".join(argv)
    results: list[sqs.Result] = []
    latency: list[dict] = []
    wake: list[dict] = []
    notes: list[str] = []
    started = time.monotonic()

    def each(target: sqs.SqsTarget, _tmp_root: str) -> None:
        sns, sqsc = SnsClient.of(target), sqs.Client.of(target)
        check_delivery(target, sns, sqsc, *wire(sns, sqsc, "sample", 1))
        if "publish" in workloads:
            sqs.warmup_and_runs(args, results, conns, target.conns, target.duration, check,
                                lambda c, d, chk: measure_publish(args, target, sns, sqsc, c, d, chk))
        if "latency" in workloads:
            for rate in rates:
                latency.append(measure_latency(args, target, rate, target.lat_seconds))
        if "wake" in workloads and target.name.startswith("runnel"):
            for rate in rates:
                wake.append(sqs.measure_wake(args, target, rate, target.lat_seconds, publish=True))
        if "fanout" in workloads:
            t0 = time.monotonic()
            wired = wire(sns, sqsc, "fan", args.subscriptions)
            log(f"{target.name}: topic with {args.subscriptions} SQS subscriptions set up in "
                f"{time.monotonic() - t0:.1f} s")
            check_delivery(target, sns, sqsc, *wired)
            for c in fan_conns:
                results.append(measure_publish(args, target, sns, sqsc, c, target.duration, check, wired))
        sns.close()
        sqsc.close()
        if not target.alive():
            raise BenchError(f"{target.name} exited; log tail:\n{target.log_tail()}")

    fatal = ddb.run_targets(targets, args.tmp, "runnel-sns-bench-", each, (BenchError, OSError))
    report_md = render(args, results, latency, [t.name for t in targets], versions, command, notes, wake)
    flagged_wake = sqs.wake_flags(wake)
    return sqs.finish(args, started, report_md, {"command": command, "versions": versions, "results": results,
                                                 "latency": latency, "wake": wake, "notes": notes}, results, latency,
                      fatal, f"{len(wake)} wake runs ({len(flagged_wake)} flagged), ", flagged_wake)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
