"""The server's own limits: start-up time, the in-flight limit, the request body limit."""

import json
import threading
import time


from runnel_server import RunnelServer
from util import make_raw_table, raw_request


# The issue asks for readiness within 100 ms on an empty data dir; the server measures it itself
# (open the store, load the catalog, bind) and logs it. Best of three starts, each on a fresh
# empty dir, so one start slowed by a busy machine (2 shared cores) does not decide it.
def test_ready_within_100ms_on_empty_data_dir(runnel_bin):
    best = None
    for _ in range(3):
        server = RunnelServer(runnel_bin)
        try:
            server.start()
            # The health answer can come before the line is written (the listener is up first;
            # the server logs its own ready time right after), so give the line a moment.
            ready = []
            deadline = time.monotonic() + 5
            while not ready and time.monotonic() < deadline:
                with open(server.log_path) as f:
                    ready = [json.loads(line) for line in f if '"server.ready"' in line]
                if not ready:
                    time.sleep(0.01)
            assert ready, server.log_tail()
            best = ready[0]['ready_ms'] if best is None else min(best, ready[0]['ready_ms'])
        finally:
            server.stop()
            server.cleanup()
    assert best < 100, best


# Beyond --max-in-flight requests in progress, callers get the throttling error SDKs retry on,
# instead of an unbounded queue; everything admitted still succeeds.
def test_in_flight_limit_answers_throttling(runnel_bin):
    server = RunnelServer(runnel_bin, extra_args=['--max-in-flight', '2'], durability='strict')
    try:
        server.start()
        make_raw_table(server.url, 'limited')
        codes = []
        lock = threading.Lock()

        def writer(t):
            for i in range(25):
                r = raw_request(server.url, 'DynamoDB_20120810.PutItem',
                                {'TableName': 'limited', 'Item': {'p': {'S': '%d-%d' % (t, i)}}})
                with lock:
                    codes.append(r.status if r.status == 200 else r.error_code())

        threads = [threading.Thread(target=writer, args=(t,)) for t in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(codes) == 32 * 25
        assert set(codes) <= {200, 'ThrottlingException'}, set(codes)
        assert 'ThrottlingException' in codes and 200 in codes
    finally:
        server.stop()
        server.cleanup()


# A body over the limit (16 MB, DynamoDB's largest request, plus envelope) is refused with 413
# before it is buffered, and the server keeps serving.
def test_body_limit(runnel_bin):
    server = RunnelServer(runnel_bin)
    try:
        server.start()
        big = b'{"TableName":"x","Item":{"p":{"S":"' + b'a' * (17 * 1024 * 1024) + b'"}}}'
        try:
            r = raw_request(server.url, 'DynamoDB_20120810.PutItem', big)
            assert r.status == 413
        except (ConnectionError, OSError):
            pass  # the server may close the connection while the client is still sending
        r = raw_request(server.url, 'DynamoDB_20120810.ListTables', {})
        assert r.status == 200
    finally:
        server.stop()
        server.cleanup()
