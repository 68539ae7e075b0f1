#!/usr/bin/env python3
"""DynamoDB wire-protocol benchmark: runnel (strict and relaxed durability) against dynalite and moto.

For every target the driver starts a server on a free 127.0.0.1 port with a fresh data directory,
creates the table (hash pk S + range sk S, PAY_PER_REQUEST), preloads it with boto3
batch_write_item, checks one request of each operation by hand, then drives each operation with
wrk (bench/wrk/<op>.lua) at each connection count and parses throughput and latency percentiles.

Operations (bodies are built by the Lua scripts; check_sample() below sends the same shapes):
  PutItem     a new item per request (key: run tag, wrk thread, counter), ~150 bytes, one fresh table per run
  GetItem     random key over the preloaded items item-0 .. item-(N-1)
  Query       a whole random partition part-j of 10 items
  UpdateItem  ADD 1 to a counter of a random preloaded item

A run is flagged (and the exit status is 1) when wrk saw socket errors, timeouts or non-2xx replies,
when a checked response had the wrong body, or when the data afterwards disagrees with what wrk
counted: the PutItem table must hold one item per acknowledged put, the UpdateItem counters must
have grown by the number of acknowledged updates (both up to the requests still in flight when wrk
stops). Speed never fails a run.

  python3 bench/ddb_bench.py --runnel build/runnel --dynalite tests/js/node_modules/.bin/dynalite \
      --markdown /tmp/bench.md
  python3 bench/ddb_bench.py --smoke ...      # 1 s runs, 1 and 16 connections, every response checked

stdlib only, plus boto3 for the setup (Debian's /usr/bin/python3 or the image's python3).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
WRK_DIR = HERE / "wrk"
OPS = ["PutItem", "GetItem", "Query", "UpdateItem"]
OP_SCRIPT = {"PutItem": "put.lua", "GetItem": "get.lua", "Query": "query.lua", "UpdateItem": "update.lua"}
TABLE = "bench"
PART_SIZE = 10
PAYLOAD = "abcdefghij" * 10  # the same 100 bytes as bench/wrk/common.lua
# The fixed, pre-computed request headers every target accepts (signatures are not verified).
AUTHORIZATION = ("AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/dynamodb/aws4_request, "
                 "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                 "Signature=" + "0" * 64)
TARGET_ORDER = ["runnel-strict", "runnel-relaxed", "dynalite", "moto"]


class BenchError(Exception):
    pass


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_call(port: int, operation: str, body: dict | str, timeout: float = 10.0) -> tuple[int, dict | None, str]:
    """One request with exactly the headers the wrk scripts send."""
    data = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/", body=data.encode(), headers={
            "Host": f"127.0.0.1:{port}",
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"DynamoDB_20120810.{operation}",
            "X-Amz-Date": "20261125T000000Z",
            "Authorization": AUTHORIZATION,
        })
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return resp.status, parsed, text
    finally:
        conn.close()


def proc_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, all threads (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


# ----------------------------------------------------------------------------------------------
# Targets


@dataclass
class Target:
    name: str
    argv_fn: object  # (port, data_dir) -> argv
    duration: str
    conns: list[int]
    items: int
    parts: int
    env: dict | None = None
    proc: subprocess.Popen | None = None
    port: int = 0
    workdir: str = ""
    log_path: str = ""

    def start(self, tmp_root: str) -> None:
        self.workdir = tempfile.mkdtemp(prefix=f"{self.name}-", dir=tmp_root)
        data_dir = os.path.join(self.workdir, "data")
        os.makedirs(data_dir)
        self.log_path = os.path.join(self.workdir, "server.log")
        last_error = ""
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self.port = free_port()
            argv = self.argv_fn(self.port, data_dir)
            log(f"{self.name}: starting: {' '.join(argv)}")
            logf = open(self.log_path, "ab")
            env = dict(os.environ)
            env.update(self.env or {})
            self.proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=env, cwd=self.workdir)
            logf.close()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last_error = f"exited with status {self.proc.returncode}"
                    break
                try:
                    status, _, text = raw_call(self.port, "ListTables", {}, timeout=2)
                    if status == 200:
                        log(f"{self.name}: ready on port {self.port}")
                        return
                    last_error = f"ListTables answered {status}: {text[:200]}"
                except OSError as e:
                    last_error = str(e)
                time.sleep(0.1)
            self.stop()
        raise BenchError(f"{self.name} did not start ({last_error}); log tail:\n{self.log_tail()}")

    def log_tail(self, n: int = 30) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                log(f"{self.name}: no exit 15 s after SIGTERM, killing pid {self.proc.pid}")
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def health(self) -> dict | None:
        """runnel's /_runnel/health (writer counters); None for the peers."""
        if not self.name.startswith("runnel"):
            return None
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", "/_runnel/health")
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            return json.loads(body) if resp.status == 200 else None
        except (OSError, ValueError):
            return None


def find_python_with(module: str, preferred: str | None) -> str | None:
    candidates = [preferred] if preferred else []
    # The image's Python (with moto) may be off PATH in a bare CI environment: try its pyenv shim too.
    candidates += [shutil.which("python3"), sys.executable, "/usr/bin/python3",
                   os.path.expanduser("~/.pyenv/shims/python3")]
    for c in candidates:
        if not c:
            continue
        try:
            r = subprocess.run([c, "-c", f"import {module}"], capture_output=True, timeout=60)
            if r.returncode == 0:
                return c
        except (OSError, subprocess.TimeoutExpired):
            continue
    return None


def runnel_argv(runnel: str, durability: str, extra: list[str]):
    """argv_fn of a runnel target: runnel serve on 127.0.0.1 with the durability and extra args."""
    return lambda p, d: [runnel, "serve", "--host", "127.0.0.1", "--port", str(p), "--data-dir", d,
                         "--durability", durability, "--log-level", "warn", *extra]


def moto_argv(py: str):
    """argv_fn of a moto target: moto.server on 127.0.0.1, in memory."""
    return lambda p, d: [py, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(p)]


def find_moto(ap: argparse.ArgumentParser, preferred: str | None, versions: dict) -> str:
    """A python3 with moto (ap.error() without one); records moto's version."""
    py = find_python_with("moto.server", preferred)
    if not py:
        ap.error("target moto: no python3 with moto found (pass --moto-python, or leave moto out of --targets)")
    versions["moto"] = output_of([py, "-c", "import moto; print(moto.__version__)"])
    return py


def output_of(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True).stdout.strip()


def wrk_version(wrk: str) -> str:
    return subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.split(" [")[0].replace("wrk ", "", 1)


def run_targets(targets: list[Target], tmp: str | None, prefix: str, each, catch=(BenchError,)) -> list[str]:
    """each(target, tmp_root) for every target in turn, started before (in a fresh data directory
    under tmp, default a new temp dir on disk, removed afterwards) and stopped after; returns the
    errors (of the `catch` types) that ended a target's runs."""
    tmp_root = tmp or tempfile.mkdtemp(prefix=prefix, dir="/var/tmp" if os.path.isdir("/var/tmp") else None)
    os.makedirs(tmp_root, exist_ok=True)
    fatal: list[str] = []
    try:
        for target in targets:
            try:
                target.start(tmp_root)
                each(target, tmp_root)
            except catch as e:
                log(f"ERROR: {e}")
                fatal.append(str(e))
            finally:
                target.stop()
    finally:
        for target in targets:
            target.stop()
        if not tmp:
            shutil.rmtree(tmp_root, ignore_errors=True)
    return fatal


def finish(report: str, markdown: str | None, started: float, summary: str, fatal: list[str],
           flagged: list[str]) -> int:
    """Prints the report (and writes it to markdown), logs the summary; exit status 1 with the
    FAILED (fatal) and FLAGGED lines on stderr when anything failed or runnel was flagged. A peer's
    own faults (moto answering 500 or delivering a message twice under concurrent load, seen in
    CI) are printed as PEER FLAGGED and stay in the report, but do not fail the run: the run
    checks runnel, and a peer's bug is a finding about the peer."""
    print(report)
    if markdown:
        Path(markdown).write_text(report)
    log(f"done in {time.monotonic() - started:.0f} s: {summary}")
    ours = [line for line in flagged if line.startswith("runnel")]
    for line in flagged:
        if not line.startswith("runnel"):
            print(f"PEER FLAGGED: {line}", file=sys.stderr)
    if fatal or ours:
        for f in fatal:
            print(f"FAILED: {f}", file=sys.stderr)
        for line in ours:
            print(f"FLAGGED: {line}", file=sys.stderr)
        return 1
    return 0


def flag_lines(results: list) -> list[str]:
    """finish()'s FLAGGED lines for the flagged wrk runs."""
    return [f"{r.target} {r.op} c={r.conns}: {'; '.join(r.problems)}" for r in results if r.flagged]


# ----------------------------------------------------------------------------------------------
# Table setup through boto3


def boto_client(port: int):
    import boto3
    from botocore.config import Config
    return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 5, "mode": "standard"},
                                      read_timeout=120, connect_timeout=10))


def create_table(client, name: str) -> None:
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if client.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.05)
    raise BenchError(f"table {name} did not become ACTIVE")


def batch_write(client, table: str, items: list[dict]) -> None:
    for i in range(0, len(items), 25):
        requests = {table: [{"PutRequest": {"Item": it}} for it in items[i:i + 25]]}
        for _ in range(50):
            resp = client.batch_write_item(RequestItems=requests)
            requests = resp.get("UnprocessedItems") or {}
            if not requests:
                break
            time.sleep(0.05)
        else:
            raise BenchError("batch_write_item kept returning UnprocessedItems")


def preload(client, items: int, parts: int) -> None:
    rows = [{"pk": {"S": f"item-{i}"}, "sk": {"S": "0"}, "data": {"S": PAYLOAD}, "n": {"N": str(i)}}
            for i in range(items)]
    rows += [{"pk": {"S": f"part-{j}"}, "sk": {"S": f"{k:02d}"}, "data": {"S": PAYLOAD}, "n": {"N": str(k)}}
             for j in range(parts) for k in range(PART_SIZE)]
    batch_write(client, TABLE, rows)


def scan_all(client, table: str, **kwargs):
    start = None
    while True:
        args = dict(TableName=table, **kwargs)
        if start:
            args["ExclusiveStartKey"] = start
        resp = client.scan(**args)
        yield resp
        start = resp.get("LastEvaluatedKey")
        if not start:
            return


def count_items(client, table: str) -> int:
    return sum(page["Count"] for page in scan_all(client, table, Select="COUNT"))


def counter_sum(client) -> int:
    total = 0
    for page in scan_all(client, TABLE, ProjectionExpression="cnt"):
        for it in page["Items"]:
            if "cnt" in it:
                total += int(it["cnt"]["N"])
    return total


def check_sample(target: Target, client) -> None:
    """One request of each operation with the wrk scripts' headers and body shapes, checked in full."""
    port = target.port
    problems = []

    def expect(cond: bool, what: str) -> None:
        if not cond:
            problems.append(what)

    key = "put-sample-0-1"
    status, body, text = raw_call(port, "PutItem", {"TableName": TABLE, "Item": {
        "pk": {"S": key}, "sk": {"S": "0"}, "data": {"S": PAYLOAD}, "n": {"N": "1"}}})
    expect(status == 200 and isinstance(body, dict) and "__type" not in body, f"PutItem answered {status} {text[:300]}")
    got = client.get_item(TableName=TABLE, Key={"pk": {"S": key}, "sk": {"S": "0"}}, ConsistentRead=True).get("Item")
    expect(got == {"pk": {"S": key}, "sk": {"S": "0"}, "data": {"S": PAYLOAD}, "n": {"N": "1"}},
           f"item written by PutItem reads back as {got}")

    status, body, text = raw_call(port, "GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "item-7"}, "sk": {"S": "0"}}})
    expect(status == 200 and isinstance(body, dict) and body.get("Item") == {
        "pk": {"S": "item-7"}, "sk": {"S": "0"}, "data": {"S": PAYLOAD}, "n": {"N": "7"}},
        f"GetItem answered {status} {text[:300]}")

    status, body, text = raw_call(port, "Query", {"TableName": TABLE, "KeyConditionExpression": "pk = :p",
                                                  "ExpressionAttributeValues": {":p": {"S": "part-3"}}})
    ok = status == 200 and isinstance(body, dict) and body.get("Count") == PART_SIZE
    if ok:
        sks = [it["sk"]["S"] for it in body.get("Items", [])]
        ok = sks == [f"{k:02d}" for k in range(PART_SIZE)] and all(it["pk"]["S"] == "part-3" for it in body["Items"])
    expect(ok, f"Query answered {status} {text[:300]}")

    def cnt() -> int:
        it = client.get_item(TableName=TABLE, Key={"pk": {"S": "item-5"}, "sk": {"S": "0"}}, ConsistentRead=True)["Item"]
        return int(it.get("cnt", {"N": "0"})["N"])
    before = cnt()
    for _ in range(2):
        status, body, text = raw_call(port, "UpdateItem", {
            "TableName": TABLE, "Key": {"pk": {"S": "item-5"}, "sk": {"S": "0"}},
            "UpdateExpression": "ADD cnt :one", "ExpressionAttributeValues": {":one": {"N": "1"}}})
        expect(status == 200 and isinstance(body, dict) and "__type" not in body, f"UpdateItem answered {status} {text[:300]}")
    after = cnt()
    expect(after == before + 2, f"UpdateItem ADD: counter went {before} -> {after}, expected +2")

    if problems:
        raise BenchError(f"{target.name}: sample requests are wrong:\n  " + "\n  ".join(problems))
    log(f"{target.name}: sample PutItem/GetItem/Query/UpdateItem answered correctly")


# ----------------------------------------------------------------------------------------------
# wrk


@dataclass
class Result:
    target: str
    op: str
    conns: int
    threads: int = 0
    duration: str = ""
    requests: int = 0
    rps: float = 0.0
    p50_us: int = 0
    p90_us: int = 0
    p99_us: int = 0
    errors: int = 0
    problems: list[str] = field(default_factory=list)
    server_cpu: float | None = None  # cores busy in the server during the run
    wrk_cpu: float | None = None
    checked: bool = False
    writes_per_group: float | None = None

    @property
    def flagged(self) -> bool:
        return bool(self.problems)


def duration_seconds(d: str) -> float:
    m = re.fullmatch(r"(\d+)([smh]?)", d)
    if not m:
        raise argparse.ArgumentTypeError(f"bad duration {d!r} (use e.g. 10s)")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def run_wrk(wrk: str, target: Target, op: str, conns: int, duration: str, table: str, tag: str,
            check: bool) -> tuple[dict, str, float, float | None, float | None]:
    threads = 1 if conns < 2 else 2
    script = str(WRK_DIR / OP_SCRIPT[op])
    argv = [wrk, "-t", str(threads), "-c", str(conns), "-d", duration, "--latency", "--timeout", "5s",
            "-s", script, f"http://127.0.0.1:{target.port}/", "--",
            tag, table, str(target.items), str(target.parts), "1" if check else "0"]
    secs = duration_seconds(duration)
    cpu0 = proc_cpu_seconds(target.proc.pid)
    r0 = os.times()
    t0 = time.monotonic()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=secs + 60)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish within {secs + 60} s: {' '.join(argv)}")
    wall = time.monotonic() - t0
    r1 = os.times()
    cpu1 = proc_cpu_seconds(target.proc.pid)
    if proc.returncode != 0:
        raise BenchError(f"wrk failed ({proc.returncode}): {' '.join(argv)}\n{proc.stdout}\n{proc.stderr}")
    stats: dict = {"threads": threads}
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            parts = line.split(" ", 2)
            if len(parts) == 3:
                stats[parts[1]] = parts[2]
    if "requests" not in stats:
        raise BenchError(f"no BENCH lines in wrk output: {' '.join(argv)}\n{proc.stdout}\n{proc.stderr}")
    server_cpu = (cpu1 - cpu0) / wall if cpu0 is not None and cpu1 is not None else None
    wrk_cpu = ((r1.children_user + r1.children_system) - (r0.children_user + r0.children_system)) / wall
    return stats, " ".join(argv), wall, server_cpu, wrk_cpu


def measure(wrk: str, target: Target, client, op: str, conns: int, duration: str, check: bool,
            run_tag: str) -> Result:
    res = Result(target.name, op, conns, duration=duration, checked=check)
    table = TABLE
    if op == "PutItem":
        table = f"put_{conns}_{run_tag}"
        create_table(client, table)
    elif op == "UpdateItem":
        sum_before = counter_sum(client)
    health0 = target.health()
    stats, cmd, _wall, res.server_cpu, res.wrk_cpu = run_wrk(
        wrk, target, op, conns, duration, table, f"{run_tag}c{conns}", check)
    health1 = target.health()
    res.threads = stats["threads"]
    res.requests = int(stats["requests"])
    dur_us = int(stats.get("duration_us", "0")) or 1
    res.rps = res.requests / (dur_us / 1e6)
    res.p50_us = int(stats.get("p50_us", 0))
    res.p90_us = int(stats.get("p90_us", 0))
    res.p99_us = int(stats.get("p99_us", 0))
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
    # The data must agree with what wrk counted: each acknowledged write happened exactly once.
    # Requests still in flight when wrk stops (at most one per connection) may land too.
    if op == "PutItem":
        n = count_items(client, table)
        if not res.requests <= n <= res.requests + conns:
            res.problems.append(f"table holds {n} items after {res.requests} acknowledged puts")
    elif op == "UpdateItem":
        delta = counter_sum(client) - sum_before
        if not res.requests <= delta <= res.requests + conns:
            res.problems.append(f"counters grew by {delta} after {res.requests} acknowledged updates")
    if health0 and health1:
        try:
            s0, s1 = health0["storage"], health1["storage"]
            groups = s1["groups_committed"] - s0["groups_committed"]
            writes = s1["writes_committed"] - s0["writes_committed"]
            if groups > 0 and op in ("PutItem", "UpdateItem"):
                res.writes_per_group = writes / groups
        except (KeyError, TypeError):
            pass
    flag = "  ** FLAGGED: " + "; ".join(res.problems) if res.problems else ""
    log(f"{target.name} {op} c={conns}: {res.rps:,.0f} req/s p50 {res.p50_us / 1000:.2f} ms "
        f"p99 {res.p99_us / 1000:.2f} ms errors {res.errors}{flag}")
    if not res.problems:
        log(f"  {cmd}")
    return res


# ----------------------------------------------------------------------------------------------
# Report


def fmt_ms(us: int) -> str:
    ms = us / 1000
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def machine_facts() -> list[str]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return [f"{os.cpu_count()} CPUs (nproc), {model}{mem}, Linux {platform.release()}"]


def throughput_cells(by: dict, targets: list[str], op: str, conns: int, more=None) -> list[str]:
    """A throughput row's cells, one per target, from by[(target, op, conns)]: "rate (p50 / p99 ms)",
    bold with ERRORS when flagged, "—" without a run; more(r) -> text after the rate."""
    cells = []
    for t in targets:
        r = by.get((t, op, conns))
        if r is None:
            cells.append("—")
            continue
        cell = f"{r.rps:,.0f}{more(r) if more else ''} ({fmt_ms(r.p50_us)} / {fmt_ms(r.p99_us)})"
        cells.append(f"**{cell} ERRORS**" if r.flagged else cell)
    return cells


def report_head(command: str, versions: dict) -> list[str]:
    """The report's first lines: the machine, the command, the versions."""
    return [f"Machine: {machine_facts()[0]}. Client and servers share the machine (wrk uses 1-2 threads).", "",
            f"Command: `{command}`", "",
            "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()), ""]


def render(results: list[Result], targets: list[str], args, versions: dict, command: str) -> str:
    out = report_head(command, versions)
    by = {(r.target, r.op, r.conns): r for r in results}
    conns_all = sorted({r.conns for r in results})
    header = "| operation | conns | " + " | ".join(targets) + " |"
    sep = "|---|---:|" + "---:|" * len(targets)

    out.append("Throughput, requests/s (p50 / p99 latency in ms):")
    out.append("")
    out.append(header)
    out.append(sep)
    for op in [o for o in OPS if any(r.op == o for r in results)]:
        for c in conns_all:
            if not any(r.op == op and r.conns == c for r in results):
                continue
            out.append(f"| {op} | {c} | " + " | ".join(throughput_cells(by, targets, op, c)) + " |")
    out.append("")
    out.append("Every run, with the CPU the server and wrk kept busy (in cores, of "
               f"{os.cpu_count()}) and, for runnel writes, acknowledged writes per group commit:")
    out.append("")
    out.append("| target | operation | conns | wrk -t | duration | requests | req/s | p50 ms | p90 ms | p99 ms "
               "| errors | server CPU | wrk CPU | writes/group | bodies checked |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    order = {t: i for i, t in enumerate(targets)}
    for r in sorted(results, key=lambda r: (order.get(r.target, 99), OPS.index(r.op), r.conns)):
        err = str(r.errors) if not r.flagged else f"**{r.errors}: {'; '.join(r.problems)}**"
        out.append(f"| {r.target} | {r.op} | {r.conns} | {r.threads} | {r.duration} | {r.requests:,} | {r.rps:,.0f} "
                   f"| {fmt_ms(r.p50_us)} | {fmt_ms(r.p90_us)} | {fmt_ms(r.p99_us)} | {err} "
                   f"| {'' if r.server_cpu is None else f'{r.server_cpu:.2f}'} "
                   f"| {'' if r.wrk_cpu is None else f'{r.wrk_cpu:.2f}'} "
                   f"| {'' if r.writes_per_group is None else f'{r.writes_per_group:.1f}'} "
                   f"| {'yes' if r.checked else 'no'} |")
    out.append("")
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runnel", help="path to build/runnel")
    ap.add_argument("--dynalite", help="path to node_modules/.bin/dynalite")
    ap.add_argument("--moto-python", help="a python3 that has moto (default: the first python3 that imports it)")
    ap.add_argument("--targets", default=",".join(TARGET_ORDER),
                    help=f"comma-separated subset of {','.join(TARGET_ORDER)}")
    ap.add_argument("--ops", default=",".join(OPS), help="comma-separated subset of " + ",".join(OPS))
    ap.add_argument("--connections", default="1,16,64", help="connection counts (default 1,16,64)")
    ap.add_argument("--duration", default="10s", help="wrk -d per run (default 10s)")
    ap.add_argument("--moto-duration", default="3s", help="wrk -d per moto run (moto does ~400 req/s; default 3s)")
    ap.add_argument("--items", type=int, default=10000, help="preloaded items for GetItem/UpdateItem")
    ap.add_argument("--moto-items", type=int, default=2000, help="preloaded items for moto (slow to load)")
    ap.add_argument("--parts", type=int, default=100, help="preloaded Query partitions of 10 items")
    ap.add_argument("--check", choices=["all", "warmup"], default=None,
                    help="verify every response body in every run (all), or only in a 1 s warm-up per "
                         "target and operation while measured runs only check status and data (warmup; "
                         "default, keeps the Lua body checks off wrk's CPU during measurement); "
                         "--smoke implies all")
    ap.add_argument("--no-warmup", action="store_true", help="skip the 1 s warm-up run per target and operation")
    ap.add_argument("--smoke", action="store_true",
                    help="CI mode: 1 s runs, connections 1 and 16, every response checked, fewer items")
    ap.add_argument("--markdown", help="also write the report (markdown) to this file")
    ap.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    ap.add_argument("--tmp", help="parent of the servers' data directories (default: a new temp dir on disk)")
    ap.add_argument("--runnel-arg", action="append", default=[], help="extra argument for runnel serve (repeatable)")
    args = ap.parse_args(argv)

    if args.smoke:
        args.duration = args.moto_duration = "1s"
        args.connections = "1,16"
        args.items = min(args.items, 1000)
        args.moto_items = min(args.moto_items, 500)
        args.parts = min(args.parts, 20)
        args.check = args.check or "all"
        args.no_warmup = True
    args.check = args.check or "warmup"
    duration_seconds(args.duration)
    duration_seconds(args.moto_duration)
    conns = [int(c) for c in args.connections.split(",") if c]
    ops = [o for o in args.ops.split(",") if o]
    for o in ops:
        if o not in OPS:
            ap.error(f"unknown operation {o}")
    names = [t for t in args.targets.split(",") if t]
    for t in names:
        if t not in TARGET_ORDER:
            ap.error(f"unknown target {t}")
    if not os.access(args.wrk, os.X_OK):
        ap.error(f"wrk not found at {args.wrk}")
    try:
        import boto3  # noqa: F401
    except ImportError:
        ap.error(f"{sys.executable} has no boto3")

    versions = {"wrk": wrk_version(args.wrk)}
    targets: list[Target] = []
    for name in names:
        if name.startswith("runnel"):
            if not args.runnel or not os.access(args.runnel, os.X_OK):
                ap.error(f"target {name} needs --runnel PATH (an executable build/runnel)")
            targets.append(Target(name, runnel_argv(os.path.abspath(args.runnel), name.split("-", 1)[1],
                                                    list(args.runnel_arg)),
                                  args.duration, conns, args.items, args.parts))
            versions["runnel"] = output_of([args.runnel, "version"]).replace("runnel ", "")
        elif name == "dynalite":
            if not args.dynalite or not os.access(args.dynalite, os.X_OK):
                ap.error("target dynalite needs --dynalite PATH (tests/js/node_modules/.bin/dynalite)")
            # --path: LevelDB on disk (dynalite never fsyncs); the table is ACTIVE at once.
            targets.append(Target(name, lambda p, d: [
                os.path.abspath(args.dynalite), "--host", "127.0.0.1", "--port", str(p), "--path", d,
                "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"],
                args.duration, conns, args.items, args.parts))
            try:
                pkg = Path(os.path.realpath(args.dynalite)).parent.parent / "package.json"
                versions["dynalite"] = json.loads(pkg.read_text())["version"]
            except (OSError, ValueError, KeyError):
                pass
            node = shutil.which("node")
            if node:
                versions["node"] = output_of([node, "--version"])
        elif name == "moto":
            py = find_moto(ap, args.moto_python, versions)
            # moto is ~400 req/s: short runs, fewer preloaded items, no 64-connection smoke run.
            mconns = [c for c in conns if not (args.smoke and c >= 64)]
            targets.append(Target(name, moto_argv(py), args.moto_duration, mconns, args.moto_items, args.parts))
    versions["boto3 (setup)"] = __import__("boto3").__version__

    command = "python3 bench/ddb_bench.py " + " ".join(argv)
    results: list[Result] = []
    run_tag = uuid.uuid4().hex[:6]
    started = time.monotonic()

    def each(target: Target, _tmp_root: str) -> None:
        client = boto_client(target.port)
        t0 = time.monotonic()
        create_table(client, TABLE)
        preload(client, target.items, target.parts)
        log(f"{target.name}: preloaded {target.items} items + {target.parts} partitions of "
            f"{PART_SIZE} in {time.monotonic() - t0:.1f} s")
        check_sample(target, client)
        for op in ops:
            if not args.no_warmup:
                w = measure(args.wrk, target, client, op, min(16, max(conns)), "1s", True, run_tag + "w")
                if w.flagged:
                    w.op, w.duration = op, "1s (warm-up)"
                    results.append(w)
            for c in target.conns:
                results.append(measure(args.wrk, target, client, op, c, target.duration,
                                       args.check == "all", run_tag))
                if not target.alive():
                    raise BenchError(f"{target.name} exited; log tail:\n{target.log_tail()}")

    fatal = run_targets(targets, args.tmp, "runnel-bench-", each)
    report = render(results, [t.name for t in targets], args, versions, command)
    flagged = flag_lines(results)
    return finish(report, args.markdown, started, f"{len(results)} runs, {len(flagged)} flagged, "
                  f"{len(fatal)} target failures", fatal, flagged)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
