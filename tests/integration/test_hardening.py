"""Hostile input: each reproduction from the hardening issue, against a server of its own.

After every case the server must still answer (/_runnel/health) — a crash, hang or stall fails the
test that caused it, not a later one. Requests are raw (signed with botocore's SigV4Auth) because
the SDKs refuse to send most of them.
"""

import http.client
import json
import os
import socket
import subprocess
import time
import urllib.parse

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from runnel_server import RunnelServer, health
from util import make_raw_table, raw_request

DEEP = 130_000  # the crash: ~260 KB of '[' overflowed an I/O thread's stack


@pytest.fixture(scope='module')
def server(runnel_bin):
    s = RunnelServer(runnel_bin)
    s.start()
    yield s
    code = s.stop()
    s.cleanup()
    assert code in (0, None), 'runnel exited with %s' % code


@pytest.fixture(autouse=True)
def still_answers(server):
    yield
    assert health(server.url, timeout=5), 'server stopped answering:\n' + server.log_tail()


def deep_array(n):
    return '[' * n + ']' * n


def signed(url, method, path, body=b'', service='lambda', headers=None, query=''):
    """A signed request to any path; returns (status, headers, body bytes)."""
    if isinstance(body, str):
        body = body.encode()
    h = dict(headers or {})
    full = url + path + ('?' + query if query else '')
    req = AWSRequest(method=method, url=full, data=body, headers=h)
    SigV4Auth(Credentials('test', 'test'), service, 'us-east-1').add_auth(req)
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request(method, path + ('?' + query if query else ''), body=body, headers=dict(req.headers.items()))
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def form(url, service, params):
    body = urllib.parse.urlencode(params)
    return signed(url, 'POST', '/', body, service=service,
                  headers={'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})


# --- deep nesting in every JSON parser -------------------------------------------------------

def test_dynamodb_deep_junk_member_is_a_serialization_error(server):
    body = '{"Limit": 10, "junk": ' + deep_array(DEEP) + '}'
    r = raw_request(server.url, 'DynamoDB_20120810.ListTables', body)
    assert r.status == 400
    assert r.error_code() == 'SerializationException'


@pytest.mark.parametrize('levels', [100_000, 140_000])
def test_dynamodb_deep_value_is_refused(server, levels):
    value = '{"L":[' * levels + '{"S":"x"}' + ']}' * levels
    body = '{"TableName":"t","Item":{"p":{"S":"a"},"v":' + value + '}}'
    r = raw_request(server.url, 'DynamoDB_20120810.PutItem', body)
    assert r.status == 400
    assert r.error_code() == 'SerializationException'


def test_dynamodb_value_past_32_levels_is_a_validation_error(server):
    r = make_raw_table(server.url, 'nest')
    value = {'S': 'x'}
    for _ in range(40):
        value = {'L': [value]}
    r = raw_request(server.url, 'DynamoDB_20120810.PutItem',
                    {'TableName': 'nest', 'Item': {'p': {'S': 'a'}, 'v': value}})
    assert r.status == 400
    assert r.error_code() == 'ValidationException'
    assert 'Nesting Levels have exceeded supported limits' in r.json()['message']


def test_dynamodb_invalid_utf8_string_is_refused(server):
    body = b'{"TableName":"nest","Item":{"p":{"S":"a\xff\xfe"}}}'
    r = raw_request(server.url, 'DynamoDB_20120810.PutItem', body)
    assert r.status == 400
    assert r.error_code() == 'SerializationException'


def test_streams_deep_body(server):
    r = raw_request(server.url, 'DynamoDBStreams_20120810.ListStreams',
                    '{"x":' + deep_array(DEEP) + '}', service='dynamodb')
    assert r.status == 400
    assert r.error_code() == 'SerializationException'


def test_sqs_json_deep_body(server):
    r = raw_request(server.url, 'AmazonSQS.ListQueues', '{"x":' + deep_array(DEEP) + '}',
                    service='sqs', content_type='application/x-amz-json-1.0')
    assert r.status == 400
    assert 'SerializationException' in r.json()['__type'] or 'MalformedQueryString' in r.body.decode() \
        or r.json()['__type'].endswith('InvalidParameterValue') or 'Serialization' in r.body.decode()


def test_lambda_api_deep_body(server):
    status, _, body = signed(server.url, 'POST', '/2015-03-31/functions', '{"x":' + deep_array(DEEP) + '}',
                             headers={'Content-Type': 'application/json'})
    assert status == 400
    assert json.loads(body)['Type'] == 'User' or 'InvalidRequestContent' in body.decode()


def test_lambda_invoke_deep_payload(server):
    status, headers, body = signed(server.url, 'POST', '/2015-03-31/functions/nope/invocations',
                                   deep_array(DEEP), headers={'Content-Type': 'application/json'})
    # The payload is checked (or the function looked up) without walking it recursively.
    assert status in (400, 404), body


def test_sns_publish_deep_message_structure(server):
    status, _, body = form(server.url, 'sns', {'Action': 'CreateTopic', 'Name': 'deep', 'Version': '2010-03-31'})
    assert status == 200, body
    arn = body.decode().split('<TopicArn>')[1].split('</TopicArn>')[0]
    message = '{"default":"x","junk":' + deep_array(DEEP // 2) + '}'  # under 256 KB
    status, _, body = form(server.url, 'sns', {'Action': 'Publish', 'TopicArn': arn, 'Message': message,
                                               'MessageStructure': 'json', 'Version': '2010-03-31'})
    assert status == 400, body
    assert b'InvalidParameter' in body


def test_sns_deep_delivery_policy(server):
    policy = '{"http":' + deep_array(DEEP) + '}'
    status, _, body = form(server.url, 'sns', {'Action': 'CreateTopic', 'Name': 'deep-policy', 'Version': '2010-03-31',
                                               'Attributes.entry.1.key': 'DeliveryPolicy',
                                               'Attributes.entry.1.value': policy})
    assert status == 400, body
    assert b'InvalidParameter' in body


# --- HTTP -------------------------------------------------------------------------------------

def raw_http(server, data, read_timeout=10):
    u = urllib.parse.urlparse(server.url)
    with socket.create_connection((u.hostname, u.port), timeout=read_timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                chunks.append(c)
        except socket.timeout:
            pass
        return b''.join(chunks)


@pytest.mark.parametrize('data,status', [
    (b'GARBAGE\r\n\r\n', b'400'),
    (b'GET /\r\n\r\n', b'400'),
    (b'GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n', b'400'),
    # A header over 16 KB is a 400, as AWS's endpoints answer it (not RFC 9110's 431).
    (b'GET / HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'a' * (70 * 1024) + b'\r\n\r\n', b'400'),
    (b'GET / HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'a' * (16 * 1024) + b'\r\n\r\n', b'400'),
    (b'GET / HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'a' * (15 * 1024) + b'\r\n\r\n', b'200'),
    (b'GET / HTTP/2.5\r\nHost: x\r\n\r\n', b'505'),
])
def test_malformed_http_is_answered(server, data, status):
    answer = raw_http(server, data)
    assert answer.startswith(b'HTTP/1.1 ' + status), answer[:200]


@pytest.mark.parametrize('flag,sent', [
    ('--http-header-timeout-ms', b'POST / HTTP/1.1\r\nHost: x\r\n'),  # and never the rest of the header
    ('--http-body-timeout-ms', b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"a":'),  # nor the body
])
def test_stalled_request_is_timed_out(runnel_bin, flag, sent):
    s = RunnelServer(runnel_bin, extra_args=[flag, '500'])
    s.start()
    try:
        u = urllib.parse.urlparse(s.url)
        with socket.create_connection((u.hostname, u.port), timeout=10) as c:
            c.sendall(sent)
            t0 = time.monotonic()
            data = c.recv(1024)
            assert time.monotonic() - t0 < 5
            assert data == b''
    finally:
        s.stop()
        s.cleanup()


def test_second_server_on_a_port_in_use_fails(runnel_bin, server, tmp_path):
    port = urllib.parse.urlparse(server.url).port
    proc = subprocess.run([runnel_bin, 'serve', '--host', '127.0.0.1', '--port', str(port),
                           '--data-dir', str(tmp_path / 'other')],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert 'in use' in proc.stderr, proc.stderr[-2000:]


def test_abandoned_long_polls_free_their_slots(runnel_bin):
    s = RunnelServer(runnel_bin, extra_args=['--max-in-flight', '50'])
    s.start()
    try:
        status, _, body = form(s.url, 'sqs', {'Action': 'CreateQueue', 'QueueName': 'lp', 'Version': '2012-11-05'})
        assert status == 200, body
        u = urllib.parse.urlparse(s.url)
        qurl = s.url + '/000000000000/lp'
        # 200 long polls (4 times the limit), then their clients go away.
        socks = []
        params = urllib.parse.urlencode({'Action': 'ReceiveMessage', 'QueueUrl': qurl, 'WaitTimeSeconds': '20',
                                         'Version': '2012-11-05'})
        req = AWSRequest(method='POST', url=s.url + '/', data=params.encode(),
                         headers={'Content-Type': 'application/x-www-form-urlencoded'})
        SigV4Auth(Credentials('test', 'test'), 'sqs', 'us-east-1').add_auth(req)
        head = 'POST / HTTP/1.1\r\nHost: %s:%d\r\n' % (u.hostname, u.port)
        head += ''.join('%s: %s\r\n' % kv for kv in req.headers.items())
        head += 'Content-Length: %d\r\n\r\n' % len(params)
        for _ in range(200):
            c = socket.create_connection((u.hostname, u.port))
            c.sendall(head.encode() + params.encode())
            socks.append(c)
        time.sleep(0.5)
        # While they wait, other requests are served (waiting long polls do not count)...
        status, _, body = form(s.url, 'sqs', {'Action': 'ListQueues', 'Version': '2012-11-05'})
        assert status == 200, body
        for c in socks:
            c.close()
        time.sleep(0.5)
        t0 = time.monotonic()
        for _ in range(20):
            status, _, body = form(s.url, 'sqs', {'Action': 'GetQueueUrl', 'QueueName': 'lp', 'Version': '2012-11-05'})
            assert status == 200, body
        assert time.monotonic() - t0 < 5
    finally:
        s.stop()
        s.cleanup()


# --- bounded writer steps and parsers ----------------------------------------------------------

def test_tag_resource_with_100000_tags_is_refused_before_the_writer(server):
    r = make_raw_table(server.url, 'tags')
    arn = r.json()['TableDescription']['TableArn']
    body = json.dumps({'ResourceArn': arn, 'Tags': [{'Key': 'k%d' % i, 'Value': 'v'} for i in range(100_000)]})
    t0 = time.monotonic()
    r = raw_request(server.url, 'DynamoDB_20120810.TagResource', body)
    assert time.monotonic() - t0 < 3
    assert r.status == 400
    r = raw_request(server.url, 'DynamoDB_20120810.ListTagsOfResource', {'ResourceArn': arn})
    assert r.status == 200 and r.json()['Tags'] == []


def test_sqs_query_with_100000_message_attributes_is_refused_fast(server):
    status, _, body = form(server.url, 'sqs', {'Action': 'CreateQueue', 'QueueName': 'attrs', 'Version': '2012-11-05'})
    assert status == 200, body
    params = {'Action': 'SendMessage', 'QueueUrl': server.url + '/000000000000/attrs', 'MessageBody': 'x',
              'Version': '2012-11-05'}
    for i in range(1, 100_001):
        params['MessageAttribute.%d.Name' % i] = 'a%d' % i
        params['MessageAttribute.%d.Value.DataType' % i] = 'String'
        params['MessageAttribute.%d.Value.StringValue' % i] = 'v'
    body = urllib.parse.urlencode(params).encode()
    t0 = time.monotonic()
    status, _, body = signed(server.url, 'POST', '/', body, service='sqs',
                             headers={'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'})
    assert time.monotonic() - t0 < 3  # 15-39 s of one I/O thread's CPU before
    assert status == 400, body


# --- a full disk -------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 20 MB tmpfs (root only; skipped where mounting is not allowed)."""
    mount = tmp_path / 'disk'
    mount.mkdir()
    r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', str(mount)], capture_output=True)
    if r.returncode != 0:
        pytest.skip('cannot mount a tmpfs here: %s' % r.stderr.decode().strip())
    yield mount
    subprocess.run(['umount', '-l', str(mount)], capture_output=True)


def test_full_disk_refuses_writes_keeps_reads_and_loses_nothing(runnel_bin, small_disk):
    data = str(small_disk / 'data')
    s = RunnelServer(runnel_bin, data_dir=data)
    s.start()
    try:
        r = make_raw_table(s.url, 'fill')
        acked, refused = [], 0
        for i in range(20_000):
            r = raw_request(s.url, 'DynamoDB_20120810.PutItem',
                            {'TableName': 'fill', 'Item': {'p': {'S': 'k%d' % i}, 'v': {'S': 'x' * 4000}}})
            if r.status == 200:
                acked.append(i)
            else:
                assert r.status == 500, r.body
                refused += 1
                if refused >= 20:
                    break
        assert refused >= 20 and len(acked) > 100
        assert s.proc.poll() is None, s.log_tail()
        status, body = health(s.url)
        assert body['storage']['disk_full'] is True
        # Reads go on.
        r = raw_request(s.url, 'DynamoDB_20120810.GetItem', {'TableName': 'fill', 'Key': {'p': {'S': 'k%d' % acked[-1]}}})
        assert r.status == 200 and 'Item' in r.json()
        # Space comes back: writes go on, without a restart.
        subprocess.run(['mount', '-o', 'remount,size=64m', str(small_disk)], check=True)
        time.sleep(0.1)
        more = 20_000
        r = raw_request(s.url, 'DynamoDB_20120810.PutItem',
                        {'TableName': 'fill', 'Item': {'p': {'S': 'k%d' % more}, 'v': {'S': 'y'}}})
        assert r.status == 200, '%s\n%s' % (r.body, s.log_tail(60))
        acked.append(more)
        # Nothing acknowledged is lost across a crash.
        s.kill()
        s.start()
        for i in acked:
            r = raw_request(s.url, 'DynamoDB_20120810.GetItem', {'TableName': 'fill', 'Key': {'p': {'S': 'k%d' % i}}})
            assert r.status == 200 and 'Item' in r.json(), i
    finally:
        s.stop()
        s.cleanup()


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def test_descriptor_exhaustion_backs_off_and_recovers(runnel_bin, tmp_path):
    # A hard limit of 128 descriptors (the server raises its soft limit to the hard one at start).
    s = RunnelServer(runnel_bin)
    original = s.command
    s.command = lambda: ['prlimit', '--nofile=128:128'] + original()
    s.start()
    try:
        u = urllib.parse.urlparse(s.url)
        socks = []
        for _ in range(300):
            try:
                socks.append(socket.create_connection((u.hostname, u.port), timeout=2))
            except OSError:
                break
        time.sleep(0.5)
        before = cpu_seconds(s.proc.pid)
        time.sleep(2)
        used = cpu_seconds(s.proc.pid) - before
        assert used < 0.5, 'the server spun %.2f s of CPU in 2 s while out of descriptors' % used
        with open(s.log_path) as f:
            assert 'http.accept_backoff' in f.read(), 'the descriptors never ran out: ' + s.log_tail()
        for c in socks:
            c.close()
        deadline = time.monotonic() + 10
        while True:
            try:
                status, _ = health(s.url, timeout=1)
                if status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, 'no answer after the connections closed'
            time.sleep(0.2)
    finally:
        s.stop()
        s.cleanup()


@pytest.mark.parametrize('service,params', [
    ('sns', {'Action': 'CreateTopic', 'Name': 'utf8', 'Version': '2010-03-31',
             'Tags.member.1.Key': 'k', 'Tags.member.1.Value': b'\xff\xfe'}),
    ('sqs', {'Action': 'CreateQueue', 'QueueName': 'utf8', 'Version': '2012-11-05',
             'Attribute.1.Name': 'Policy', 'Attribute.1.Value': b'{"a":"\xc0\xaf"}'}),
])
def test_query_invalid_utf8_is_refused(server, service, params):
    status, _, body = form(server.url, service, params)
    assert status == 400, body
    assert b'InvalidParameterValue' in body


def test_bodies_in_flight_share_one_budget(server):
    # Lambda's path takes bodies of up to 69,905,067 bytes; 15 declared 69 MB bodies fit the 1 GiB
    # that all bodies being read share, a 16th does not: exactly one of 16 is answered 503 at once
    # (whichever the server reads last), the others wait for their bodies.
    u = urllib.parse.urlparse(server.url)
    head = (b'POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
            b'Content-Length: 69000000\r\n\r\n')
    held = []
    try:
        for _ in range(16):
            c = socket.create_connection((u.hostname, u.port), timeout=10)
            c.sendall(head)
            held.append(c)
        refused = 0
        deadline = time.monotonic() + 5
        for c in held:
            c.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                answer = c.recv(4096)
            except socket.timeout:
                continue
            assert answer.startswith(b'HTTP/1.1 503'), answer[:200]
            refused += 1
        assert refused == 1
    finally:
        for c in held:
            c.close()
    # The budget is given back when those connections end.
    deadline = time.monotonic() + 5
    while True:
        with socket.create_connection((u.hostname, u.port), timeout=10) as c:
            c.sendall(head)
            c.settimeout(0.5)
            try:
                answer = c.recv(4096)
            except socket.timeout:
                break  # waiting for its body: reserved, not refused
        assert answer.startswith(b'HTTP/1.1 503') and time.monotonic() < deadline, answer[:200]
        time.sleep(0.1)
