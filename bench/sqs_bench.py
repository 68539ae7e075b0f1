#!/usr/bin/env python3
"""SQS wire-protocol benchmark: runnel (strict durability) against sqslite (npm) and moto.

Every target gets the same load in one run, each in the protocol it speaks: runnel and moto the JSON
protocol (X-Amz-Target: AmazonSQS.<Op>), sqslite the Query protocol (Action=<Op> form POST, XML
answers; it speaks nothing else, and its queue URLs only resolve as http://localhost:<port>/...).
Workloads:

  send            SendMessage of a 100-byte body (bench/wrk/sqs_send.lua), a fresh queue per run
  recvdelete      ReceiveMessage (MaxNumberOfMessages 1) then DeleteMessage of the handle it returned
                  (bench/wrk/sqs_recv_delete.lua) on a queue topped up to --depth messages (250,000;
                  moto 500) with SendMessageBatch (bench/wrk/sqs_send_batch.lua) before each run; the
                  rate is completed receive+delete pairs per second
  latency         --consumers processes (default 1) blocked in ReceiveMessage (WaitTimeSeconds 20, up
                  to 10 messages; a deleter process deletes what they got) and 4 producer processes sending on
                  one schedule at a fixed rate (200/s and 1,000/s), plain http.client; per message: the
                  consumer's receive returned - the producer's SendMessage acknowledged (and -
                  SendMessage started)
  wake            the latency workload from compiled clients (bench/sqs_wake_bench.cc, threads of one
                  process; --wake-consumers consumers, default 4), runnel targets only
  depth           SendMessage at 64 connections on an empty queue, then the same queue filled to
                  --deep-messages (1,000,000) with SendMessageBatch, then SendMessage again, on a fresh
                  server (runnel and sqslite; moto's every send walks the whole queue)

1, 16 and 64 connections for send and recvdelete (moto: 3 s runs instead of 10 s).

A run fails (exit status 1) on wrk socket errors, timeouts or non-2xx answers, on a wrong body
(one SendMessage/ReceiveMessage/DeleteMessage per target is checked by hand, MD5OfMessageBody
against hashlib; --smoke and a 1 s warm-up per workload check every answer in the Lua scripts), and
when a queue afterwards disagrees with what was acknowledged (ApproximateNumberOfMessages +
NotVisible + Delayed grew by the acknowledged sends, or shrank by the acknowledged deletes, up to the
requests in flight when wrk stopped; the latency consumer must get every message exactly once and
leave the queue empty). Speed never fails a run.

  python3 bench/sqs_bench.py --runnel build/runnel --sqslite tests/js/node_modules/.bin/sqslite \\
      --markdown /tmp/sqs-bench.md
  python3 bench/sqs_bench.py --smoke ...      # seconds-long runs, 1 and 16 connections, small fills

stdlib only; imports bench/ddb_bench.py for the server, wrk and report plumbing.
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import http.client
import json
import math
import multiprocessing
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ddb_bench as ddb  # noqa: E402

PAYLOAD = ddb.PAYLOAD  # the same 100 bytes as bench/wrk/common.lua
PAYLOAD_MD5 = hashlib.md5(PAYLOAD.encode()).hexdigest()
SIG = "Signature=" + "0" * 64
AUTH_JSON = ("AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/sqs/aws4_request, "
             "SignedHeaders=content-type;host;x-amz-date;x-amz-target, " + SIG)
AUTH_QUERY = ("AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/sqs/aws4_request, "
              "SignedHeaders=content-type;host;x-amz-date, " + SIG)
TARGET_ORDER = ["runnel-strict", "runnel-relaxed", "sqslite", "moto"]
DEFAULT_TARGETS = ["runnel-strict", "sqslite", "moto"]  # runnel-relaxed: on request (--targets)
SEND, RECV_DELETE = "SendMessage", "Receive+Delete"
WORKLOADS = ["send", "recvdelete", "latency", "wake", "depth"]


class BenchError(ddb.BenchError):
    pass


log = ddb.log


# ----------------------------------------------------------------------------------------------
# A client for both protocols (setup, checks, the latency workload)


def query_form(op: str, params: dict) -> str:
    form = [("Action", op), ("Version", "2012-11-05")]
    for k, v in params.items():
        if k == "AttributeNames":
            form += [(f"AttributeName.{i}", a) for i, a in enumerate(v, 1)]
        elif k == "Entries":
            prefix = {"SendMessageBatch": "SendMessageBatchRequestEntry",
                      "DeleteMessageBatch": "DeleteMessageBatchRequestEntry"}[op]
            for i, e in enumerate(v, 1):
                form += [(f"{prefix}.{i}.{ek}", str(ev)) for ek, ev in e.items()]
        elif k == "Attributes":
            for i, (n, val) in enumerate(v.items(), 1):
                form += [(f"Attribute.{i}.Name", n), (f"Attribute.{i}.Value", str(val))]
        else:
            form.append((k, str(v)))
    return urllib.parse.urlencode(form)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_query(op: str, text: str) -> dict:
    """The members the benchmark reads, from a Query-protocol XML answer, shaped like the JSON one."""
    root = ET.fromstring(text)
    result = next((c for c in root if _local(c.tag).endswith("Result")), None)
    out: dict = {}
    if result is None:
        return out
    for child in result:
        tag = _local(child.tag)
        if tag == "Message":
            out.setdefault("Messages", []).append({_local(c.tag): c.text or "" for c in child if len(c) == 0})
        elif tag == "Attribute":
            kv = {_local(c.tag): c.text or "" for c in child}
            out.setdefault("Attributes", {})[kv.get("Name", "")] = kv.get("Value", "")
        elif tag in ("SendMessageBatchResultEntry", "DeleteMessageBatchResultEntry"):
            out.setdefault("Successful", []).append({_local(c.tag): c.text or "" for c in child})
        elif tag == "BatchResultErrorEntry":
            out.setdefault("Failed", []).append({_local(c.tag): c.text or "" for c in child})
        elif tag == "QueueUrl" and op == "ListQueues":
            out.setdefault("QueueUrls", []).append(child.text or "")
        else:
            out[tag] = child.text or ""
    return out


class Client:
    """One keep-alive connection to a target, speaking its protocol."""

    def __init__(self, host: str, port: int, protocol: str, timeout: float = 60.0):
        self.host, self.port, self.protocol, self.timeout = host, port, protocol, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.done_ns = 0  # perf_counter_ns() when the last answer had been read

    @classmethod
    def of(cls, target: "SqsTarget", timeout: float = 60.0) -> "Client":
        return cls(target.host, target.port, target.protocol, timeout)

    def close(self) -> None:
        if self.conn:
            self.conn.close()
            self.conn = None

    def encode(self, op: str, params: dict) -> tuple[bytes, dict]:
        """The request body and headers (but Host) of op(params)."""
        if self.protocol == "json":
            body = json.dumps(params, separators=(",", ":")).encode()
            return body, {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{op}",
                          "X-Amz-Date": "20261125T000000Z", "Authorization": AUTH_JSON}
        return query_form(op, params).encode(), {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                                                 "X-Amz-Date": "20261125T000000Z", "Authorization": AUTH_QUERY}

    def parse(self, op: str, status: int, text: str) -> dict:
        """The answer's members ({"__unparsed": text} when a 200 answer does not parse)."""
        parsed: dict = {}
        if status == 200 and text:
            try:
                parsed = json.loads(text) if self.protocol == "json" else parse_query(op, text)
            except (ValueError, ET.ParseError):
                parsed = {"__unparsed": text}
        return parsed

    def raw(self, op: str, params: dict, timeout: float | None = None) -> tuple[int, dict, str]:
        body, headers = self.encode(op, params)
        headers["Host"] = f"{self.host}:{self.port}"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)
            elif timeout is not None and self.conn.sock is not None:
                self.conn.sock.settimeout(timeout)
            try:
                self.conn.request("POST", "/", body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                self.done_ns = time.perf_counter_ns()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # an idle keep-alive connection the server had closed: the request never ran
                self.close()
                if attempt:
                    raise
        if resp.will_close:
            self.close()
        elif timeout is not None and self.conn is not None and self.conn.sock is not None:
            self.conn.sock.settimeout(self.timeout)
        text = data.decode("utf-8", "replace")
        return resp.status, self.parse(op, resp.status, text), text

    def call(self, op: str, params: dict, timeout: float | None = None) -> dict:
        status, parsed, text = self.raw(op, params, timeout)
        if status != 200 or "__unparsed" in parsed:
            raise BenchError(f"{op} answered {status}: {text[:400]}")
        return parsed


def create_queue(client: Client, name: str, attributes: dict | None = None) -> str:
    params: dict = {"QueueName": name}
    if attributes:
        params["Attributes"] = attributes
    url = client.call("CreateQueue", params).get("QueueUrl", "")
    if not url:
        raise BenchError(f"CreateQueue {name} returned no QueueUrl")
    return url


def settled_counts(client: Client, url: str, max_seconds: float = 15.0) -> dict:
    """queue_counts once requests still in flight when wrk stopped have landed: the total must
    stay the same over 0.3 s (a slow peer works through its backlog of queued requests first)."""
    time.sleep(0.3)
    last = queue_counts(client, url)
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = queue_counts(client, url)
        if now["total"] == last["total"] and now["visible"] == last["visible"]:
            return now
        last = now
    return last


def queue_counts(client: Client, url: str) -> dict:
    """visible / not_visible / delayed / total, from GetQueueAttributes (sqslite's
    ApproximateNumberOfMessages counts every message it holds, in flight or not)."""
    attrs = client.call("GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]}).get("Attributes", {})
    if "ApproximateNumberOfMessages" not in attrs:
        raise BenchError(f"GetQueueAttributes has no ApproximateNumberOfMessages: {attrs}")
    c = {"visible": int(attrs["ApproximateNumberOfMessages"]),
         "not_visible": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
         "delayed": int(attrs.get("ApproximateNumberOfMessagesDelayed", 0))}
    c["total"] = c["visible"] + c["not_visible"] + c["delayed"]
    return c


# ----------------------------------------------------------------------------------------------
# Targets


@dataclass
class SqsTarget(ddb.Target):
    protocol: str = "json"
    host: str = "127.0.0.1"  # what clients connect to and name in Host (sqslite: localhost)
    depth: int = 0           # receive+delete queue depth
    fill_conns: int = 16     # connections of the SendMessageBatch fills
    lat_seconds: float = 0.0

    def start(self, tmp_root: str) -> None:
        """ddb.Target.start with an SQS readiness probe (ListQueues in the target's protocol)."""
        self.workdir = tempfile.mkdtemp(prefix=f"{self.name}-", dir=tmp_root)
        data_dir = os.path.join(self.workdir, "data")
        os.makedirs(data_dir)
        self.log_path = os.path.join(self.workdir, "server.log")
        last_error = ""
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self.port = ddb.free_port()
            argv = self.argv_fn(self.port, data_dir)
            log(f"{self.name}: starting: {' '.join(argv)}")
            with open(self.log_path, "ab") as logf:
                env = dict(os.environ)
                env.update(self.env or {})
                self.proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             env=env, cwd=self.workdir)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last_error = f"exited with status {self.proc.returncode}"
                    break
                try:
                    status, _, text = Client.of(self, timeout=2).raw("ListQueues", {})
                    if status == 200:
                        log(f"{self.name}: ready on port {self.port}")
                        return
                    last_error = f"ListQueues answered {status}: {text[:200]}"
                except OSError as e:
                    last_error = str(e)
                time.sleep(0.1)
            self.stop()
        raise BenchError(f"{self.name} did not start ({last_error}); log tail:\n{self.log_tail()}")

    def rss_mib(self) -> float | None:
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except (OSError, AttributeError):
            pass
        return None


# ----------------------------------------------------------------------------------------------
# wrk


@dataclass
class Result(ddb.Result):
    extra: dict = field(default_factory=dict)


def run_wrk(args, target: SqsTarget, script: str, conns: int, duration: str, url: str, check: bool,
            stop_when=None, timeout: str = "5s") -> tuple[dict, str, float, float | None, float | None]:
    """ddb.run_wrk for the SQS scripts; stop_when() (polled every 0.25 s) ends wrk early with SIGINT,
    after which it still prints its summary."""
    threads = 1 if conns < 2 else 2
    argv = [args.wrk, "-t", str(threads), "-c", str(conns), "-d", duration, "--latency", "--timeout", timeout,
            "-s", str(ddb.WRK_DIR / script), f"http://{target.host}:{target.port}/", "--",
            target.protocol, url, "1" if check else "0", PAYLOAD_MD5]
    secs = ddb.duration_seconds(duration)
    cpu0 = ddb.proc_cpu_seconds(target.proc.pid)
    r0 = os.times()
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if stop_when is not None:
            while proc.poll() is None:
                time.sleep(0.25)
                if proc.poll() is None and stop_when():
                    proc.send_signal(signal.SIGINT)
                    break
        out, err = proc.communicate(timeout=secs + 60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise BenchError(f"wrk did not finish within {secs + 60} s: {' '.join(argv)}")
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    wall = time.monotonic() - t0
    r1 = os.times()
    cpu1 = ddb.proc_cpu_seconds(target.proc.pid)
    if proc.returncode != 0:
        raise BenchError(f"wrk failed ({proc.returncode}): {' '.join(argv)}\n{out}\n{err}")
    stats: dict = {"threads": threads}
    for line in out.splitlines():
        if line.startswith("BENCH "):
            parts = line.split(" ", 2)
            if len(parts) == 3:
                stats[parts[1]] = parts[2]
    if "requests" not in stats:
        raise BenchError(f"no BENCH lines in wrk output: {' '.join(argv)}\n{out}\n{err}")
    server_cpu = (cpu1 - cpu0) / wall if cpu0 is not None and cpu1 is not None else None
    wrk_cpu = ((r1.children_user + r1.children_system) - (r0.children_user + r0.children_system)) / wall
    return stats, " ".join(argv), wall, server_cpu, wrk_cpu


def to_result(target: SqsTarget, op: str, conns: int, duration: str, check: bool, stats: dict, server_cpu,
              wrk_cpu) -> Result:
    res = Result(target.name, op, conns, duration=duration, checked=check)
    res.threads = stats["threads"]
    res.requests = int(stats["requests"])
    res.extra["seconds"] = (int(stats.get("duration_us", "0")) or 1) / 1e6
    res.rps = res.requests / res.extra["seconds"]
    res.p50_us, res.p90_us, res.p99_us = (int(stats.get(k, 0)) for k in ("p50_us", "p90_us", "p99_us"))
    res.server_cpu, res.wrk_cpu = server_cpu, wrk_cpu
    err_kinds = {k: int(stats.get(f"errors_{k}", 0)) for k in ("connect", "read", "write", "timeout", "status")}
    bad = int(stats.get("bad_responses", 0))
    res.errors = sum(err_kinds.values()) + bad
    for k, v in err_kinds.items():
        if v:
            res.problems.append(f"{v} {'non-2xx responses' if k == 'status' else k + ' errors'}")
    if bad:
        res.problems.append(f"{bad} wrong response bodies (first: {stats.get('first_bad', '')[:200]})")
    if res.requests == 0:
        res.problems.append("no request completed")
    if not target.alive():
        res.problems.append("server exited during the run")
    return res


def writes_per_group(h0: dict | None, h1: dict | None) -> float | None:
    try:
        s0, s1 = h0["storage"], h1["storage"]
        groups = s1["groups_committed"] - s0["groups_committed"]
        return (s1["writes_committed"] - s0["writes_committed"]) / groups if groups > 0 else None
    except (KeyError, TypeError):
        return None


def report(res: Result, label: str = "") -> Result:
    flag = "  ** FLAGGED: " + "; ".join(res.problems) if res.problems else ""
    log(f"{res.target} {label or res.op} c={res.conns}: {res.rps:,.0f}/s p50 {res.p50_us / 1000:.2f} ms "
        f"p99 {res.p99_us / 1000:.2f} ms errors {res.errors}"
        f"{'' if res.server_cpu is None else f' server cpu {res.server_cpu:.2f}'}{flag}")
    return res


# ----------------------------------------------------------------------------------------------
# Workloads


def measure_send(args, target: SqsTarget, client: Client, conns: int, duration: str, check: bool,
                 url: str | None = None) -> Result:
    """SendMessage load; the queue must hold one more message per acknowledged send."""
    if url is None:
        url = create_queue(client, f"send-{conns}-{uuid.uuid4().hex[:8]}")
    before = settled_counts(client, url)["total"]
    h0 = target.health()
    stats, cmd, _wall, scpu, wcpu = run_wrk(args, target, "sqs_send.lua", conns, duration, url, check)
    h1 = target.health()
    res = to_result(target, SEND, conns, duration, check, stats, scpu, wcpu)
    res.writes_per_group = writes_per_group(h0, h1)
    res.extra.update(command=cmd, before=before)
    if target.alive():
        after = settled_counts(client, url)["total"]  # requests in flight when wrk stopped land first
        res.extra["after"] = after
        if not res.requests <= after - before <= res.requests + conns:
            res.problems.append(f"queue grew by {after - before} messages after {res.requests} acknowledged sends")
        if res.server_cpu is not None and res.rps:
            res.extra["cpu_us_per_send"] = res.server_cpu * 1e6 / res.rps
    return report(res)


def fill(args, target: SqsTarget, client: Client, url: str, goal: int, conns: int, max_seconds: int) -> dict:
    """SendMessageBatch load until the queue holds at least `goal` visible messages (or max_seconds)."""
    start = queue_counts(client, url)
    if start["visible"] >= goal:
        return {"added": 0, "seconds": 0.0, "visible": start["visible"], "problems": []}
    poll = Client.of(target)
    stats, cmd, wall, scpu, _ = run_wrk(args, target, "sqs_send_batch.lua", conns, f"{max_seconds}s", url, True,
                                        stop_when=lambda: queue_counts(poll, url)["visible"] >= goal)
    poll.close()
    res = to_result(target, "SendMessageBatch", conns, f"{max_seconds}s", True, stats, scpu, None)
    acked = int(stats.get("entries_acked", 0))
    end = settled_counts(client, url)
    out = {"added": acked, "seconds": res.extra["seconds"], "visible": end["visible"], "problems": list(res.problems),
           "msgs_per_s": acked / res.extra["seconds"], "server_cpu": scpu, "command": cmd}
    if acked == 0 and end["visible"] >= goal:
        # the goal was met before any batch came back (in-flight messages of an earlier run turned
        # visible again): nothing to fill, nothing wrong
        out["problems"] = [p for p in out["problems"] if p != "no request completed"]
    grew = end["total"] - start["total"]
    if not acked <= grew <= acked + 10 * conns:
        out["problems"].append(f"fill: queue grew by {grew} after {acked} acknowledged batch entries")
    log(f"{target.name}: filled {url.rsplit('/', 1)[-1]} to {end['visible']:,} visible (+{acked:,} in "
        f"{out['seconds']:.1f} s, {out['msgs_per_s']:,.0f} messages/s)"
        + (f"  ** {'; '.join(out['problems'])}" if out["problems"] else ""))
    return out


def measure_recv_delete(args, target: SqsTarget, client: Client, url: str, conns: int, duration: str,
                        check: bool) -> Result:
    """Receive+delete pairs on a queue topped up to target.depth; the queue must shrink by exactly
    the acknowledged deletes."""
    topped = fill(args, target, client, url, target.depth, target.fill_conns, args.fill_timeout)
    before = settled_counts(client, url)
    # --timeout 30s: sqslite's receive and delete walk the whole queue (~60 ms each at 100,000
    # messages), so 64 connections wait seconds for an answer — slow, not wrong.
    stats, cmd, _wall, scpu, wcpu = run_wrk(args, target, "sqs_recv_delete.lua", conns, duration, url, check,
                                            timeout="30s")
    res = to_result(target, RECV_DELETE, conns, duration, check, stats, scpu, wcpu)
    res.problems[:0] = topped["problems"]
    received, others = int(stats.get("received", 0)), int(stats.get("others", 0))
    recv_sent = int(stats.get("recv_sent", 0))
    deletes = others  # the queue never ran dry (checked below), so every non-message answer is a delete's
    res.extra.update(command=cmd, received=received, deletes=deletes, before=before["total"], depth=before["visible"],
                     requests_per_s=res.rps, fill_rate=topped.get("msgs_per_s"))
    res.rps = deletes / res.extra["seconds"]  # completed pairs per second
    if target.alive():
        after = settled_counts(client, url)
        res.extra["after"] = after["total"]
        # wrk calls request() once more in its first thread to inspect the request: + threads
        if after["visible"] == 0 or recv_sent - received > conns + res.threads + int(stats.get("errors_status", 0)):
            res.problems.append(f"the queue ran dry ({recv_sent - received} receives without a message): "
                                f"raise --depth")
        shrank = before["total"] - after["total"]
        if not deletes <= shrank <= deletes + conns:
            res.problems.append(f"queue shrank by {shrank} messages after {deletes} acknowledged deletes")
        if res.server_cpu is not None and res.rps:
            res.extra["cpu_us_per_pair"] = res.server_cpu * 1e6 / res.rps
    return report(res)


END_ID = 99_999_999  # the producer's last message: after it the consumer only waits for stragglers


def lat_text(i: int) -> str:
    """The latency workload's message i: its id, padded to 100 bytes."""
    return f"lat-{i:08d}-".ljust(100, "x")


class LatencyFlow:
    """What the latency workload (measure_latency) sends and what its consumer must receive: here
    SendMessage of message i to a fresh queue, which the consumer long-polls. sns_bench's subclass
    publishes to a topic instead, with that queue subscribed."""
    op = "SendMessage"
    noun = "messages"       # "N acknowledged <noun> never received"
    time_key = "send_us"    # the result's key for the producer's own request (start -> acknowledged)
    started = "send"        # the log's "<started>->recv"

    def __init__(self, target: SqsTarget, rate: int):
        self.target = target
        self.client = Client.of(target)  # this process's: the queue, its counts
        self.url = create_queue(self.client, f"lat-{rate}-{uuid.uuid4().hex[:8]}")

    def producer_client(self) -> Client:
        """A producer process's own connection."""
        return Client(self.target.host, self.target.port, self.target.protocol, timeout=40)

    def params(self, i: int) -> dict:
        return {"QueueUrl": self.url, "MessageBody": lat_text(i)}

    def answered(self, i: int, params: dict, resp: dict) -> tuple[tuple, str]:
        """(what to keep with the send's times, what is wrong with its answer or '')."""
        if resp.get("MD5OfMessageBody") != hashlib.md5(params["MessageBody"].encode()).hexdigest():
            return (), f"SendMessage {i}: MD5OfMessageBody {resp.get('MD5OfMessageBody')}"
        return (), ""

    def read(self, m: dict) -> tuple[int, tuple, str]:
        """A received message -> (its id, what to keep with its receive time, what is wrong or '')."""
        body = m.get("Body", "")
        if m.get("MD5OfBody") != hashlib.md5(body.encode()).hexdigest() or not body.startswith("lat-"):
            return -1, (), "wrong body or MD5OfBody"
        return int(body[4:12]), (), ""

    def bad_problem(self, bad: list[str]) -> str:
        return f"{len(bad)} received messages with a wrong body or MD5OfBody"

    def mismatch(self, sent: list[int], seen: dict, times: dict) -> str:
        """What is wrong between the received messages and their sends' answers ('': nothing)."""
        return ""

    def send_one(self, i: int) -> None:
        """Message i from this process (the end and stop messages)."""
        self.client.call(self.op, self.params(i))

    def close(self) -> None:
        self.client.close()


STOP_BASE = 99_999_000  # ids from here up to END_ID: "stop" messages, one per consumer, after the run


def _write_lines(wfd: int, backlog: bytearray) -> None:
    """Writes whole lines from backlog to the deleters' pipe, each write at most PIPE_BUF bytes: the
    kernel keeps such a write in one piece (or refuses it whole when the pipe is full), so several
    consumers can share the pipe without interleaving handles."""
    while backlog:
        cut = backlog.rfind(b"\n", 0, select.PIPE_BUF) + 1 if len(backlog) > select.PIPE_BUF else len(backlog)
        try:
            del backlog[:os.write(wfd, bytes(backlog[:cut]))]
        except BlockingIOError:
            return


def _consumer(flow: LatencyFlow, received, done, max_seconds: float, fds: tuple[int, int], pipe, ready) -> None:
    """Long-polls (WaitTimeSeconds 20, up to 10 messages) until it receives a stop message (or
    max_seconds pass); stamps each message with the moment its receive returned (and what flow.read
    keeps), counts it in the shared `received`, and hands the receipt handles to the deleter process
    through a non-blocking pipe (a deleter that falls behind must not hold up the receives)."""
    gc.disable()
    os.close(fds[0])
    wfd = fds[1]
    os.set_blocking(wfd, False)
    backlog = bytearray()
    client = Client(flow.target.host, flow.target.port, flow.target.protocol, timeout=40)
    seen: dict[int, tuple] = {}
    dups = polls = empty = 0
    bad: list[str] = []
    full_calls: list[int] = []  # ns spent in receives that returned messages
    error = ""
    stopped = False
    ready.release()
    end = time.monotonic() + max_seconds
    try:
        while time.monotonic() < end and not stopped:
            wait = int(min(20, max(1, end - time.monotonic())))
            t_call = time.perf_counter_ns()
            msgs = client.call("ReceiveMessage", {"QueueUrl": flow.url, "MaxNumberOfMessages": 10,
                                                  "WaitTimeSeconds": wait, "VisibilityTimeout": 600}).get("Messages", [])
            t = client.done_ns
            polls += 1
            if not msgs:
                empty += 1
                continue
            full_calls.append(t - t_call)
            handles: list[str] = []
            new = 0
            for m in msgs:
                if m.get("ReceiptHandle") not in handles:
                    handles.append(m.get("ReceiptHandle", ""))
                i, kept, problem = flow.read(m)
                if problem:
                    bad.append(problem)
                elif STOP_BASE <= i < END_ID:
                    stopped = True
                elif i in seen:
                    dups += 1
                else:
                    seen[i] = (t, *kept)
                    new += 1
            if new:
                with received.get_lock():
                    received.value += new
            backlog += "".join(h + "\n" for h in handles).encode()
            _write_lines(wfd, backlog)
    except Exception as e:  # reported to the parent, which flags the run
        error = f"{type(e).__name__}: {e}"
    with done.get_lock():  # counted before the result is sent: a large one blocks until it is read
        done.value += 1
    os.set_blocking(wfd, True)
    _write_lines(wfd, backlog)
    os.close(wfd)
    pipe.send({"seen": seen, "dups": dups, "bad": bad, "polls": polls, "empty": empty, "error": error,
               "full_calls_us": [x / 1000 for x in full_calls]})
    pipe.close()


def _deleter(host: str, port: int, protocol: str, url: str, fds: tuple[int, int], pipe) -> None:
    """Deletes what the consumer received, so the queue stays as small as a real consumer keeps it
    (moto's and sqslite's operations walk every message they hold): DeleteMessageBatch of up to 10,
    except for sqslite (Query), whose DeleteMessageBatch deletes every message but the listed ones —
    there one DeleteMessage per handle (its handles are per receive call anyway)."""
    os.close(fds[1])
    rfd = fds[0]
    client = Client(host, port, protocol, timeout=40)
    deleted, error, rest = 0, "", b""
    try:
        while True:
            chunk = os.read(rfd, 1 << 16)
            if not chunk:
                break
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            handles = [h.decode() for h in lines if h]
            if protocol == "query":
                for h in handles:
                    client.call("DeleteMessage", {"QueueUrl": url, "ReceiptHandle": h})
                    deleted += 1
                continue
            for j in range(0, len(handles), 10):
                part = handles[j:j + 10]
                resp = client.call("DeleteMessageBatch", {"QueueUrl": url, "Entries": [
                    {"Id": f"d{k}", "ReceiptHandle": h} for k, h in enumerate(part)]})
                if resp.get("Failed"):
                    raise BenchError(f"DeleteMessageBatch failed entries: {resp['Failed'][:2]}")
                deleted += len(part)
    except Exception as e:
        error = f"{type(e).__name__}: {e}"
    os.close(rfd)
    pipe.send({"deleted": deleted, "error": error})
    pipe.close()


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def _producer(k: int, n: int, flow: LatencyFlow, rate: int, total: int, t0: float, limit: float, pipe) -> None:
    """Sends messages k, k+n, k+2n, ... of the schedule t0 + i / rate on its own connection."""
    gc.disable()
    client = flow.producer_client()
    times: dict[int, tuple] = {}
    error = ""
    try:
        for i in range(k, total, n):
            due = t0 + i / rate
            now = time.perf_counter()
            if now - t0 > limit:
                break
            if due > now:
                time.sleep(due - now)
            params = flow.params(i)
            start = time.perf_counter_ns()
            resp = client.call(flow.op, params)
            kept, error = flow.answered(i, params, resp)
            times[i] = (start, client.done_ns, *kept)
            if error:
                break
    except Exception as e:
        error = f"{type(e).__name__}: {e}"
    pipe.send({"times": times, "error": error})
    pipe.close()


def measure_latency(args, target: SqsTarget, rate: int, seconds: float, flow: LatencyFlow | None = None) -> dict:
    """args.consumers long-polling consumer processes (plus one deleter process for what they
    received) and args.producers producer processes that together send on the schedule
    t0 + i / rate for `seconds` (each on its own connection, so a send's latency does not hold up
    the next one; they stop after 2 x seconds when the target cannot keep up, and the achieved rate
    is reported). flow: what is sent and received (default SendMessage to a fresh queue)."""
    flow = flow or LatencyFlow(target, rate)
    warm = 20
    total = warm + max(1, int(rate * seconds))
    ctx = multiprocessing.get_context("fork")
    fds = os.pipe()  # consumers -> deleter: receipt handles, one per line
    received = ctx.Value("q", 0)
    done = ctx.Value("i", 0)  # consumers that stopped polling
    ready = ctx.Semaphore(0)
    limit = 2 * seconds + 5
    consumers = []
    for _ in range(args.consumers):
        r, w = ctx.Pipe(duplex=False)
        c = ctx.Process(target=_consumer, args=(flow, received, done, limit + 60, fds, w, ready), daemon=True)
        c.start()
        w.close()
        consumers.append((c, r))
    res_d, res_d_child = ctx.Pipe(duplex=False)
    deleter = ctx.Process(target=_deleter, args=(target.host, target.port, target.protocol, flow.url, fds, res_d_child),
                          daemon=True)
    deleter.start()
    res_d_child.close()
    for fd in fds:  # before the producers fork: the deleter must see EOF when the consumers are done
        os.close(fd)
    problems: list[str] = []
    if not all(ready.acquire(timeout=20) for _ in consumers):
        problems.append("a consumer did not start")
    t0 = time.perf_counter() + 0.3  # the consumers' first long polls reach the server meanwhile
    producers = []
    for k in range(args.producers):
        r, w = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_producer, args=(k, args.producers, flow, rate, total, t0, limit, w), daemon=True)
        p.start()
        w.close()
        producers.append((p, r))
    times: dict[int, tuple] = {}  # i -> (started, acknowledged, what flow.answered kept)
    for p, r in producers:
        got_p = r.recv() if r.poll(limit + 60) else {"times": {}, "error": "producer sent no result"}
        p.join(10)
        if got_p["error"]:
            problems.append(f"producer: {got_p['error']}")
        times.update(got_p["times"])
    sent = sorted(times)
    try:
        if not problems:
            flow.send_one(END_ID)
            # everything acknowledged (and the end message) received, or given up on: then one stop
            # message per consumer still polling, until none is
            deadline = time.monotonic() + limit + 60
            while received.value < len(sent) + 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            for k in range(len(consumers)):
                stopped = done.value
                if stopped >= len(consumers):
                    break
                flow.send_one(STOP_BASE + k)
                stop_wait = time.monotonic() + 10  # the consumer that got it stops polling
                while done.value <= stopped and time.monotonic() < stop_wait:
                    time.sleep(0.01)
    except (BenchError, OSError) as e:
        problems.append(f"producer: {e}")
    if problems:  # a producer stopped early: the consumers would wait for messages never sent
        for c, _ in consumers:
            c.kill()
        deleter.kill()
    got = {"seen": {}, "dups": 0, "bad": [], "polls": 0, "empty": 0, "error": "", "full_calls_us": []}
    for c, r in consumers:
        one = r.recv() if not problems and r.poll(90) else {"seen": {}, "error": "" if problems else
                                                              "consumer sent no result"}
        got["dups"] += one.get("dups", 0) + sum(1 for i in one["seen"] if i in got["seen"])
        got["seen"].update(one["seen"])
        for key in ("bad", "full_calls_us"):
            got[key] += one.get(key, [])
        for key in ("polls", "empty"):
            got[key] += one.get(key, 0)
        got["error"] = got["error"] or one.get("error", "")
    dres = res_d.recv() if not problems and res_d.poll(120) else {"deleted": 0, "error": ""}
    for p in [c for c, _ in consumers] + [deleter]:
        p.join(10)
        if p.is_alive():
            p.kill()
    seen = got["seen"]  # i -> (receive returned, what flow.read kept)
    for who, r in (("consumer", got), ("deleter", dres)):
        if r.get("error"):
            problems.append(f"{who}: {r['error']}")
    missing = [i for i in sent if i not in seen]
    if missing and not problems:
        problems.append(f"{len(missing)} acknowledged {flow.noun} never received (first id {missing[0]})")
    if got.get("dups"):
        problems.append(f"{got['dups']} messages received twice")
    if got.get("bad"):
        problems.append(flow.bad_problem(got["bad"]))
    wrong = flow.mismatch(sent, seen, times)
    if wrong:
        problems.append(wrong)
    if not problems:
        left = queue_counts(flow.client, flow.url)["total"]
        if left:
            problems.append(f"{left} messages left after every message was received and deleted")
    ids = [i for i in sent if i >= warm and i in seen]
    ack_us = [(seen[i][0] - times[i][1]) / 1000 for i in ids]
    start_us = [(seen[i][0] - times[i][0]) / 1000 for i in ids]
    send_us = [(times[i][1] - times[i][0]) / 1000 for i in ids]
    timed = [times[i][0] for i in sent if i >= warm]
    span = (max(timed) - min(timed)) / 1e9 if len(timed) > 1 else 0
    out = {"target": target.name, "rate": rate, "seconds": seconds, "messages": len(ids), "producers": args.producers,
           "consumers": args.consumers,
           "achieved_rate": (len(timed) - 1) / span if span > 0 else 0.0, "polls": got.get("polls", 0),
           "empty_polls": got.get("empty", 0), "consumer_first": sum(1 for a in ack_us if a < 0),
           "deleted": dres.get("deleted", 0), "problems": problems}
    full = got.get("full_calls_us", [])
    # receives that returned messages: how many each, and how long the call took (send to answer read)
    out["msgs_per_receive"] = len(seen) / len(full) if full else 0.0
    out["receive_call_us"] = {"p50": pct(full, 50), "p99": pct(full, 99)}
    for name, vals in (("ack_to_recv_us", ack_us), ("start_to_recv_us", start_us), (flow.time_key, send_us)):
        out[name] = {"p50": pct(vals, 50), "p90": pct(vals, 90), "p99": pct(vals, 99),
                     "max": max(vals) if vals else 0.0, "mean": statistics.fmean(vals) if vals else 0.0}
    a, s = out["ack_to_recv_us"], out["start_to_recv_us"]
    log(f"{target.name} latency @{rate}/s (achieved {out['achieved_rate']:,.0f}/s, {len(ids)} msgs, "
        f"{out['polls']} polls, {out['msgs_per_receive']:.1f} msgs/receive, receive call p50 "
        f"{out['receive_call_us']['p50']:.0f} us, {out['deleted']} deleted): ack->recv p50 {a['p50']:.0f} p99 {a['p99']:.0f} "
        f"max {a['max']:.0f} us; {flow.started}->recv p50 {s['p50']:.0f} p99 {s['p99']:.0f} us"
        + (f"  ** {'; '.join(problems)}" if problems else ""))
    flow.close()
    return out


def measure_wake(args, target: SqsTarget, rate: int, seconds: float, publish: bool = False) -> dict:
    """The latency workload from compiled clients (bench/sqs_wake_bench.cc: producer, consumer and
    deleter threads of one process, one keep-alive connection each), so that the clients' own
    wake-ups do not make the tail: send (or, with publish, Publish) acknowledged -> a long-polling
    consumer's receive returned, args.wake_consumers consumers polling together."""
    cmd = [args.wake_bench, "--host", target.host, "--port", str(target.port), "--rate", str(rate),
           "--seconds", str(seconds), "--producers", str(args.producers), "--consumers", str(args.wake_consumers)]
    if publish:
        cmd.append("--publish")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=2 * seconds + 180)
        out = json.loads(p.stdout.strip().splitlines()[-1])
        if p.returncode and not out.get("problems"):
            out["problems"] = [f"exit status {p.returncode}"]
    except (subprocess.TimeoutExpired, ValueError, IndexError, OSError) as e:
        out = {"rate": rate, "achieved_rate": 0.0, "messages": 0, "consumers": args.wake_consumers,
               "ack_to_recv_us": {"p50": 0, "p90": 0, "p99": 0, "max": 0}, "send_us": {"p50": 0, "p99": 0},
               "msgs_per_receive": 0.0, "consumer_first": 0, "problems": [f"sqs_wake_bench failed: {e}"]}
    out["target"] = target.name
    out["command"] = " ".join(cmd)
    a = out["ack_to_recv_us"]
    log(f"{target.name} wake @{rate}/s (compiled clients, {out['consumers']} consumers; achieved "
        f"{out['achieved_rate']:,.0f}/s, {out['messages']} msgs, {out['msgs_per_receive']:.2f} msgs/receive): ack->recv "
        f"p50 {a['p50']:.0f} p99 {a['p99']:.0f} max {a['max']:.0f} us"
        + (f"  ** {'; '.join(out['problems'])}" if out["problems"] else ""))
    return out


def wake_flags(wake: list[dict]) -> list[str]:
    return [f"{x['target']} wake {x['rate']}/s: {'; '.join(x['problems'])}" for x in wake if x["problems"]]


def wake_text(wake: list[dict], op: str) -> list[str]:
    """The wake section of a report: its introduction and table."""
    if not wake:
        return []
    return [f"{op} → receive latency from compiled clients (bench/sqs_wake_bench.cc): {wake[0].get('producers', 4)} "
            f"producer threads and {wake[0]['consumers']} consumer threads long-polling together (WaitTimeSeconds 20, "
            "up to 10 messages; a deleter thread deletes what they received), one keep-alive connection each, "
            f"the same schedule and messages as above. Per message: receive returned − {op} acknowledged:", ""] + \
        wake_table(wake, op) + [""]


def wake_table(wake: list[dict], op: str) -> list[str]:
    """The wake workload's rows (compiled clients)."""
    out = ["| target | rate (achieved) | consumers | messages | ack→recv p50 | p90 | p99 | max | consumer first "
           f"| messages per receive | {op} p50 / p99 |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for x in wake:
        a, s = x["ack_to_recv_us"], x["send_us"]
        flag = f" **{'; '.join(x['problems'])}**" if x["problems"] else ""
        out.append(f"| {x['target']} | {x['rate']:,}/s ({x['achieved_rate']:,.0f}) | {x['consumers']} | {x['messages']:,} "
                   f"| {fmt_us(a['p50'])} | {fmt_us(a['p90'])} | {fmt_us(a['p99'])} | {fmt_us(a['max'])} "
                   f"| {x['consumer_first']:,} | {x['msgs_per_receive']:.2f} | {fmt_us(s['p50'])} / {fmt_us(s['p99'])}{flag} |")
    return out


def settle(target: SqsTarget, max_seconds: float = 120.0) -> float:
    """Waits until the server is idle (< 5 % of a core over 1 s: the fill's memtable flushes and
    compactions are done), so the next run measures SendMessage, not the fill's leftovers."""
    t0 = time.monotonic()
    time.sleep(1)
    while time.monotonic() - t0 < max_seconds:
        c0 = ddb.proc_cpu_seconds(target.proc.pid)
        time.sleep(1)
        c1 = ddb.proc_cpu_seconds(target.proc.pid)
        if c0 is None or c1 is None or c1 - c0 < 0.05:
            break
    return time.monotonic() - t0


def measure_depth(args, target: SqsTarget, duration: str, conns: int) -> dict:
    """SendMessage on an empty queue, fill it to args.deep_messages, SendMessage again."""
    client = Client.of(target)
    url = create_queue(client, f"deep-{uuid.uuid4().hex[:8]}")
    out: dict = {"target": target.name, "conns": conns, "goal": args.deep_messages, "problems": []}
    out["rss_start_mib"] = target.rss_mib()
    settle(target)
    empty = measure_send(args, target, client, conns, duration, False, url)
    out["empty"] = empty
    filled = fill(args, target, client, url, args.deep_messages, 64, args.fill_timeout)
    out["fill"] = filled
    out["rss_filled_mib"] = target.rss_mib()
    out["settle_s"] = settle(target)
    deep = measure_send(args, target, client, conns, duration, False, url)
    out["deep"] = deep
    out["rss_end_mib"] = target.rss_mib()
    out["problems"] = empty.problems + filled["problems"] + deep.problems
    if not target.alive() and not target.name.startswith("runnel"):
        # a peer that cannot hold the messages (it died filling) is a result, not a failure
        out["note"] = f"the server exited while filling; log tail: {target.log_tail(3)!r}"
        out["problems"] = []
    if filled["visible"] < args.deep_messages:
        out["note"] = (f"reached {filled['visible']:,} of {args.deep_messages:,} messages in "
                       f"{args.fill_timeout} s")
    log(f"{target.name} depth: empty {empty.rps:,.0f}/s (queue {empty.extra.get('before', 0):,} -> "
        f"{empty.extra.get('after', 0):,}), deep {deep.rps:,.0f}/s (queue {deep.extra.get('before', 0):,} -> "
        f"{deep.extra.get('after', 0):,}), ratio {deep.rps / empty.rps if empty.rps else 0:.2f}")
    client.close()
    return out


def check_sample(target: SqsTarget) -> None:
    """One SendMessage, ReceiveMessage and DeleteMessage with the scripts' shapes, checked in full."""
    client = Client.of(target)
    problems: list[str] = []
    url = create_queue(client, f"sample-{uuid.uuid4().hex[:8]}")
    resp = client.call("SendMessage", {"QueueUrl": url, "MessageBody": PAYLOAD})
    if resp.get("MD5OfMessageBody") != PAYLOAD_MD5:
        problems.append(f"SendMessage MD5OfMessageBody {resp.get('MD5OfMessageBody')!r}, expected {PAYLOAD_MD5}")
    if not resp.get("MessageId"):
        problems.append(f"SendMessage without MessageId: {resp}")
    got = client.call("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 1}).get("Messages", [])
    if len(got) != 1:
        problems.append(f"ReceiveMessage returned {len(got)} messages, expected 1")
    else:
        m = got[0]
        if m.get("Body") != PAYLOAD or m.get("MD5OfBody") != PAYLOAD_MD5 or m.get("MessageId") != resp.get("MessageId"):
            problems.append(f"ReceiveMessage returned {m}")
        client.call("DeleteMessage", {"QueueUrl": url, "ReceiptHandle": m.get("ReceiptHandle", "")})
        left = queue_counts(client, url)["total"]
        if left != 0:
            problems.append(f"{left} messages left after DeleteMessage")
    client.close()
    if problems:
        raise BenchError(f"{target.name}: sample requests are wrong:\n  " + "\n  ".join(problems))
    log(f"{target.name}: sample SendMessage/ReceiveMessage/DeleteMessage answered correctly "
        f"(MD5OfMessageBody {PAYLOAD_MD5})")


# ----------------------------------------------------------------------------------------------
# Report


def fmt_ms(us: float) -> str:
    return ddb.fmt_ms(int(us))


def fmt_us(us: float) -> str:
    return f"{us / 1000:.2f} ms" if abs(us) >= 1000 else f"{us:.0f} µs"


def ratio_text(a: float, b: float) -> str:
    return f"{a / b:.1f}×" if b else "—"


def consumers_text(latency: list[dict]) -> str:
    n = latency[0].get("consumers", 1)
    return "one consumer process" if n == 1 else f"{n} consumer processes (together)"


def latency_table(latency: list[dict], started: str, op: str, key: str, call_column: bool) -> list[str]:
    """The latency table: a row per target and rate; started names the request ("send" start→recv),
    op its own latency column (x[key]); call_column adds the receive call's p50 / p99."""
    out = ["| target | rate (achieved) | messages | ack→recv p50 | p90 | p99 | max | consumer first "
           f"| {started} start→recv p50 | p99 | {op} p50 / p99 | receives (empty) | messages per receive "
           + ("| receive call p50 / p99 (incl. the wait) |" if call_column else "|"),
           "|---|" + "---:|" * (12 + call_column)]
    for x in latency:
        a, s, w = x["ack_to_recv_us"], x["start_to_recv_us"], x[key]
        flag = f" **{'; '.join(x['problems'])}**" if x["problems"] else ""
        call = (f" | {fmt_us(x['receive_call_us']['p50'])} / {fmt_us(x['receive_call_us']['p99'])}"
                if call_column else "")
        out.append(f"| {x['target']} | {x['rate']:,}/s ({x['achieved_rate']:,.0f}) | {x['messages']:,} "
                   f"| {fmt_us(a['p50'])} | {fmt_us(a['p90'])} | {fmt_us(a['p99'])} | {fmt_us(a['max'])} "
                   f"| {x['consumer_first']:,} | {fmt_us(s['p50'])} | {fmt_us(s['p99'])} "
                   f"| {fmt_us(w['p50'])} / {fmt_us(w['p99'])} | {x['polls']:,} ({x['empty_polls']:,}) "
                   f"| {x['msgs_per_receive']:.1f}{call}{flag} |")
    return out


def wrk_run_rows(results: list[Result], targets: list[str], first_op: str, per_keys: tuple[str, ...],
                 extra=None) -> list[str]:
    """The rows of the every-wrk-run table, by target, first_op first, then by connections; the
    server µs per op is the first of per_keys in r.extra; extra(r) -> (cells after the workload,
    cells after the rate) for more columns."""
    order = {t: i for i, t in enumerate(targets)}
    out = []
    for r in sorted(results, key=lambda r: (order.get(r.target, 99), r.op != first_op, r.conns)):
        err = str(r.errors) if not r.flagged else f"**{r.errors}: {'; '.join(r.problems)}**"
        per = next((r.extra[k] for k in per_keys if r.extra.get(k) is not None), None)
        after_op, after_rate = extra(r) if extra else ([], [])
        cells = [r.target, r.op, *after_op, str(r.conns), str(r.threads), r.duration, f"{r.requests:,}",
                 f"{r.rps:,.0f}", *after_rate, fmt_ms(r.p50_us), fmt_ms(r.p90_us), fmt_ms(r.p99_us), err,
                 "" if r.server_cpu is None else f"{r.server_cpu:.2f}", "" if r.wrk_cpu is None else f"{r.wrk_cpu:.2f}",
                 "" if per is None else f"{per:.0f}",
                 "" if r.writes_per_group is None else f"{r.writes_per_group:.1f}",
                 f"{r.extra.get('before', 0):,} → {r.extra.get('after', 0):,}", "yes" if r.checked else "no"]
        out.append("| " + " | ".join(cells) + " |")
    return out


def targets_table(rows: list[tuple[str, str, str]], title: str = "Against the targets:") -> list[str]:
    """The (target, measured, verdict) rows as a table under title; nothing without rows."""
    if not rows:
        return []
    return [title, "", "| target | measured | |", "|---|---|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows), ""]


def capacity_row(results: list[Result], mine: str, peers: list[str], need: float,
                 ops: dict[str, str]) -> tuple[str, str] | None:
    """(measured, verdict) comparing throughput as capacity: per operation, the best rate `mine`
    reached at any connection count against the best any of `peers` reached at any; None when
    nothing compares."""
    cells, short = [], []
    for op, what in ops.items():
        best = {}
        for r in results:
            if r.op == op and not r.duration.endswith("(warm-up)") and r.rps > best.get(r.target, (0, 0))[0]:
                best[r.target] = (r.rps, r.conns)
        theirs = [(best[p], p) for p in peers if p in best]
        if mine not in best or not theirs:
            continue
        (peer_rps, peer_c), peer = max(theirs)
        (my_rps, my_c) = best[mine]
        x = my_rps / peer_rps
        if x < need:
            short.append(what)
        cells.append(f"{what}: {x:,.1f}× {peer} ({my_rps:,.0f}/s at {my_c} against {peer_rps:,.0f}/s at {peer_c} "
                     "connections)")
    if not cells:
        return None
    return "; ".join(cells), "met" if not short else f"missed for {', '.join(short)}"


def evaluate(results: list[Result], latency: list[dict], depth: list[dict],
             wake: list[dict] | None = None) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) rows for the issue's targets."""
    rows = []
    by = {(r.target, r.op, r.conns): r for r in results}
    runnel_sends = [r for r in results if r.target == "runnel-strict" and r.op == SEND]
    if runnel_sends:
        best = max(runnel_sends, key=lambda r: r.rps)
        rows.append(("≥ 20,000 sends/s, strict durability", f"{best.rps:,.0f}/s at {best.conns} connections",
                     "met" if best.rps >= 20000 else f"missed ({100 * best.rps / 20000:.0f} % of it)"))
    for label, peers, need in (("≥ 2× the best peer", ["sqslite", "moto"], 2.0), ("≥ 50× moto", ["moto"], 50.0)):
        cells, short = [], []
        for op in (SEND, RECV_DELETE):
            for c in sorted({r.conns for r in results if r.op == op}):
                mine = by.get(("runnel-strict", op, c))
                theirs = [by[(p, op, c)] for p in peers if (p, op, c) in by]
                if not mine or not theirs:
                    continue
                peer = max(theirs, key=lambda r: r.rps)
                what = f"{'send' if op == SEND else 'recv+del'} c={c}"
                if not peer.rps:
                    cells.append(f"{what}: {peer.target} completed none")
                    continue
                x = mine.rps / peer.rps
                if x < need:
                    short.append(what)
                cells.append(f"{what}: {x:.1f}× {peer.target}")
        if cells:
            rows.append((label + ", per connection count", "; ".join(cells), "met everywhere" if not short else
                         f"met except at {', '.join(short)}"))
        capacity = capacity_row(results, "runnel-strict", peers, need, {SEND: "send", RECV_DELETE: "recv+del"})
        if capacity:
            rows.append((label + ", throughput (each server's best rate over the connection counts)", *capacity))
    for lat, clients in (([x for x in latency if x["target"] == "runnel-strict"],
                          f"Python client processes, {consumers_text(latency) if latency else ''}"),
                         ([x for x in wake or [] if x["target"] == "runnel-strict" and not x["problems"]],
                          f"compiled clients, {(wake or [{}])[0].get('consumers', 0)} consumers")):
        if not lat:
            continue
        worst = max(x["ack_to_recv_us"]["p99"] for x in lat)
        rows.append((f"long-poll wake p99 < 1 ms (send acknowledged → consumer's receive returned; {clients})",
                     "; ".join(f"{x['rate']}/s: p99 {fmt_us(x['ack_to_recv_us']['p99'])}" for x in lat),
                     "met" if worst < 1000 else "met at " + ", ".join(
                         f"{x['rate']}/s" for x in lat if x["ack_to_recv_us"]["p99"] < 1000) + " only"
                     if any(x["ack_to_recv_us"]["p99"] < 1000 for x in lat) else "missed"))
    for d in depth:
        if d["target"] != "runnel-strict":
            continue
        e, f = d["empty"], d["deep"]
        x = f.rps / e.rps if e.rps else 0
        ce, cf = e.extra.get("cpu_us_per_send"), f.extra.get("cpu_us_per_send")
        cpu = f"; server CPU per send {ce:.0f} → {cf:.0f} µs" if ce and cf else ""
        # flat: throughput and server CPU per send each within 15 % (this VM's run-to-run noise)
        cpu_x = cf / ce if ce and cf else 1.0
        flat = x >= 0.85 and cpu_x <= 1.15
        rows.append((f"SendMessage cost flat from an empty queue to {d['goal']:,} messages",
                     f"{e.rps:,.0f}/s → {f.rps:,.0f}/s at {f.extra.get('before', 0):,} messages ({x:.2f}×){cpu}; "
                     f"p99 {fmt_ms(e.p99_us)} → {fmt_ms(f.p99_us)} ms",
                     "met (rate and CPU per send within 15 %)" if flat else
                     f"missed (rate {x:.2f}×, CPU per send {cpu_x:.2f}×; flat = both within 15 %)"))
    return rows


def render(args, results: list[Result], latency: list[dict], depth: list[dict], targets: list[str],
           versions: dict, command: str, notes: list[str], wake: list[dict] | None = None) -> str:
    out = ddb.report_head(command, versions)
    by = {(r.target, r.op, r.conns): r for r in results}
    measured = [r for r in results if not r.duration.endswith("(warm-up)")]
    if measured:
        out += ["Throughput: sends/s and completed receive+delete pairs/s (p50 / p99 latency of one request, ms):", "",
                "| workload | conns | " + " | ".join(targets) + " |", "|---|---:|" + "---:|" * len(targets)]
        for op in (SEND, RECV_DELETE):
            for c in sorted({r.conns for r in measured if r.op == op}):
                out.append(f"| {op} | {c} | " + " | ".join(ddb.throughput_cells(by, targets, op, c)) + " |")
        out.append("")
    if latency:
        out += [f"Send → receive latency: {latency[0].get('producers', 1)} producer processes (one connection each) "
                f"sending together on one schedule at the rate, {consumers_text(latency)} in ReceiveMessage "
                "(WaitTimeSeconds 20, up to 10 messages; a deleter process deletes what it received). Per message: "
                "consumer's receive returned − producer's SendMessage acknowledged (negative: the consumer had the "
                "message first), and − SendMessage started:", ""]
        out += latency_table(latency, "send", "SendMessage", "send_us", True)
        out.append("")
    out += wake_text(wake or [], "SendMessage")
    if depth:
        out += ["SendMessage on an empty queue vs the same queue filled with SendMessageBatch "
                f"(fresh server, {depth[0]['conns']} connections):", "",
                "| target | empty queue: sends/s (p99) | queue during | fill, then server idle | filled queue: sends/s (p99) "
                "| queue during | ratio | server CPU µs/send | server RSS start / filled / end |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for d in depth:
            e, f, fl = d["empty"], d["deep"], d["fill"]
            rss = " / ".join("—" if v is None else f"{v:,.0f}" for v in (d["rss_start_mib"], d["rss_filled_mib"],
                                                                       d["rss_end_mib"]))
            ce, cf = e.extra.get("cpu_us_per_send"), f.extra.get("cpu_us_per_send")
            flag = f" **{'; '.join(d['problems'])}**" if d["problems"] else ""
            note = f" ({d['note']})" if d.get("note") else ""
            out.append(f"| {d['target']} | {e.rps:,.0f} ({fmt_ms(e.p99_us)} ms) "
                       f"| {e.extra.get('before', 0):,} → {e.extra.get('after', 0):,} "
                       f"| +{fl['added']:,} in {fl['seconds']:.1f} s ({fl.get('msgs_per_s', 0):,.0f}/s){note}, "
                       f"idle {d.get('settle_s', 0):.0f} s later "
                       f"| {f.rps:,.0f} ({fmt_ms(f.p99_us)} ms) "
                       f"| {f.extra.get('before', 0):,} → {f.extra.get('after', 0):,} | {ratio_text(f.rps, e.rps)} "
                       f"| {'—' if ce is None else f'{ce:.0f}'} → {'—' if cf is None else f'{cf:.0f}'} "
                       f"| {rss} MiB{flag} |")
        out.append("")
    out += targets_table(evaluate(results, latency, depth, wake or []))
    if results:
        out += ["Every wrk run, with the CPU the server and wrk kept busy (in cores, of "
                f"{os.cpu_count()}) and, for runnel sends, acknowledged writes per group commit:", "",
                "| target | workload | conns | wrk -t | duration | requests | rate | p50 ms | p90 ms | p99 ms | errors "
                "| server CPU | wrk CPU | server µs per op | writes/group | queue before → after | bodies checked |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        out += wrk_run_rows(results, targets, SEND, ("cpu_us_per_send", "cpu_us_per_pair"))
        out.append("")
    out += [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------


def add_common_options(ap: argparse.ArgumentParser, target_order: list[str], default_targets: list[str],
                       workloads: list[str], noun: str, nouns: str, connections_help: str, warmup_help: str,
                       smoke_help: str) -> None:
    """The options sqs_bench and sns_bench share; noun / nouns: what a producer does ("send" / "sends")."""
    ap.add_argument("--runnel", help="path to build/runnel")
    ap.add_argument("--moto-python", help="a python3 that has moto (default: the first python3 that imports it)")
    ap.add_argument("--targets", default=",".join(default_targets),
                    help=f"subset of {','.join(target_order)} (default {','.join(default_targets)})")
    ap.add_argument("--workloads", default=",".join(workloads), help=f"subset of {','.join(workloads)}")
    ap.add_argument("--connections", default="1,16,64", help=connections_help)
    ap.add_argument("--duration", default="10s", help="wrk -d per run (default 10s)")
    ap.add_argument("--moto-duration", default="3s", help="wrk -d per moto run (default 3s)")
    ap.add_argument("--rates", default="200,1000", help=f"latency: producer rates in {nouns}/s (default 200,1000)")
    ap.add_argument("--latency-seconds", type=float, default=10.0, help="latency: seconds per rate (default 10)")
    ap.add_argument("--moto-latency-seconds", type=float, default=5.0)
    ap.add_argument("--consumers", type=int, default=1,
                    help="latency: consumer processes long-polling the queue together (default 1)")
    ap.add_argument("--producers", type=int, default=4,
                    help=f"latency: producer processes sharing the {noun} schedule (default 4)")
    ap.add_argument("--wake-bench", default=str(ddb.HERE.parent / "build" / "bench" / "sqs_wake_bench"),
                    help="wake: the compiled client (build/bench/sqs_wake_bench)")
    ap.add_argument("--wake-consumers", type=int, default=4,
                    help="wake: consumer threads long-polling together (default 4)")
    ap.add_argument("--no-warmup", action="store_true", help=warmup_help)
    ap.add_argument("--smoke", action="store_true", help=smoke_help)
    ap.add_argument("--markdown", help="also write the report (markdown) to this file")
    ap.add_argument("--json", help="also write every measurement (JSON) to this file")
    ap.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    ap.add_argument("--tmp", help="parent of the servers' data directories (default: a new temp dir on disk)")
    ap.add_argument("--runnel-arg", action="append", default=[], help="extra argument for runnel serve (repeatable)")


def common_setup(ap: argparse.ArgumentParser, args, target_order: list[str],
                 all_workloads: list[str]) -> tuple[list[int], list[int], list[str], list[str]]:
    """--smoke's shared settings, then the shared options parsed and checked -> (connection counts,
    latency rates, workloads, target names)."""
    if args.smoke:
        args.duration = args.moto_duration = "1s"
        args.connections = "1,16"
        args.latency_seconds = args.moto_latency_seconds = 1.0
        args.no_warmup = True
    conns = [int(c) for c in args.connections.split(",") if c]
    rates = [int(r) for r in args.rates.split(",") if r]
    workloads = [w for w in args.workloads.split(",") if w]
    for w in workloads:
        if w not in all_workloads:
            ap.error(f"unknown workload {w}")
    names = [t for t in args.targets.split(",") if t]
    for t in names:
        if t not in target_order:
            ap.error(f"unknown target {t}")
    if not os.access(args.wrk, os.X_OK):
        ap.error(f"wrk not found at {args.wrk}")
    if "wake" in workloads and not os.access(args.wake_bench, os.X_OK):
        ap.error(f"the wake workload needs --wake-bench PATH (build/bench/sqs_wake_bench), not found at {args.wake_bench}")
    ddb.duration_seconds(args.duration)
    ddb.duration_seconds(args.moto_duration)
    return conns, rates, workloads, names


def runnel_target(ap: argparse.ArgumentParser, args, name: str, conns: list[int], versions: dict,
                  **kw) -> SqsTarget:
    """The runnel-strict / runnel-relaxed target (records runnel's version)."""
    if not args.runnel or not os.access(args.runnel, os.X_OK):
        ap.error(f"target {name} needs --runnel PATH (an executable build/runnel)")
    runnel = os.path.abspath(args.runnel)
    versions["runnel"] = ddb.output_of([runnel, "version"]).replace("runnel ", "")
    return SqsTarget(name, ddb.runnel_argv(runnel, name.split("-", 1)[1], args.runnel_arg), args.duration, conns,
                     0, 0, lat_seconds=args.latency_seconds, **kw)


def moto_target(ap: argparse.ArgumentParser, args, conns: list[int], versions: dict, **kw) -> SqsTarget:
    """The moto target (records moto's version)."""
    py = ddb.find_moto(ap, args.moto_python, versions)
    return SqsTarget("moto", ddb.moto_argv(py), args.moto_duration, conns, 0, 0,
                     lat_seconds=args.moto_latency_seconds, **kw)


def warmup_and_runs(args, results: list[Result], conns: list[int], run_conns: list[int], duration: str,
                    check: bool, measure) -> None:
    """measure(conns, duration, check) -> Result: a checked 1 s warm-up (kept only when flagged;
    none with --no-warmup), then a run per connection count."""
    if not args.no_warmup:
        w = measure(min(16, max(conns)), "1s", True)
        if w.flagged:
            w.duration += " (warm-up)"
            results.append(w)
    for c in run_conns:
        results.append(measure(c, duration, check))


def write_json(path: str, doc: dict) -> None:
    def plain(o):
        return {k: plain(v) for k, v in o.items()} if isinstance(o, dict) else (
            [plain(v) for v in o] if isinstance(o, list) else (plain(o.__dict__) if hasattr(o, "__dict__") else o))
    Path(path).write_text(json.dumps(plain(doc), indent=1, default=str))


def finish(args, started: float, report_md: str, doc: dict, results: list[Result], latency: list[dict],
           fatal: list[str], more_runs: str = "", more_flags: list[str] | None = None) -> int:
    """Writes --json (doc), prints and writes the report, logs the summary; 1 when anything failed
    or was flagged. more_runs / more_flags: a workload's own count ("N depth runs (M flagged), ")
    and FLAGGED lines."""
    if args.json:
        write_json(args.json, doc)
    flagged = ddb.flag_lines(results)
    flagged_lat = [f"{x['target']} latency {x['rate']}/s: {'; '.join(x['problems'])}" for x in latency if x["problems"]]
    return ddb.finish(report_md, args.markdown, started,
                      f"{len(results)} wrk runs ({len(flagged)} flagged), {len(latency)} latency runs "
                      f"({len(flagged_lat)} flagged), {more_runs}{len(fatal)} target failures", fatal,
                      flagged + flagged_lat + (more_flags or []))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_options(ap, TARGET_ORDER, DEFAULT_TARGETS, WORKLOADS, "send", "sends",
                       "connection counts (default 1,16,64)", "skip the checked 1 s warm-up per target and workload",
                       "CI mode: seconds-long runs, 1 and 16 connections, small fills, every answer checked")
    ap.add_argument("--sqslite", help="tests/js/node_modules/.bin/sqslite (or the sqslite package directory)")
    # 250,000: runnel's receive+delete reached 14,000 pairs/s at 64 connections (2026-12-02), which
    # empties 100,000 messages in 7 s of a 10 s run.
    ap.add_argument("--depth", type=int, default=250_000,
                    help="receive+delete: messages in the queue at the start of each run (default 250,000)")
    ap.add_argument("--moto-depth", type=int, default=500,
                    help="receive+delete queue depth for moto (default 500: its every send walks the queue)")
    ap.add_argument("--deep-messages", type=int, default=1_000_000, help="depth: messages to fill (1,000,000)")
    ap.add_argument("--depth-targets", default="runnel-strict,runnel-relaxed,sqslite",
                    help="targets of the depth workload (default: all but moto, which fills too slowly)")
    ap.add_argument("--fill-timeout", type=int, default=240, help="seconds a fill may take (default 240)")
    args = ap.parse_args(argv)

    check = args.smoke
    if args.smoke:
        args.depth = min(args.depth, 20_000)
        args.moto_depth = min(args.moto_depth, 200)
        args.deep_messages = min(args.deep_messages, 20_000)
        args.fill_timeout = min(args.fill_timeout, 120)
    conns, rates, workloads, names = common_setup(ap, args, TARGET_ORDER, WORKLOADS)
    depth_targets = [t for t in args.depth_targets.split(",") if t]

    versions = {"wrk": ddb.wrk_version(args.wrk)}
    targets: list[SqsTarget] = []
    for name in names:
        if name.startswith("runnel"):
            targets.append(runnel_target(ap, args, name, conns, versions, depth=args.depth))
        elif name == "sqslite":
            if not args.sqslite or not os.path.exists(args.sqslite):
                ap.error("target sqslite needs --sqslite PATH (tests/js/node_modules/.bin/sqslite)")
            pkg = Path(os.path.realpath(args.sqslite))
            if pkg.is_file():  # .bin/sqslite -> sqslite/bin/cli.js
                pkg = pkg.parent.parent
            node = shutil.which("node")
            if not node:
                ap.error("target sqslite needs node on PATH")
            # The package's documented programmatic start (README) with fastify's per-request logger
            # off; its CLI (bin/cli.js) is the same server with logging on. sqslite's queue URLs only
            # resolve as http://localhost:<port>/queues/<name>, so it listens on and is called as localhost.
            js = ("require(process.argv[1])({logger:false}).listen({host:'localhost',port:+process.argv[2]},"
                  "(e,a)=>{if(e){console.error(e);process.exit(1)}console.log('listening',a)})")
            targets.append(SqsTarget(name, lambda p, d, node=node, pkg=str(pkg): [node, "-e", js, pkg, str(p)],
                                     args.duration, conns, 0, 0, protocol="query", host="localhost",
                                     depth=args.depth, lat_seconds=args.latency_seconds))
            try:
                versions["sqslite"] = json.loads((pkg / "package.json").read_text())["version"]
            except (OSError, ValueError, KeyError):
                pass
            versions["node"] = ddb.output_of([node, "--version"])
        elif name == "moto":
            targets.append(moto_target(ap, args, conns, versions, depth=args.moto_depth, fill_conns=4))

    command = "python3 bench/sqs_bench.py " + " ".join(argv)
    results: list[Result] = []
    latency: list[dict] = []
    wake: list[dict] = []
    depth: list[dict] = []
    notes: list[str] = []
    started = time.monotonic()

    def each(target: SqsTarget, tmp_root: str) -> None:
        check_sample(target)
        client = Client.of(target)
        if "send" in workloads:
            warmup_and_runs(args, results, conns, target.conns, target.duration, check,
                            lambda c, d, chk: measure_send(args, target, client, c, d, chk))
        if "recvdelete" in workloads:
            url = create_queue(client, f"recvdel-{uuid.uuid4().hex[:8]}")
            # full length for moto too: at 64 connections its first deletes take seconds to come back
            warmup_and_runs(args, results, conns, target.conns, args.duration, check,
                            lambda c, d, chk: measure_recv_delete(args, target, client, url, c, d, chk))
        if "latency" in workloads:
            for rate in rates:
                latency.append(measure_latency(args, target, rate, target.lat_seconds))
        if "wake" in workloads and target.name.startswith("runnel"):
            for rate in rates:
                wake.append(measure_wake(args, target, rate, target.lat_seconds))
        client.close()
        if not target.alive():
            raise BenchError(f"{target.name} exited; log tail:\n{target.log_tail()}")
        if "depth" in workloads and target.name in depth_targets:
            target.stop()
            target.start(tmp_root)  # a fresh server: the other workloads' queues do not weigh in
            try:
                depth.append(measure_depth(args, target, target.duration, 64 if not args.smoke else 16))
            except (BenchError, OSError) as e:
                if target.name.startswith("runnel") or target.alive():
                    raise
                # a peer that cannot hold the messages (it died filling) is a result, not a failure
                notes.append(f"{target.name} could not take the depth workload: it exited "
                             f"({e}); log tail: {target.log_tail(5)!r}")
                log(f"{target.name}: depth workload: server exited: {e}")
            if not target.alive() and not target.name.startswith("runnel"):
                return  # noted above
        if not target.alive():
            raise BenchError(f"{target.name} exited; log tail:\n{target.log_tail()}")

    fatal = ddb.run_targets(targets, args.tmp, "runnel-sqs-bench-", each, (BenchError, OSError))

    if "depth" in workloads and "moto" in names and "moto" not in depth_targets:
        rates_seen = [r.extra["fill_rate"] for r in results if r.target == "moto" and r.extra.get("fill_rate")]
        seen = f" (here {max(rates_seen):,.0f} messages/s into a queue of a few hundred)" if rates_seen else ""
        notes.append("moto is left out of the depth workload: its SendMessage and SendMessageBatch compute every "
                     f"queue attribute, walking every message, so it fills ever more slowly{seen}; "
                     "at that growth 1,000,000 messages would take months")
    if "sqslite" in names and "latency" in workloads:
        notes.append("sqslite ignores WaitTimeSeconds (no long polling): its consumer re-polls at once, "
                     "so its latency rows measure a busy-polling consumer")
    report_md = render(args, results, latency, depth, [t.name for t in targets], versions, command, notes, wake)
    flagged_depth = [f"{d['target']} depth: {'; '.join(d['problems'])}" for d in depth if d["problems"]]
    flagged_wake = wake_flags(wake)
    return finish(args, started, report_md, {"command": command, "versions": versions, "results": results,
                                             "latency": latency, "wake": wake, "depth": depth, "notes": notes},
                  results, latency, fatal, f"{len(wake)} wake runs ({len(flagged_wake)} flagged), "
                  f"{len(depth)} depth runs ({len(flagged_depth)} flagged), ", flagged_wake + flagged_depth)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
