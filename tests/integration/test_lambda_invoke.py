"""Lambda Invoke, written to AWS's Invoke API reference and the Runtime API
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): synchronous answers and function
errors, the log tail, the function process's environment and Runtime API headers, timeouts,
crashed and broken bootstraps, sandbox reuse and concurrency, DryRun, asynchronous (Event)
invocations, their retries (MaximumRetryAttempts) and the function's dead-letter queue.

Retry tests run on a server with --lambda-async-retry-delay-ms 200 (lambda_common.fast_server);
AWS waits a minute before the first retry and two before the second.
"""

import base64
import json
import re
import threading
import time

import pytest
from botocore.exceptions import ClientError

from lambda_common import (ECHO, ENV, FAIL, HANDLER, RECORD, RECORD_AND_FAIL, SLEEP, client_for,  # noqa: F401
                           fast_fns, fast_server, fns, lam, log_of, make_zip, poll, zip_entries)
from sqs_common import Queues, queues, receive_until, sqs  # noqa: F401  (fixtures)
from util import error_code, unique_table_name

PRINT = '''
def handler(event, ctx):
    print('stdout says', event['marker'])
    print('stderr says', event['marker'], file=sys.stderr)
    return {'request_id': ctx['request_id']}
'''

EXIT_ON_DIE = '''
def handler(event, ctx):
    if event.get('die'):
        os._exit(3)
    return {'pid': os.getpid()}
'''

COUNTER = '''
CALLS = [0]
def handler(event, ctx):
    CALLS[0] += 1
    return {'pid': os.getpid(), 'calls': CALLS[0]}
'''

FLAKY = '''
def handler(event, ctx):
    record(request_id=ctx['request_id'], event=event, at=time.time())
    marker = os.path.join(os.environ['OUT_DIR'], 'failed-once')
    if not os.path.exists(marker):
        open(marker, 'w').close()
        raise FunctionError('first attempt fails', 'Flaky')
    return 'ok'
'''

SEND_TO_SQS = '''
def handler(event, ctx):
    try:
        import boto3
    except ImportError:
        raise FunctionError('no boto3 for ' + sys.executable, 'NoBoto3')
    sqs = boto3.client('sqs', endpoint_url=os.environ['AWS_ENDPOINT_URL'], region_name=os.environ['AWS_REGION'])
    return sqs.send_message(QueueUrl=event['queue'], MessageBody=event['body'])['MessageId']
'''

TOGETHER = '''
def handler(event, ctx):
    out = os.environ['OUT_DIR']
    open(os.path.join(out, 'inside-' + ctx['request_id']), 'w').close()
    deadline = time.time() + 8
    while True:
        n = len([f for f in os.listdir(out) if f.startswith('inside-')])
        if n >= event['n'] or time.time() > deadline:
            return {'sandbox': os.environ['AWS_LAMBDA_LOG_STREAM_NAME'], 'together': n}
        time.sleep(0.02)
'''

INIT_ERROR = '''#!/usr/bin/env python3
import json, os, sys, urllib.request
url = 'http://%s/2018-06-01/runtime/init/error' % os.environ['AWS_LAMBDA_RUNTIME_API']
body = json.dumps({'errorMessage': 'configuration missing', 'errorType': 'Init.ConfigError'}).encode()
urllib.request.urlopen(urllib.request.Request(url, data=body, method='POST', headers={
    'Lambda-Runtime-Function-Error-Type': 'Init.ConfigError'}), timeout=10).read()
sys.exit(1)
'''


UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')


def failure(r, body):
    """The error document of a failed invocation (after checking it failed as AWS says)."""
    assert r['StatusCode'] == 200, r
    assert r.get('FunctionError') == 'Unhandled', (r, body)
    return json.loads(body)


def dlq_messages(sqs, url, n=1, timeout=15):
    return receive_until(sqs, url, lambda got: len(got) >= n, timeout=timeout, MessageAttributeNames=['All'])


# --- RequestResponse --------------------------------------------------------------------------

# A synchronous invoke answers 200 with the function's response and the version that ran.
def test_invoke_echo(fns):
    fn = fns.create(ECHO)
    event = {'text': 'héllo ☃', 'n': [1, 2.5, None, True]}
    r, body = fn.invoke(event)
    assert r['StatusCode'] == 200
    assert r['ExecutedVersion'] == '$LATEST'
    assert 'FunctionError' not in r and 'LogResult' not in r
    assert json.loads(body) == event


# The response is the bytes the runtime posted, whatever they are.
def test_invoke_response_bytes_exact(fns):
    fn = fns.create("def handler(event, ctx):\n    return 'not json ☃ <&>\\n'.encode()\n")
    assert fn.invoke({})[1] == 'not json ☃ <&>\n'.encode()


# A function is invoked by name, by ARN, and with the $LATEST qualifier.
def test_invoke_by_arn_and_qualifier(fns):
    fn = fns.create(ECHO)
    assert json.loads(fns.lam.invoke(FunctionName=fn.arn, Payload=b'{"by": "arn"}')['Payload'].read()) == {'by': 'arn'}
    r = fns.lam.invoke(FunctionName=fn.name, Qualifier='$LATEST', Payload=b'{"q": 1}')
    assert (r['ExecutedVersion'], json.loads(r['Payload'].read())) == ('$LATEST', {'q': 1})


# A function that does not exist is ResourceNotFoundException (404), whatever the invocation type.
@pytest.mark.parametrize('kind', ['RequestResponse', 'Event', 'DryRun'])
def test_invoke_unknown_function(lam, kind):
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=unique_table_name('fn_missing'), InvocationType=kind, Payload=b'{}')
    assert error_code(e) == 'ResourceNotFoundException'
    assert e.value.response['ResponseMetadata']['HTTPStatusCode'] == 404


# A payload that is not JSON is InvalidRequestContentException (400); the function does not run.
@pytest.mark.parametrize('kind', ['RequestResponse', 'Event'])
def test_invoke_payload_not_json(fns, kind):
    fn = fns.create(RECORD, record=True)
    with pytest.raises(ClientError) as e:
        fns.lam.invoke(FunctionName=fn.name, InvocationType=kind, Payload=b'{not json')
    assert error_code(e) == 'InvalidRequestContentException'
    assert e.value.response['ResponseMetadata']['HTTPStatusCode'] == 400
    time.sleep(0.5)
    assert fn.records() == []


# The invocation's request id is the response's x-amzn-RequestId and the runtime's
# Lambda-Runtime-Aws-Request-Id.
def test_request_id_is_the_runtime_request_id(fns):
    fn = fns.create(ENV)
    r, body = fn.invoke({})
    assert UUID_RE.match(json.loads(body)['request_id'])
    assert r['ResponseMetadata']['RequestId'] == json.loads(body)['request_id']


# A function error: still 200, FunctionError Unhandled, and the error document the runtime posted.
def test_function_error(fns):
    fn = fns.create(FAIL)
    doc = failure(*fn.invoke({'x': 1}))
    assert (doc['errorMessage'], doc['errorType']) == ('boom', 'TestError')


# --- The log tail -----------------------------------------------------------------------------

# LogType Tail: LogResult is the base64 log of this invocation: START, what the process wrote to
# stdout and stderr, END and REPORT, each naming the request id.
def test_log_tail(fns):
    fn = fns.create(PRINT)
    r, body = fn.invoke({'marker': 'm-4711'}, LogType='Tail')
    rid = json.loads(body)['request_id']
    log = log_of(r)
    assert 'stdout says m-4711' in log and 'stderr says m-4711' in log
    start, end, report = ('%s RequestId: %s' % (w, rid) for w in ('START', 'END', 'REPORT'))
    for line in (start, end, report):
        assert line in log, log
    assert log.index(start) < log.index('stdout says m-4711') < log.index(end) < log.index(report)


# Each invocation's tail holds its own lines only.
def test_log_tail_per_invocation(fns):
    fn = fns.create(PRINT)
    fn.invoke({'marker': 'first-call'}, LogType='Tail')
    log = log_of(fn.invoke({'marker': 'second-call'}, LogType='Tail')[0])
    assert 'second-call' in log and 'first-call' not in log


# The tail is the last 4 KB of the log.
def test_log_tail_last_4kb(fns):
    fn = fns.create("def handler(event, ctx):\n"
                    "    for i in range(300):\n"
                    "        print('line %03d ' % i + 'x' * 40)\n"
                    "    print('LAST-LINE')\n"
                    "    return {}\n")
    r, _ = fn.invoke({}, LogType='Tail')
    raw = base64.b64decode(r['LogResult'])
    assert len(raw) <= 4096
    assert b'LAST-LINE' in raw and b'line 000' not in raw


# --- The function process ---------------------------------------------------------------------

# The process gets Lambda's environment and the function's variables, and runs in LAMBDA_TASK_ROOT.
def test_environment(fns, target):
    fn = fns.create(ENV, env={'MY_VAR': 'mine ☃', 'OTHER': ''}, MemorySize=256)
    got = fn.call()
    env = got['env']
    assert re.match(r'^[\w.\-]+:\d+$', env['AWS_LAMBDA_RUNTIME_API']), env['AWS_LAMBDA_RUNTIME_API']
    assert env['_HANDLER'] == HANDLER
    assert env['AWS_LAMBDA_FUNCTION_NAME'] == fn.name
    assert env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'] == '256'
    assert env['AWS_LAMBDA_FUNCTION_VERSION'] == '$LATEST'
    assert env['AWS_REGION'] == env['AWS_DEFAULT_REGION'] == 'us-east-1'
    assert env['LAMBDA_TASK_ROOT'] == got['cwd']
    assert env['AWS_LAMBDA_LOG_GROUP_NAME'] == '/aws/lambda/' + fn.name
    assert re.match(r'^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$', env['AWS_LAMBDA_LOG_STREAM_NAME']), \
        env['AWS_LAMBDA_LOG_STREAM_NAME']
    assert env['AWS_ACCESS_KEY_ID'] and env['AWS_SECRET_ACCESS_KEY']
    assert env['AWS_ENDPOINT_URL'].rstrip('/') == target.url
    assert (env['MY_VAR'], env['OTHER']) == ('mine ☃', '')
    assert '/usr/bin' in [p.rstrip('/') for p in env.get('PATH', '').split(':')]


# PATH, LANG and TZ are defaults a function may set (AWS reserves only the others), and so is the
# AWS_ENDPOINT_URL runnel points the function's SDK at.
def test_environment_overrides(fns):
    mine = {'PATH': '/opt/mine/bin:/usr/bin:/bin', 'LANG': 'C.UTF-8', 'TZ': 'Europe/Paris',
            'AWS_ENDPOINT_URL': 'http://127.0.0.1:9'}
    env = fns.create(ENV, env=mine).call()['env']
    assert {k: env[k] for k in mine} == mine


# The zip's other files are in the working directory, subdirectories included.
def test_code_directory(fns):
    code = ("def handler(event, ctx):\n"
            "    with open('data/greeting.txt') as f:\n"
            "        rel = f.read()\n"
            "    with open(os.path.join(os.environ['LAMBDA_TASK_ROOT'], 'top.bin'), 'rb') as f:\n"
            "        top = f.read().hex()\n"
            "    return {'rel': rel, 'top': top}\n")
    fn = fns.create(zip_bytes=make_zip(code, files={'data/greeting.txt': 'hello from the zip ☃', 'top.bin': b'\x00\xff'}))
    assert fn.call() == {'rel': 'hello from the zip ☃', 'top': '00ff'}


# The runtime is told the deadline (now + Timeout) and the invoked function's ARN.
def test_runtime_headers(fns):
    fn = fns.create(ENV, Timeout=10)
    got = fn.call()
    assert 7000 < got['deadline_ms'] - got['now_ms'] <= 10500, got['deadline_ms'] - got['now_ms']
    assert got['function_arn'] == fn.arn


# With AWS_ENDPOINT_URL and the credentials it is given, a function calls runnel's other services.
def test_function_calls_runnel(fns, queues, sqs):
    url = queues.create('fromfn')
    fn = fns.create(SEND_TO_SQS, Timeout=30)
    mid = fn.call({'queue': url, 'body': 'sent by a function'})
    msgs = receive_until(sqs, url, lambda got: len(got) >= 1, timeout=5)
    assert [(m['MessageId'], m['Body']) for m in msgs] == [(mid, 'sent by a function')]


# A warm sandbox serves the next invocations: the same process, initialized once.
def test_warm_sandbox_is_reused(fns):
    fn = fns.create(COUNTER)
    got = [fn.call() for _ in range(3)]
    assert [g['calls'] for g in got] == [1, 2, 3]
    assert len({g['pid'] for g in got}) == 1


# Concurrent invocations run side by side, each in its own sandbox: every handler waits (up to 8 s)
# until all three are inside a handler at once.
def test_concurrent_invocations(fns):
    fn = fns.create(TOGETHER, record=True, Timeout=10)
    results, errors = [], []

    def one():
        try:
            results.append(fn.call({'n': 3}))
        except Exception as e:  # reported below
            errors.append(e)
    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and len(results) == 3, errors
    assert [r['together'] for r in results] == [3, 3, 3], 'the invocations did not run at the same time'
    # One execution environment each (its log stream names it; a PID namespace makes every pid alike).
    assert len({r['sandbox'] for r in results}) == 3


# --- Timeouts and broken runtimes -------------------------------------------------------------

# A function running past its Timeout fails with "Task timed out after 1.00 seconds" at about
# that time; the next invocation gets a working sandbox.
def test_timeout(fns):
    fn = fns.create(SLEEP, Timeout=1)
    t0 = time.monotonic()
    doc = failure(*fn.invoke({'sleep': 5}))
    elapsed = time.monotonic() - t0
    assert 'Task timed out after 1.00 seconds' in doc['errorMessage'], doc
    assert 0.9 < elapsed < 3.5, elapsed
    assert fn.call({'sleep': 0})['slept'] == 0


# A process that exits mid-invocation fails it with Runtime.ExitError; the next one works.
def test_process_exit_mid_invocation(fns):
    fn = fns.create(EXIT_ON_DIE)
    doc = failure(*fn.invoke({'die': True}))
    assert doc['errorType'] == 'Runtime.ExitError', doc
    assert 'exit status 3' in doc['errorMessage'], doc
    assert fn.call({})['pid']


# A bootstrap that exits before asking for work fails the invocation with Runtime.ExitError.
def test_bootstrap_exits_at_start(fns):
    fn = fns.create(zip_bytes=make_zip(script='#!/bin/sh\necho starting but leaving\nexit 2\n'))
    doc = failure(*fn.invoke({}))
    assert doc['errorType'] == 'Runtime.ExitError', doc
    assert 'exit status 2' in doc['errorMessage'], doc


# An error posted to /runtime/init/error fails the invocation with that error.
def test_init_error(fns):
    fn = fns.create(zip_bytes=make_zip(script=INIT_ERROR))
    doc = failure(*fn.invoke({}))
    assert (doc['errorType'], doc['errorMessage']) == ('Init.ConfigError', 'configuration missing')


# No bootstrap in the zip, or one that is not executable: Runtime.InvalidEntrypoint.
@pytest.mark.parametrize('entries', [{'readme.txt': ('no bootstrap here', 0o644)},
                                     {'bootstrap': ('#!/bin/sh\nexit 0\n', 0o644)}], ids=['missing', 'not-executable'])
def test_invalid_entrypoint(fns, entries):
    fn = fns.create(zip_bytes=zip_entries(entries))
    doc = failure(*fn.invoke({}))
    assert doc['errorType'] == 'Runtime.InvalidEntrypoint', doc


# --- DryRun and Event -------------------------------------------------------------------------

# DryRun answers 204 and runs nothing.
def test_dry_run(fns):
    fn = fns.create(RECORD, record=True)
    r, body = fn.invoke({'x': 1}, InvocationType='DryRun')
    assert r['StatusCode'] == 204 and body == b''
    time.sleep(1)
    assert fn.records() == []


# Event answers 202 at once; the function then runs once with the event.
def test_event_invoke(fns):
    fn = fns.create(RECORD, record=True)
    r, body = fn.invoke({'async': 'yes ☃'}, InvocationType='Event')
    assert r['StatusCode'] == 202 and body == b''
    got = fn.wait_records(1)
    assert [g['event'] for g in got] == [{'async': 'yes ☃'}]
    assert UUID_RE.match(got[0]['request_id'])
    time.sleep(1)
    assert len(fn.records()) == 1, 'a successful async invocation ran again'


# The 202's x-amzn-RequestId is the request id the function runs under.
def test_event_request_id_is_the_runtime_request_id(fns):
    fn = fns.create(RECORD, record=True)
    r, _ = fn.invoke({}, InvocationType='Event')
    assert [g['request_id'] for g in fn.wait_records(1)] == [r['ResponseMetadata']['RequestId']]


# Many Event invocations each run once.
def test_event_invokes_each_run_once(fns):
    fn = fns.create(RECORD, record=True)
    for i in range(10):
        assert fn.invoke({'n': i}, InvocationType='Event')[0]['StatusCode'] == 202
    fn.wait_records(10)
    time.sleep(1)
    got = fn.records()
    assert sorted(g['event']['n'] for g in got) == list(range(10))
    assert len({g['request_id'] for g in got}) == 10


# A failed Event invocation with MaximumRetryAttempts 0 goes to the function's dead-letter queue:
# the event as sent, with RequestID, ErrorCode and ErrorMessage attributes.
def test_event_failure_to_dead_letter_queue(fns, queues, sqs):
    dlq = queues.create('dlq')
    fn = fns.create(RECORD_AND_FAIL, record=True, DeadLetterConfig={'TargetArn': queues.arn(dlq)})
    fns.lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumRetryAttempts=0)
    payload = b'{"order": 17, "note": "caf\\u00e9"}'
    fn.invoke(payload=payload, InvocationType='Event')
    msgs = dlq_messages(sqs, dlq)
    assert len(msgs) == 1
    rid = fn.records()[0]['request_id']
    assert msgs[0]['Body'] == payload.decode()
    attrs = msgs[0]['MessageAttributes']
    assert attrs['RequestID'] == {'DataType': 'String', 'StringValue': rid}
    assert (attrs['ErrorCode']['DataType'], attrs['ErrorCode']['StringValue']) == ('Number', '200')
    assert attrs['ErrorMessage']['DataType'] == 'String' and 'boom' in attrs['ErrorMessage']['StringValue']
    assert len(fn.records()) == 1


# A timed-out Event invocation is a failure too.
def test_event_timeout_to_dead_letter_queue(fns, queues, sqs):
    dlq = queues.create('dlq')
    fn = fns.create(SLEEP, Timeout=1, DeadLetterConfig={'TargetArn': queues.arn(dlq)})
    fns.lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumRetryAttempts=0)
    fn.invoke({'sleep': 5}, InvocationType='Event')
    msgs = dlq_messages(sqs, dlq)
    assert [json.loads(m['Body']) for m in msgs] == [{'sleep': 5}]
    assert UUID_RE.match(msgs[0]['MessageAttributes']['RequestID']['StringValue'])
    assert 'timed out' in msgs[0]['MessageAttributes']['ErrorMessage']['StringValue']


# --- Retries (a server with 200 ms retry delays) ----------------------------------------------

@pytest.fixture
def fast_queues(fast_server):
    q = Queues(client_for('sqs', fast_server.url))
    yield q
    q.cleanup()


# A failing Event invocation runs 1 + MaximumRetryAttempts times (2 retries without a
# configuration), always under the same request id, then goes to the dead-letter queue once.
@pytest.mark.parametrize('retries,runs', [(None, 3), (0, 1), (1, 2), (2, 3)], ids=['default', '0', '1', '2'])
def test_event_retries(fast_fns, fast_queues, retries, runs):
    dlq = fast_queues.create('dlq')
    fn = fast_fns.create(RECORD_AND_FAIL, record=True, DeadLetterConfig={'TargetArn': fast_queues.arn(dlq)})
    if retries is not None:
        fast_fns.lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumRetryAttempts=retries)
    fn.invoke({'try': 'me'}, InvocationType='Event')
    msgs = dlq_messages(fast_queues.client, dlq)
    assert [json.loads(m['Body']) for m in msgs] == [{'try': 'me'}]
    rid = msgs[0]['MessageAttributes']['RequestID']['StringValue']
    got = fn.records()
    assert len(got) == runs, 'the dead letter came after %d runs, not %d' % (len(got), runs)
    assert {g['request_id'] for g in got} == {rid}
    assert all(b['at'] - a['at'] >= 0.15 for a, b in zip(got, got[1:])), 'retries are delayed'
    time.sleep(1)
    assert len(fn.records()) == runs
    assert dlq_messages(fast_queues.client, dlq, timeout=1) == []


# A retry that succeeds ends the invocation: two runs, nothing dead-lettered.
def test_event_retry_succeeds(fast_fns, fast_queues):
    dlq = fast_queues.create('dlq')
    fn = fast_fns.create(FLAKY, record=True, DeadLetterConfig={'TargetArn': fast_queues.arn(dlq)})
    fn.invoke({'k': 1}, InvocationType='Event')
    got = fn.wait_records(2)
    assert [g['event'] for g in got] == [{'k': 1}, {'k': 1}]
    time.sleep(1.5)
    assert len(fn.records()) == 2
    assert dlq_messages(fast_queues.client, dlq, timeout=1) == []


# Without a dead-letter queue a failed Event invocation is dropped after its retries.
def test_event_failure_without_dead_letter_queue(fast_fns):
    fn = fast_fns.create(RECORD_AND_FAIL, record=True)
    fast_fns.lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumRetryAttempts=1)
    fn.invoke({}, InvocationType='Event')
    fn.wait_records(2)
    time.sleep(1.5)
    assert len(fn.records()) == 2
