#!/usr/bin/env python3
"""Lambda benchmark: runnel (strict durability) running a compiled custom runtime.

The function is bench/lambda_echo_runtime.cc, zipped as the deployment package's `bootstrap`
(Runtime provided.al2023): it answers every invocation with its payload, unchanged, and with
OUT_FILE set (Environment.Variables) appends "<id> <CLOCK_REALTIME ns>" for every invocation it
receives, <id> being an SNS event's MessageId or else the request id. runnel serves with
--lambda-max-sandboxes 16. Workloads:

  cold        the first Invoke after CreateFunction, and after UpdateFunctionCode (new code: a new
              sandbox starts), --cold-samples each (5); also the second Invoke (the sandbox warm)
              and the CreateFunction / UpdateFunctionCode calls themselves
  warm        --warm-calls (2,000) sequential RequestResponse Invokes of a 100-byte JSON payload on
              one keep-alive connection (Python http.client); every answer must be the payload
  throughput  wrk (bench/wrk/lambda_invoke.lua) Invoking the same payload at 1, 4 and 16
              connections, 10 s each (a checked 1 s warm-up at 16 first starts the sandboxes)
  event       Invoke with X-Amz-Invocation-Type Event (202) at a steady rate (500/s for 5 s) from
              --producers processes (4) on one schedule (sqs_bench's latency producers); per
              invocation: the runtime received it − the 202 was read (the 202's x-amzn-RequestId is
              the request id the runtime is handed)
  sns         Publish to a topic with one lambda subscription at 200/s and 1,000/s, 5 s each, the
              same producers; per message: the runtime received the event − Publish acknowledged
              (matched by MessageId)
  stream-throughput
              wrk PutItem (bench/wrk/put.lua) at 64 connections for --duration into a table with a
              stream: with no mapping, with one (BatchSize 100) and with ten (ten functions on the
              one stream; --stream-mappings); the PutItem rate of each run, and the records per
              second the functions got (every acknowledged write's record must arrive). Each run
              has a server of its own on a fresh data directory; --stream-rounds repeats them in
              alternating order and the summary compares the medians
  stream      PutItem into a table whose stream has an event source mapping to the function
              (StartingPosition LATEST, --stream-batch-size 100) at 1/s, 100/s and 1,000/s
              (--stream-rates), 5 s each, the same producers; per item: the runtime received the
              batch holding its stream record − PutItem acknowledged (matched by the item's `mid`)
  sqs-throughput
              wrk SendMessageBatch (bench/wrk/sqs_send_batch.lua, 10 a request) at 16 connections for
              --duration into a standard queue with one event source mapping, BatchSize 10, then
              BatchSize 100 with a 1 s window; the messages per second the function got (every
              acknowledged message must arrive)
  sqs         SendMessage into a standard queue with an event source mapping (BatchSize 10) to the
              function at 1/s, 100/s and 1,000/s (--sqs-rates), 5 s each, the same producers; per
              message: the runtime received the batch holding it − SendMessage acknowledged
              (matched by MessageId)

Times on both sides of the event and sns latencies are CLOCK_REALTIME on one machine: the client
stamps time.time_ns() the moment the answer has been read, the runtime clock_gettime(CLOCK_REALTIME)
the moment its `next` answer has been read. A negative difference means the function had the
invocation before the client had read its acknowledgement (runnel starts it at commit, before the
answer is written). 4 concurrent RequestResponse invokes start the event and sns functions' first
sandboxes before their runs (more start when the load needs them); the first 20 requests of a run
are a warm-up.

No peer column: moto and LocalStack run a function's code only inside Docker containers (moto's
Docker-less Lambda runs no code at all and answers a canned payload; LocalStack has had no
local executor since v2), and this machine has no Docker — nor do the machines runnel is for: it
exists so that tests need no Docker. A side-by-side with them is therefore not possible here, and
this report has runnel's numbers alone.

A run fails (exit status 1) when an answer is wrong (a status other than 200 / 202, a body that is
not the payload, an X-Amz-Function-Error), on wrk socket errors, timeouts or non-2xx answers (every
wrk answer is checked in --smoke and in the warm-up), and when an acknowledged Event invoke or
Publish does not reach the runtime exactly once, an invocation the runtime got belongs to none of
them, or runnel still holds asynchronous invocations afterwards (/_runnel/health lambda.async_pending).
Speed never fails a run.

  python3 bench/lambda_bench.py --runnel build/runnel --runtime build/bench/lambda_echo_runtime \\
      --markdown /tmp/lambda-bench.md
  python3 bench/lambda_bench.py --smoke --runnel ... --runtime ...   # seconds-long runs

stdlib only; imports bench/sqs_bench.py and bench/sns_bench.py (and through them bench/ddb_bench.py)
for the server, wrk, the SNS client, the schedule's producers and report plumbing.
"""
from __future__ import annotations

import argparse
import base64
import concurrent.futures
import gc
import http.client
import io
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
import zipfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ddb_bench as ddb  # noqa: E402
import sns_bench as snsb  # noqa: E402
import sqs_bench as sqs  # noqa: E402

# bench/wrk/lambda_invoke.lua's payload: 100 bytes of JSON around common.lua's.
PAYLOAD = '{"p":"' + ddb.PAYLOAD[:92] + '"}'
AUTH_DYNAMODB = ("AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/dynamodb/aws4_request, "
                 "SignedHeaders=host;x-amz-date, " + sqs.SIG)
AUTH_LAMBDA = ("AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/lambda/aws4_request, "
               "SignedHeaders=host;x-amz-date, " + sqs.SIG)
ROLE = "arn:aws:iam::000000000000:role/lambda-role"
TARGET = "runnel-strict"
WORKLOADS = ["cold", "warm", "throughput", "event", "sns", "stream", "stream-throughput", "sqs", "sqs-throughput"]
INVOKE = "Invoke"
WARM_UP = 20  # requests at the start of an event / sns run left out of the percentiles
PREWARM = 4   # sandboxes started before an event / sns run
# op -> (method, path ({} = FunctionName), the status a success answers)
ROUTES = {"CreateFunction": ("POST", "/2015-03-31/functions", 201),
          "UpdateFunctionCode": ("PUT", "/2015-03-31/functions/{}/code", 200),
          INVOKE: ("POST", "/2015-03-31/functions/{}/invocations", 200),
          "CreateEventSourceMapping": ("POST", "/2015-03-31/event-source-mappings/", 202)}

BenchError = sqs.BenchError
log = ddb.log
pct, fmt_us = sqs.pct, sqs.fmt_us


# ----------------------------------------------------------------------------------------------
# Clients


class LambdaClient:
    """One keep-alive connection to runnel's Lambda REST API. call(op, params) has sqs_bench.Client's
    shape (the schedule's producers use it): FunctionName goes into the path, Invoke's Payload is
    the body as it is (InvocationType its header), other ops send params as JSON. An answer with
    another status than the op's (Invoke Event: 202) raises BenchError; the dict returned has the
    answer's JSON members (Invoke: Payload, the body), RequestId (x-amzn-RequestId), FunctionError
    and __wall_ns, time.time_ns() when the answer had been read (done_ns: perf_counter_ns())."""

    def __init__(self, host: str, port: int, timeout: float = 60.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.done_ns = 0
        self.wall_ns = 0

    @classmethod
    def of(cls, target: sqs.SqsTarget, timeout: float = 60.0) -> "LambdaClient":
        return cls(target.host, target.port, timeout)

    def close(self) -> None:
        if self.conn:
            self.conn.close()
            self.conn = None

    def call(self, op: str, params: dict) -> dict:
        method, path, want = ROUTES[op]
        params = dict(params)
        if "{}" in path:
            path = path.format(urllib.parse.quote(params.pop("FunctionName"), safe=""))
        headers = {"Host": f"{self.host}:{self.port}", "Content-Type": "application/json",
                   "X-Amz-Date": "20261125T000000Z", "Authorization": AUTH_LAMBDA}
        if op == INVOKE:
            body = params["Payload"].encode()
            headers["X-Amz-Invocation-Type"] = params.get("InvocationType", "RequestResponse")
            want = 202 if headers["X-Amz-Invocation-Type"] == "Event" else want
        else:
            body = json.dumps(params, separators=(",", ":")).encode()
        if self.conn is None:  # runnel keeps idle connections open: no retry needed
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        self.done_ns = time.perf_counter_ns()
        self.wall_ns = time.time_ns()
        if resp.will_close:
            self.close()
        text = data.decode("utf-8", "replace")
        if resp.status != want:
            raise BenchError(f"{op} {path} answered {resp.status} (expected {want}): {text[:400]}")
        out = {"Payload": text} if op == INVOKE else (json.loads(text) if text else {})
        out.update(RequestId=resp.getheader("x-amzn-RequestId", ""),
                   FunctionError=resp.getheader("X-Amz-Function-Error", ""), __wall_ns=self.wall_ns)
        return out


class WallSnsClient(snsb.SnsClient):
    """sns_bench.SnsClient whose answers also carry __wall_ns: time.time_ns() at the moment the
    answer had been read (sqs_bench.Client stamps done_ns then, with perf_counter_ns())."""

    def parse(self, op: str, status: int, text: str) -> dict:
        wall = time.time_ns() - (time.perf_counter_ns() - self.done_ns)
        parsed = super().parse(op, status, text)
        parsed["__wall_ns"] = wall
        return parsed


# ----------------------------------------------------------------------------------------------
# Functions


def deployment_zip(runtime: bytes, nonce: str) -> str:
    """base64 of the deployment package: the runtime as `bootstrap`, mode 0755 kept (made on Unix:
    create_system 3), and a file `nonce` holding nonce, so that every package is new code."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, mode in (("bootstrap", runtime, 0o755), ("nonce", nonce.encode(), 0o644)):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.create_system, info.external_attr = 3, (0o100000 | mode) << 16
            z.writestr(info, data, zipfile.ZIP_DEFLATED)
    return base64.b64encode(buf.getvalue()).decode()


def create_function(client: LambdaClient, runtime: bytes, name: str, env: dict | None = None) -> str:
    """CreateFunction of the echo runtime -> the function's ARN."""
    resp = client.call("CreateFunction", {
        "FunctionName": name, "Runtime": "provided.al2023", "Role": ROLE, "Handler": "echo", "Timeout": 30,
        "Code": {"ZipFile": deployment_zip(runtime, name)}, "Environment": {"Variables": env or {}}})
    if not resp.get("FunctionArn", "").endswith(":function:" + name):
        raise BenchError(f"CreateFunction {name} answered {resp}")
    return resp["FunctionArn"]


def timed_invoke(client: LambdaClient, name: str, payload: str = PAYLOAD, expect: str | None = None) -> tuple[float, str]:
    """One RequestResponse Invoke -> (µs from the request to its answer read, what is wrong or ''):
    the answer must be `expect` (default: the payload, echoed)."""
    start = time.perf_counter_ns()
    resp = client.call(INVOKE, {"FunctionName": name, "Payload": payload})
    took = (client.done_ns - start) / 1000
    if resp["FunctionError"] or resp["Payload"] != (payload if expect is None else expect):
        return took, f"Invoke {name} answered {resp['FunctionError'] or 'no error'}: {resp['Payload'][:200]!r}"
    return took, ""


def prewarm(target: sqs.SqsTarget, name: str, sandboxes: int, expect: str | None = None) -> None:
    """`sandboxes` concurrent RequestResponse Invokes (each finding no free sandbox starts one)."""
    def one(_k: int) -> str:
        client = LambdaClient.of(target)
        try:
            return timed_invoke(client, name, expect=expect)[1]
        finally:
            client.close()
    with concurrent.futures.ThreadPoolExecutor(sandboxes) as pool:
        wrong = [p for p in pool.map(one, range(sandboxes)) if p]
    if wrong:
        raise BenchError(f"pre-warm: {wrong[0]}")


def sandbox_pids(target: sqs.SqsTarget, name: str) -> list[int]:
    """The processes runnel runs now for function `name` (its children with that
    AWS_LAMBDA_FUNCTION_NAME)."""
    pids = []
    mark = f"\0AWS_LAMBDA_FUNCTION_NAME={name}\0".encode()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) != target.proc.pid:
                    continue
            if mark in b"\0" + Path(f"/proc/{d}/environ").read_bytes():
                pids.append(int(d))
        except (OSError, ValueError, IndexError):
            pass
    return pids


def sandboxes_cpu(target: sqs.SqsTarget, name: str) -> dict[int, float]:
    return {p: ddb.proc_cpu_seconds(p) or 0.0 for p in sandbox_pids(target, name)}


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50": pct(values, 50), "p90": pct(values, 90), "p99": pct(values, 99),
            "max": max(values, default=0.0), "mean": statistics.fmean(values) if values else 0.0,
            "samples": values if len(values) <= 10 else []}


# ----------------------------------------------------------------------------------------------
# cold and warm


def measure_cold(args, client: LambdaClient, runtime: bytes) -> dict:
    """First Invoke after CreateFunction (samples functions) and after UpdateFunctionCode (samples
    updates of one function), each a sandbox started for it; and the second Invoke after each create."""
    rows: dict[str, list[float]] = {"create_call": [], "create": [], "second": [], "update_call": [], "update": []}
    problems: list[str] = []
    tag = uuid.uuid4().hex[:6]

    def first(key: str, name: str) -> None:
        took, wrong = timed_invoke(client, name)
        rows[key].append(took)
        if wrong:
            problems.append(wrong)

    for k in range(args.cold_samples):
        name = f"cold-{tag}-{k}"
        t = time.perf_counter_ns()
        create_function(client, runtime, name)
        rows["create_call"].append((client.done_ns - t) / 1000)
        first("create", name)
        first("second", name)
    name = f"cold-{tag}-update"
    create_function(client, runtime, name)
    problems += [p for p in [timed_invoke(client, name)[1]] if p]  # its first sandbox
    for k in range(args.cold_samples):
        t = time.perf_counter_ns()
        client.call("UpdateFunctionCode", {"FunctionName": name, "ZipFile": deployment_zip(runtime, f"{name}-{k}")})
        rows["update_call"].append((client.done_ns - t) / 1000)
        first("update", name)
    out = {key: summary(v) for key, v in rows.items()}
    out.update(problems=problems, zip_bytes=len(base64.b64decode(deployment_zip(runtime, name))))
    log(f"{TARGET} cold: first Invoke after CreateFunction p50 {out['create']['p50']:.0f} max "
        f"{out['create']['max']:.0f} us, after UpdateFunctionCode p50 {out['update']['p50']:.0f} max "
        f"{out['update']['max']:.0f} us, second Invoke p50 {out['second']['p50']:.0f} us"
        + (f"  ** {'; '.join(problems[:3])}" if problems else ""))
    return out


def measure_warm(args, client: LambdaClient, runtime: bytes) -> dict:
    """args.warm_calls sequential Invokes on one connection, the sandbox started before."""
    name = f"warm-{uuid.uuid4().hex[:6]}"
    create_function(client, runtime, name)
    problems = [p for p in [timed_invoke(client, name)[1]] if p]  # its sandbox starts
    times: list[float] = []
    wrong: list[str] = []
    gc.disable()
    try:
        for _ in range(args.warm_calls):
            took, problem = timed_invoke(client, name)
            times.append(took)
            if problem:
                wrong.append(problem)
    finally:
        gc.enable()
    if wrong:
        problems.append(f"{len(wrong)} of {args.warm_calls} answers were not the payload (first: {wrong[0]})")
    out = summary(times)
    out.update(calls=args.warm_calls, problems=problems)
    log(f"{TARGET} warm: {args.warm_calls} sequential Invokes p50 {out['p50']:.0f} p90 {out['p90']:.0f} "
        f"p99 {out['p99']:.0f} max {out['max']:.0f} us" + (f"  ** {'; '.join(problems)}" if problems else ""))
    return out


# ----------------------------------------------------------------------------------------------
# throughput (wrk)


def measure_throughput(args, target: sqs.SqsTarget, name: str, conns: int, duration: str, check: bool) -> sqs.Result:
    cpu0 = sandboxes_cpu(target, name)
    stats, cmd, wall, scpu, wcpu = sqs.run_wrk(args, target, "lambda_invoke.lua", conns, duration, name, check)
    cpu1 = sandboxes_cpu(target, name)
    res = sqs.to_result(target, INVOKE, conns, duration, check, stats, scpu, wcpu)
    res.extra.update(command=cmd, sandboxes=len(cpu1),
                     runtime_cpu=sum(c - cpu0.get(p, 0.0) for p, c in cpu1.items()) / wall)
    if res.server_cpu is not None and res.rps:
        res.extra["cpu_us_per_invoke"] = res.server_cpu * 1e6 / res.rps
    return sqs.report(res, f"Invoke ({len(cpu1)} sandboxes)")


# ----------------------------------------------------------------------------------------------
# event and sns: acknowledged -> the runtime received it


class Flow:
    """What sqs_bench._producer sends on its schedule: request i is op(params(i)) on a
    client_fn() connection; its answer's `key` member (the 202's RequestId, or Publish's MessageId)
    is what the runtime writes to OUT_FILE for it."""

    def __init__(self, op: str, noun: str, client_fn, params_fn, key: str):
        self.op, self.noun, self.client_fn, self.params_fn, self.key = op, noun, client_fn, params_fn, key

    def producer_client(self):
        return self.client_fn()

    def params(self, i: int) -> dict:
        return self.params_fn(i)

    def answered(self, i: int, params: dict, resp: dict) -> tuple[tuple, str]:
        key = resp.get(self.key, "")
        return (key, resp.get("__wall_ns", 0)), "" if key else f"{self.op} {i}: no {self.key} in {resp}"


def event_payload(i: int) -> str:
    """The event workload's payload i: 100 bytes of JSON."""
    head = f'{{"i":{i},"p":"'
    return head + "x" * (98 - len(head)) + '"}'


def read_arrivals(path: str) -> dict[str, list[int]]:
    """OUT_FILE's complete lines: id -> the runtime's receive stamps (ns)."""
    data = Path(path).read_bytes()
    seen: dict[str, list[int]] = {}
    for line in data[:data.rfind(b"\n") + 1].splitlines():
        parts = line.split()
        if len(parts) == 2:
            seen.setdefault(parts[0].decode(), []).append(int(parts[1]))
    return seen


def async_pending(target: sqs.SqsTarget) -> int | None:
    h = target.health()
    return (h or {}).get("lambda", {}).get("async_pending")


def measure_arrivals(args, target: sqs.SqsTarget, workload: str, name: str, flow: Flow, out_file: str, rate: int,
                     seconds: float, warm_up: int = WARM_UP) -> dict:
    """args.producers processes send on the schedule t0 + i / rate (sqs_bench._producer); then every
    acknowledged key must reach the runtime (OUT_FILE) exactly once, and nothing else may."""
    Path(out_file).write_bytes(b"")  # the sandboxes append (O_APPEND): they write from 0 again
    total = warm_up + max(1, int(rate * seconds))
    limit = 2 * seconds + 5
    ctx = multiprocessing.get_context("fork")
    pipes = [ctx.Pipe(duplex=False) for _ in range(args.producers)]
    t0 = time.perf_counter() + 0.2
    procs = [ctx.Process(target=sqs._producer, args=(k, args.producers, flow, rate, total, t0, limit, w), daemon=True)
             for k, (_r, w) in enumerate(pipes)]
    for p in procs:
        p.start()
    got = []
    for (r, w), p in zip(pipes, procs):
        w.close()
        got.append(r.recv() if r.poll(limit + 60) else {"times": {}, "error": "producer sent no result"})
        p.join(10)
    problems = [f"producer: {g['error']}" for g in got if g["error"]]
    times = {i: t for g in got for i, t in g["times"].items()}  # i -> (start, done, key, ack wall ns)
    keys = {t[2]: i for i, t in times.items()}
    deadline = time.monotonic() + 30 + seconds
    seen = read_arrivals(out_file)
    while time.monotonic() < deadline and not all(k in seen for k in keys):
        time.sleep(0.05)
        seen = read_arrivals(out_file)
    while time.monotonic() < deadline and async_pending(target):
        time.sleep(0.05)
    pending = async_pending(target)
    time.sleep(0.3)  # a second delivery would land now
    seen = read_arrivals(out_file)
    missing = [k for k in keys if k not in seen]
    if missing:
        problems.append(f"{len(missing)} of {len(keys)} acknowledged {flow.noun} never reached the runtime "
                        f"(first: {flow.key} {missing[0]}, request {keys[missing[0]]})")
    twice = [k for k, v in seen.items() if len(v) > 1]
    if twice:
        problems.append(f"{len(twice)} invocations reached the runtime more than once (first: {twice[0]})")
    strangers = [k for k in seen if k not in keys]
    if strangers and not problems:
        problems.append(f"the runtime got {len(strangers)} invocations none of the acknowledged {flow.noun} names "
                        f"(first: {strangers[0]})")
    if pending:
        problems.append(f"runnel still holds {pending} asynchronous invocations (lambda.async_pending)")
    ids = [i for i in sorted(times) if i >= warm_up and times[i][2] in seen]
    ack = [(seen[times[i][2]][0] - times[i][3]) / 1000 for i in ids]
    # the request's start on the wall clock: its acknowledgement less the call's own duration
    start = [(seen[times[i][2]][0] - times[i][3] + times[i][1] - times[i][0]) / 1000 for i in ids]
    starts = [times[i][0] for i in sorted(times) if i >= warm_up]
    span = (max(starts) - min(starts)) / 1e9 if len(starts) > 1 else 0
    out = {"workload": workload, "target": target.name, "rate": rate, "seconds": seconds, "acked": len(keys),
           "invocations": len(ids), "achieved_rate": (len(starts) - 1) / span if span > 0 else 0.0,
           "ack_to_run_us": summary(ack), "start_to_run_us": summary(start),
           "call_us": summary([(times[i][1] - times[i][0]) / 1000 for i in ids]),
           "runtime_first": sum(1 for a in ack if a < 0), "sandboxes": len(sandbox_pids(target, name)),
           "producers": args.producers, "problems": problems}
    a = out["ack_to_run_us"]
    log(f"{target.name} {workload} @{rate}/s (achieved {out['achieved_rate']:,.0f}/s, {len(keys)} acknowledged, "
        f"{out['sandboxes']} sandboxes): ack->runtime p50 {a['p50']:.0f} p99 {a['p99']:.0f} max {a['max']:.0f} us; "
        f"{flow.op} p50 {out['call_us']['p50']:.0f} us" + (f"  ** {'; '.join(problems)}" if problems else ""))
    return out


def async_function(target: sqs.SqsTarget, client: LambdaClient, runtime: bytes, tag: str,
                   env: dict | None = None) -> tuple[str, str, str]:
    """A function recording into its own OUT_FILE, its first sandboxes started -> (name, ARN, OUT_FILE)."""
    name = f"{tag}-{uuid.uuid4().hex[:6]}"
    # Functions run under their own uid (runnel as root): their OUT_FILE lives in a directory every
    # uid may enter and write, outside /tmp (a sandbox's /tmp is its own).
    out_dir = tempfile.mkdtemp(prefix="runnel-lambda-bench-out-", dir="/var/tmp" if os.path.isdir("/var/tmp") else None)
    os.chmod(out_dir, 0o777)
    out_file = os.path.join(out_dir, f"{name}.arrivals")
    arn = create_function(client, runtime, name, {"OUT_FILE": out_file, **(env or {})})
    prewarm(target, name, PREWARM, (env or {}).get("REPLY"))
    return name, arn, out_file


def measure_event(args, target: sqs.SqsTarget, client: LambdaClient, runtime: bytes) -> dict:
    name, _arn, out_file = async_function(target, client, runtime, "event")
    flow = Flow(INVOKE, "Event invokes", lambda: LambdaClient(target.host, target.port, timeout=40),
                lambda i: {"FunctionName": name, "InvocationType": "Event", "Payload": event_payload(i)}, "RequestId")
    return measure_arrivals(args, target, "event", name, flow, out_file, args.event_rate, args.event_seconds)


def measure_sns(args, target: sqs.SqsTarget, client: LambdaClient, runtime: bytes, rate: int) -> dict:
    name, arn, out_file = async_function(target, client, runtime, f"sns-{rate}")
    sns = snsb.SnsClient.of(target)
    topic = sns.call("CreateTopic", {"Name": name}).get("TopicArn", "")
    sub = sns.call("Subscribe", {"TopicArn": topic, "Protocol": "lambda", "Endpoint": arn}).get("SubscriptionArn", "")
    sns.close()
    if not topic or not sub.startswith(topic + ":"):
        raise BenchError(f"topic {topic!r}: Subscribe {arn} returned SubscriptionArn {sub!r} (pending?)")
    flow = Flow("Publish", "publishes", lambda: WallSnsClient(target.host, target.port, timeout=40),
                lambda i: {"TopicArn": topic, "Message": sqs.lat_text(i)}, "MessageId")
    return measure_arrivals(args, target, "sns", name, flow, out_file, rate, args.sns_seconds)


class DynamoClient(sqs.Client):
    """sqs_bench.Client speaking DynamoDB's JSON 1.0, its answers stamped with __wall_ns."""

    def encode(self, op: str, params: dict) -> tuple[bytes, dict]:
        body = json.dumps(params, separators=(",", ":")).encode()
        return body, {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{op}",
                      "X-Amz-Date": "20261125T000000Z", "Authorization": AUTH_DYNAMODB}

    def parse(self, op: str, status: int, text: str) -> dict:
        wall = time.time_ns() - (time.perf_counter_ns() - self.done_ns)
        parsed = json.loads(text) if status == 200 and text else {}
        parsed["__wall_ns"] = wall
        return parsed


class StreamFlow(Flow):
    """PutItem i writes {pk: "k<i>", mid: <a fresh UUID>}: the runtime names the record by mid."""

    def params(self, i: int) -> dict:
        return {"TableName": self.table, "Item": {"pk": {"S": f"k{i}"}, "mid": {"S": str(uuid.uuid4())}}}

    def answered(self, i: int, params: dict, resp: dict) -> tuple[tuple, str]:
        return (params["Item"]["mid"]["S"], resp.get("__wall_ns", 0)), ""


def measure_stream(args, target: sqs.SqsTarget, client: LambdaClient, runtime: bytes, rate: int) -> dict:
    name, arn, out_file = async_function(target, client, runtime, f"stream-{rate}", {"REPLY": "{}"})
    ddbc = DynamoClient(target.host, target.port, "json")
    d = ddbc.call("CreateTable", {"TableName": name, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                                  "BillingMode": "PAY_PER_REQUEST",
                                  "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}})
    ddbc.close()
    stream = d.get("TableDescription", {}).get("LatestStreamArn", "")
    mapping = client.call("CreateEventSourceMapping", {"EventSourceArn": stream, "FunctionName": name,
                                                       "StartingPosition": "LATEST", "BatchSize": args.stream_batch_size})
    if not mapping.get("UUID"):
        raise BenchError(f"CreateEventSourceMapping on {stream!r} returned {mapping}")
    flow = StreamFlow("PutItem", "writes", lambda: DynamoClient(target.host, target.port, "json", timeout=40), None, "")
    flow.table = name
    # A slow rate gets at least 20 measured writes and a short warm-up.
    seconds = max(args.stream_seconds, 20.0 / rate)
    return measure_arrivals(args, target, "stream", name, flow, out_file, rate, seconds, min(WARM_UP, max(2, rate)))


class WallSqsClient(sqs.Client):
    """sqs_bench.Client (JSON protocol) whose answers also carry __wall_ns, as WallSnsClient's."""

    def parse(self, op: str, status: int, text: str) -> dict:
        wall = time.time_ns() - (time.perf_counter_ns() - self.done_ns)
        parsed = super().parse(op, status, text)
        parsed["__wall_ns"] = wall
        return parsed


def queue_mapping(target: sqs.SqsTarget, client: LambdaClient, name: str, batch_size: int, window: int = 0) -> str:
    """A standard queue named `name` with an event source mapping to the function `name` -> its URL."""
    qc = sqs.Client(target.host, target.port, "json")
    url = qc.call("CreateQueue", {"QueueName": name}).get("QueueUrl", "")
    arn = qc.call("GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]}).get("Attributes", {}).get("QueueArn", "")
    qc.close()
    params = {"EventSourceArn": arn, "FunctionName": name, "BatchSize": batch_size}
    if window:
        params["MaximumBatchingWindowInSeconds"] = window
    mapping = client.call("CreateEventSourceMapping", params)
    if not url or not mapping.get("UUID"):
        raise BenchError(f"queue {name!r} ({url!r}): CreateEventSourceMapping returned {mapping}")
    return url


def measure_sqs(args, target: sqs.SqsTarget, client: LambdaClient, runtime: bytes, rate: int) -> dict:
    """SendMessage acknowledged -> the function holds the message, through a mapping (BatchSize 10)."""
    name, _arn, out_file = async_function(target, client, runtime, f"sqs-{rate}", {"REPLY": "{}"})
    url = queue_mapping(target, client, name, 10)
    flow = Flow("SendMessage", "sends", lambda: WallSqsClient(target.host, target.port, "json", timeout=40),
                lambda i: {"QueueUrl": url, "MessageBody": sqs.lat_text(i)}, "MessageId")
    seconds = max(args.stream_seconds, 20.0 / rate)
    return measure_arrivals(args, target, "sqs", name, flow, out_file, rate, seconds, min(WARM_UP, max(2, rate)))


def arrival_rate(out_file: str, expected: int, timeout: float = 60.0) -> tuple[int, float]:
    """Waits (bounded) until OUT_FILE names `expected` ids -> (how many never came, the ids per
    second over the span from the first arrival to the last)."""
    deadline = time.monotonic() + timeout
    seen = read_arrivals(out_file)
    while len(seen) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = read_arrivals(out_file)
    stamps = sorted(v[0] for v in seen.values())
    rate = len(stamps) / ((stamps[-1] - stamps[0]) / 1e9) if len(stamps) > 1 else 0.0
    return max(0, expected - len(seen)), rate


def measure_sqs_throughput(args, target: sqs.SqsTarget, client: LambdaClient, runtime: bytes) -> list[dict]:
    """wrk SendMessageBatch (10 a request) at 16 connections into a queue with one mapping
    (BatchSize 10, and 100 with a 1 s window): messages/s through the function."""
    out = []
    for batch_size, window in ((10, 0), (100, 1)):
        name, _arn, out_file = async_function(target, client, runtime, f"sqst{batch_size}", {"REPLY": "{}"})
        Path(out_file).write_bytes(b"")
        url = queue_mapping(target, client, name, batch_size, window)
        stats, _cmd, wall, scpu, _wcpu = sqs.run_wrk(args, target, "sqs_send_batch.lua", 16, args.duration, url, False)
        sent = int(stats.get("entries_acked", 0))
        missing, rate = arrival_rate(out_file, sent)
        problems = [f"{missing} of {sent} acknowledged messages never reached the function"] if missing else []
        x = {"batch_size": batch_size, "window": window, "sent": sent, "send_rps": sent / max(wall, 1e-9),
             "server_cpu": scpu, "messages_per_s": rate, "problems": problems}
        log(f"sqs-throughput BatchSize {batch_size}: sent {x['send_rps']:,.0f} messages/s; through the function "
            f"{rate:,.0f}/s" + (f"  ** {problems}" if problems else ""))
        out.append(x)
    return out


def stream_throughput_run(args, target: sqs.SqsTarget, runtime: bytes, mappings: int) -> dict:
    """One wrk PutItem run (64 connections) into a new table whose stream has `mappings` mappings."""
    client = LambdaClient.of(target)
    table = f"tput-{mappings}-{uuid.uuid4().hex[:6]}"
    ddbc = DynamoClient(target.host, target.port, "json")
    d = ddbc.call("CreateTable", {"TableName": table, "BillingMode": "PAY_PER_REQUEST",
                                  "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                                           {"AttributeName": "sk", "AttributeType": "S"}],
                                  "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}})
    ddbc.close()
    stream = d["TableDescription"]["LatestStreamArn"]
    files = []
    for k in range(mappings):
        name, _arn, out_file = async_function(target, client, runtime, f"tput{k}", {"REPLY": "{}"})
        Path(out_file).write_bytes(b"")
        client.call("CreateEventSourceMapping", {"EventSourceArn": stream, "FunctionName": name,
                                                 "StartingPosition": "LATEST", "BatchSize": 100})
        files.append(out_file)
    client.close()
    stats, _cmd, _wall, scpu, _wcpu = ddb.run_wrk(args.wrk, target, "PutItem", 64, args.duration, table,
                                                   uuid.uuid4().hex[:6], False)
    writes = int(stats["requests"])
    rps = writes / ((int(stats.get("duration_us", "0")) or 1) / 1e6)
    problems, rates = [], []
    for f in files:
        missing, rate = arrival_rate(f, writes)
        if missing:
            problems.append(f"{missing} of {writes} acknowledged writes never reached {f}")
        rates.append(rate)
    return {"mappings": mappings, "writes": writes, "put_rps": rps, "server_cpu": scpu,
            "records_per_s_each": min(rates) if rates else 0.0, "records_per_s_total": sum(rates), "problems": problems}


def measure_stream_throughput(args, target: sqs.SqsTarget, tmp_root: str, runtime: bytes) -> list[dict]:
    """PutItem at 64 connections with 0, 1 and 10 mappings (--stream-mappings) on the table's stream,
    --stream-rounds times. Every run has a server of its own on a fresh data directory: a run on the
    store the previous run filled is slower by itself (compaction of what that run wrote; 5-10 % on
    this machine), which would be charged to whichever mapping count runs second. Rounds alternate
    the order for the same reason, and the summary compares medians."""
    counts = [int(c) for c in args.stream_mappings.split(",") if c]
    out = []
    for r in range(args.stream_rounds):
        for mappings in (counts if r % 2 == 0 else list(reversed(counts))):
            if out:  # the first run has the server `each` started
                workdir = target.workdir
                target.stop()
                shutil.rmtree(workdir, ignore_errors=True)
                target.start(tmp_root)
            x = stream_throughput_run(args, target, runtime, mappings)
            x["round"] = r + 1
            log(f"stream-throughput round {r + 1}, {mappings} mappings: PutItem {x['put_rps']:,.0f}/s; records/s per "
                f"mapping (slowest) {x['records_per_s_each']:,.0f}, all {x['records_per_s_total']:,.0f}"
                + (f"  ** {x['problems']}" if x["problems"] else ""))
            out.append(x)
    return out


def stream_throughput_summary(runs: list[dict]) -> list[dict]:
    """Per mapping count: the median PutItem/s over the rounds and its change against no mapping."""
    by_count: dict[int, list[dict]] = {}
    for x in runs:
        by_count.setdefault(x["mappings"], []).append(x)
    base = statistics.median(x["put_rps"] for x in by_count[0]) if 0 in by_count else None
    rows = []
    for count, xs in sorted(by_count.items()):
        median = statistics.median(x["put_rps"] for x in xs)
        rows.append({"mappings": count, "runs": len(xs), "put_rps_median": median,
                     "put_rps": [x["put_rps"] for x in xs],
                     "vs_none": (median / base - 1) if base else None,
                     "records_per_s_each_median": statistics.median(x["records_per_s_each"] for x in xs)})
    return rows


# ----------------------------------------------------------------------------------------------
# Report


def ms(us: float) -> str:
    return f"{us / 1000:.2f}"


def render(args, command: str, versions: dict, cold: dict | None, warm: dict | None, results: list[sqs.Result],
           arrivals: list[dict], stream_tput: list[dict] | None = None, sqs_tput: list[dict] | None = None) -> str:
    out = ddb.report_head(command, versions)
    out += ["runnel only: moto and LocalStack run Lambda functions only inside Docker containers, which this machine "
            "(like the machines runnel is meant for) does not have, so there is no peer column. The function is "
            f"bench/lambda_echo_runtime.cc (a compiled custom runtime that echoes the payload); runnel serves with "
            f"--durability strict --lambda-max-sandboxes {args.max_sandboxes}.", ""]
    if cold:
        out += [f"Cold start: {args.cold_samples} samples each, ms from the request to its answer read (one keep-alive "
                f"connection; deployment zip of {cold['zip_bytes']:,} bytes):", "",
                "| call | samples | p50 | max | each |", "|---|---:|---:|---:|---|"]
        for key, label in (("create", "first Invoke after CreateFunction (a sandbox starts)"),
                           ("update", "first Invoke after UpdateFunctionCode (a sandbox of the new code starts)"),
                           ("second", "the Invoke after that (its sandbox warm)"),
                           ("create_call", "CreateFunction itself (zip unpacked and stored)"),
                           ("update_call", "UpdateFunctionCode itself")):
            s = cold[key]
            out.append(f"| {label} | {s['n']} | {ms(s['p50'])} | {ms(s['max'])} "
                       f"| {', '.join(ms(v) for v in s['samples'])} |")
        out += [f"- **{p}**" for p in cold["problems"]] + [""]
    if warm:
        out += [f"Warm: {warm['calls']:,} sequential RequestResponse Invokes of a {len(PAYLOAD)}-byte payload on one "
                "keep-alive connection (Python http.client), every answer checked; ms:", "",
                "| calls | p50 | p90 | p99 | max | mean | calls/s (one at a time) |", "|---:|---:|---:|---:|---:|---:|---:|",
                f"| {warm['calls']:,} | {ms(warm['p50'])} | {ms(warm['p90'])} | {ms(warm['p99'])} | {ms(warm['max'])} "
                f"| {ms(warm['mean'])} | {1e6 / warm['mean'] if warm['mean'] else 0:,.0f} |"]
        out += [f"- **{p}**" for p in warm["problems"]] + [""]
    if results:
        out += ["Throughput: wrk (bench/wrk/lambda_invoke.lua) Invoking the same payload, RequestResponse; CPU in "
                f"cores of {os.cpu_count()} (runnel's own threads; the function processes; wrk):", "",
                "| conns | wrk -t | duration | requests | invokes/s | p50 ms | p90 ms | p99 ms | errors | sandboxes "
                "| runnel CPU | function CPU | wrk CPU | runnel µs per invoke | bodies checked |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in results:
            err = str(r.errors) if not r.flagged else f"**{r.errors}: {'; '.join(r.problems)}**"
            per = r.extra.get("cpu_us_per_invoke")
            out.append(f"| {r.conns} | {r.threads} | {r.duration} | {r.requests:,} | {r.rps:,.0f} | {ddb.fmt_ms(r.p50_us)} "
                       f"| {ddb.fmt_ms(r.p90_us)} | {ddb.fmt_ms(r.p99_us)} | {err} | {r.extra.get('sandboxes', 0)} "
                       f"| {'' if r.server_cpu is None else f'{r.server_cpu:.2f}'} | {r.extra.get('runtime_cpu', 0):.2f} "
                       f"| {'' if r.wrk_cpu is None else f'{r.wrk_cpu:.2f}'} | {'' if per is None else f'{per:.0f}'} "
                       f"| {'yes' if r.checked else 'no'} |")
        out.append("")
    if arrivals:
        out += [f"Asynchronous: {arrivals[0]['producers']} producer processes (one keep-alive connection each) on one "
                "schedule at the rate; event = Invoke with X-Amz-Invocation-Type Event, sns = Publish to a topic with "
                "one lambda subscription. Per invocation: the runtime received it (its CLOCK_REALTIME) − the "
                "acknowledgement was read (the client's time.time_ns(); negative: the function had it first), and − "
                f"the request was sent; the first {WARM_UP} requests are a warm-up. Every acknowledged request reached "
                "the runtime exactly once unless flagged:", "",
                "| workload | rate (achieved) | invocations | ack→runtime p50 | p90 | p99 | max | runtime first "
                "| sent→runtime p50 | p99 | request p50 / p99 | sandboxes after |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for x in arrivals:
            a, s, c = x["ack_to_run_us"], x["start_to_run_us"], x["call_us"]
            flag = f" **{'; '.join(x['problems'])}**" if x["problems"] else ""
            out.append(f"| {x['workload']} | {x['rate']:,}/s ({x['achieved_rate']:,.0f}) | {x['invocations']:,} "
                       f"| {fmt_us(a['p50'])} | {fmt_us(a['p90'])} | {fmt_us(a['p99'])} | {fmt_us(a['max'])} "
                       f"| {x['runtime_first']:,} | {fmt_us(s['p50'])} | {fmt_us(s['p99'])} "
                       f"| {fmt_us(c['p50'])} / {fmt_us(c['p99'])} | {x['sandboxes']}{flag} |")
        out.append("")
    if stream_tput:
        out += ["Stream throughput: wrk PutItem (bench/wrk/put.lua, 64 connections) into a table with a stream, "
                "with 0, 1 and 10 event source mappings (BatchSize 100, each to its own echo function); each run "
                "on a server of its own with a fresh data directory, rounds in alternating order; records/s: a "
                "mapping's records over the span from its first to its last arrival:", "",
                "| round | mappings | writes | PutItem/s | runnel CPU | records/s per mapping (slowest) | records/s, all |",
                "|---:|---:|---:|---:|---:|---:|---:|"]
        for x in stream_tput:
            flag = f" **{'; '.join(x['problems'])}**" if x["problems"] else ""
            cpu = "" if x["server_cpu"] is None else f"{x['server_cpu']:.2f}"
            out.append(f"| {x['round']} | {x['mappings']} | {x['writes']:,} | {x['put_rps']:,.0f} | {cpu} "
                       f"| {x['records_per_s_each']:,.0f} | {x['records_per_s_total']:,.0f}{flag} |")
        out += ["", "| mappings | runs | PutItem/s, median | vs no mapping | each run | records/s per mapping, median |",
                "|---:|---:|---:|---:|---|---:|"]
        for row in stream_throughput_summary(stream_tput):
            vs = "" if row["vs_none"] is None else f"{row['vs_none'] * 100:+.1f} %"
            out.append(f"| {row['mappings']} | {row['runs']} | {row['put_rps_median']:,.0f} | {vs} "
                       f"| {', '.join(f'{v:,.0f}' for v in row['put_rps'])} | {row['records_per_s_each_median']:,.0f} |")
        out.append("")
    if sqs_tput:
        out += ["SQS throughput: wrk SendMessageBatch (bench/wrk/sqs_send_batch.lua, 10 messages a request, 16 "
                "connections) into a queue with one event source mapping to the echo function; messages/s: the "
                "function's arrivals over the span from the first to the last:", "",
                "| BatchSize | window | messages sent | sent/s | runnel CPU | messages/s through the function |",
                "|---:|---:|---:|---:|---:|---:|"]
        for x in sqs_tput:
            flag = f" **{'; '.join(x['problems'])}**" if x["problems"] else ""
            cpu = "" if x["server_cpu"] is None else f"{x['server_cpu']:.2f}"
            out.append(f"| {x['batch_size']} | {x['window']} s | {x['sent']:,} | {x['send_rps']:,.0f} | {cpu} "
                       f"| {x['messages_per_s']:,.0f}{flag} |")
        out.append("")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runnel", required=True, help="path to build/runnel")
    ap.add_argument("--runtime", default=str(ddb.HERE.parent / "build" / "bench" / "lambda_echo_runtime"),
                    help="the compiled bench/lambda_echo_runtime.cc (default build/bench/lambda_echo_runtime)")
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help=f"subset of {','.join(WORKLOADS)}")
    ap.add_argument("--cold-samples", type=int, default=5, help="cold: samples per case (default 5)")
    ap.add_argument("--warm-calls", type=int, default=2000, help="warm: sequential Invokes (default 2,000)")
    ap.add_argument("--connections", default="1,4,16", help="throughput: wrk connection counts (default 1,4,16)")
    ap.add_argument("--duration", default="10s", help="throughput: wrk -d per run (default 10s)")
    ap.add_argument("--event-rate", type=int, default=500, help="event: Invokes/s (default 500)")
    ap.add_argument("--event-seconds", type=float, default=5.0, help="event: seconds (default 5)")
    ap.add_argument("--sns-rates", default="200,1000", help="sns: publishes/s, one run each (default 200,1000)")
    ap.add_argument("--sns-seconds", type=float, default=5.0, help="sns: seconds per rate (default 5)")
    ap.add_argument("--stream-rates", default="1,100,1000", help="stream: PutItems/s, one run each (default 1,100,1000)")
    ap.add_argument("--stream-seconds", type=float, default=5.0, help="stream: seconds per rate (default 5)")
    ap.add_argument("--stream-mappings", default="0,1,10",
                    help="stream-throughput: the mapping counts, one run each per round (default 0,1,10)")
    ap.add_argument("--stream-rounds", type=int, default=1,
                    help="stream-throughput: rounds, alternating the order (default 1)")
    ap.add_argument("--stream-batch-size", type=int, default=100, help="stream: the mapping's BatchSize (default 100)")
    ap.add_argument("--sqs-rates", default="1,100,1000", help="sqs: SendMessages/s, one run each (default 1,100,1000)")
    ap.add_argument("--producers", type=int, default=4, help="event, sns: producer processes (default 4)")
    ap.add_argument("--max-sandboxes", type=int, default=16, help="runnel --lambda-max-sandboxes (default 16)")
    ap.add_argument("--no-warmup", action="store_true", help="throughput: skip the checked 1 s warm-up")
    ap.add_argument("--smoke", action="store_true", help="CI mode: seconds-long runs, every answer checked")
    ap.add_argument("--markdown", help="also write the report (markdown) to this file")
    ap.add_argument("--json", help="also write every measurement (JSON) to this file")
    ap.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    ap.add_argument("--tmp", help="parent of the server's data directory (default: a new temp dir on disk)")
    ap.add_argument("--runnel-arg", action="append", default=[], help="extra argument for runnel serve (repeatable)")
    args = ap.parse_args(argv)

    check = args.smoke
    if args.smoke:
        args.warm_calls = min(args.warm_calls, 200)
        args.duration = "2s"
        args.event_rate, args.event_seconds = min(args.event_rate, 100), min(args.event_seconds, 1.0)
        args.sns_rates, args.sns_seconds = "100", min(args.sns_seconds, 1.0)
        args.stream_rates, args.stream_seconds = "100", min(args.stream_seconds, 1.0)
        args.sqs_rates = "100"
        args.no_warmup = True
    workloads = [w for w in args.workloads.split(",") if w]
    for w in workloads:
        if w not in WORKLOADS:
            ap.error(f"unknown workload {w}")
    conns = [int(c) for c in args.connections.split(",") if c]
    sns_rates = [int(r) for r in args.sns_rates.split(",") if r]
    ddb.duration_seconds(args.duration)
    if not os.access(args.runnel, os.X_OK):
        ap.error(f"--runnel {args.runnel} is not an executable")
    if not os.access(args.runtime, os.X_OK):
        ap.error(f"--runtime {args.runtime} is not an executable (build the lambda_echo_runtime target)")
    if any(w in workloads for w in ("throughput", "stream-throughput", "sqs-throughput")) and not os.access(args.wrk, os.X_OK):
        ap.error(f"wrk not found at {args.wrk}")
    runtime = Path(args.runtime).read_bytes()

    runnel = os.path.abspath(args.runnel)
    versions = {"runnel": ddb.output_of([runnel, "version"]).replace("runnel ", ""),
                "runnel commit": ddb.output_of(["git", "-C", str(ddb.HERE.parent), "rev-parse", "--short", "HEAD"]),
                "wrk": ddb.wrk_version(args.wrk), "python": sys.version.split()[0]}
    extra = ["--lambda-max-sandboxes", str(args.max_sandboxes), *args.runnel_arg]
    target = sqs.SqsTarget(TARGET, ddb.runnel_argv(runnel, "strict", extra), args.duration, conns, 0, 0)
    command = "python3 bench/lambda_bench.py " + " ".join(argv)
    found: dict = {"cold": None, "warm": None, "stream_tput": None, "sqs_tput": None}
    results: list[sqs.Result] = []
    arrivals: list[dict] = []
    started = time.monotonic()

    def each(target: sqs.SqsTarget, tmp_root: str) -> None:
        if "stream-throughput" in workloads:  # first: it restarts the server between its runs
            found["stream_tput"] = measure_stream_throughput(args, target, tmp_root, runtime)
        client = LambdaClient.of(target)
        if "cold" in workloads:
            found["cold"] = measure_cold(args, client, runtime)
        if "warm" in workloads:
            found["warm"] = measure_warm(args, client, runtime)
        if "throughput" in workloads:
            name = f"wrk-{uuid.uuid4().hex[:6]}"
            create_function(client, runtime, name)
            wrong = timed_invoke(client, name)[1]
            if wrong:
                raise BenchError(wrong)
            sqs.warmup_and_runs(args, results, conns, conns, args.duration, check,
                                lambda c, d, chk: measure_throughput(args, target, name, c, d, chk))
        if "event" in workloads:
            arrivals.append(measure_event(args, target, client, runtime))
        if "sns" in workloads:
            for rate in sns_rates:
                arrivals.append(measure_sns(args, target, client, runtime, rate))
        if "stream" in workloads:
            for rate in [int(r) for r in args.stream_rates.split(",") if r]:
                arrivals.append(measure_stream(args, target, client, runtime, rate))
        if "sqs-throughput" in workloads:
            found["sqs_tput"] = measure_sqs_throughput(args, target, client, runtime)
        if "sqs" in workloads:
            for rate in [int(r) for r in args.sqs_rates.split(",") if r]:
                arrivals.append(measure_sqs(args, target, client, runtime, rate))
        client.close()
        if not target.alive():
            raise BenchError(f"{target.name} exited; log tail:\n{target.log_tail()}")

    fatal = ddb.run_targets([target], args.tmp, "runnel-lambda-bench-", each, (BenchError, OSError))
    report_md = render(args, command, versions, found["cold"], found["warm"], results, arrivals, found["stream_tput"],
                       found["sqs_tput"])
    flagged = ddb.flag_lines(results) + [f"{TARGET} {w}: {'; '.join(found[w]['problems'])}" for w in ("cold", "warm")
                                         if found[w] and found[w]["problems"]]
    flagged += [f"{TARGET} {x['workload']} {x['rate']}/s: {'; '.join(x['problems'])}" for x in arrivals if x["problems"]]
    flagged += [f"{TARGET} stream-throughput round {x['round']}, {x['mappings']} mappings: {'; '.join(x['problems'])}"
                for x in found["stream_tput"] or [] if x["problems"]]
    flagged += [f"{TARGET} sqs-throughput BatchSize {x['batch_size']}: {'; '.join(x['problems'])}"
                for x in found["sqs_tput"] or [] if x["problems"]]
    if args.json:
        sqs.write_json(args.json, {"command": command, "versions": versions, **found, "results": results,
                                   "arrivals": arrivals})
    return ddb.finish(report_md, args.markdown, started,
                      f"{len(results)} wrk runs, {len(arrivals)} asynchronous runs, {len(flagged)} flagged, "
                      f"{len(fatal)} target failures", fatal, flagged)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
