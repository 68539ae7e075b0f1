"""CloudWatch Logs (issue 18, first part): log groups and streams, PutLogEvents with AWS's
current rules, GetLogEvents and its tokens, FilterLogEvents with filter patterns and paging,
retention, tags, a function's output as log events, and `aws logs tail` (AWS CLI v2.9)."""

import json
import os
import re
import shutil
import subprocess
import threading
import time

import pytest
from botocore.exceptions import ClientError

from lambda_common import fns, lam  # noqa: F401 (fixtures)
from util import unique_table_name

DAY_MS = 86_400_000


def now_ms():
    return int(time.time() * 1000)


def error_of(e):
    return e.value.response['Error']['Code'], e.value.response['Error']['Message']


@pytest.fixture(scope='module')
def logs(make_client, runnel_only):
    return make_client('logs')


@pytest.fixture
def group(logs):
    name = '/runnel/test/' + unique_table_name('g')
    logs.create_log_group(logGroupName=name)
    yield name
    try:
        logs.delete_log_group(logGroupName=name)
    except ClientError:
        pass


def put(logs, group, stream, events):
    return logs.put_log_events(logGroupName=group, logStreamName=stream,
                               logEvents=[{'timestamp': t, 'message': m} for t, m in events])


def test_log_groups(logs):
    base = '/runnel/groups/' + unique_table_name('g')
    names = [base + '/a', base + '/b', base + '/c']
    for n in names:
        assert logs.create_log_group(logGroupName=n)['ResponseMetadata']['HTTPStatusCode'] == 200
    try:
        with pytest.raises(ClientError) as e:
            logs.create_log_group(logGroupName=names[0])
        assert error_of(e) == ('ResourceAlreadyExistsException', 'The specified log group already exists')
        got = logs.describe_log_groups(logGroupNamePrefix=base)['logGroups']
        assert [g['logGroupName'] for g in got] == names
        g = got[0]
        assert g['arn'].startswith('arn:aws:logs:us-east-1:') and g['arn'].endswith(':log-group:%s:*' % names[0])
        if 'logGroupArn' in g:  # botocore 1.29's model does not know it yet
            assert g['logGroupArn'] == g['arn'][:-2]
        assert abs(g['creationTime'] - now_ms()) < 60_000
        assert g['storedBytes'] == 0 and 'retentionInDays' not in g
        # Paging: one at a time, in name order.
        page = logs.describe_log_groups(logGroupNamePrefix=base, limit=1)
        assert [x['logGroupName'] for x in page['logGroups']] == names[:1]
        page = logs.describe_log_groups(logGroupNamePrefix=base, limit=2, nextToken=page['nextToken'])
        assert [x['logGroupName'] for x in page['logGroups']] == names[1:]
        assert 'nextToken' not in page
        everything = [x['logGroupName'] for p in logs.get_paginator('describe_log_groups').paginate(
            logGroupNamePrefix=base, PaginationConfig={'PageSize': 2}) for x in p['logGroups']]
        assert everything == names
        # A pattern is a case-sensitive substring anywhere in the name.
        assert [x['logGroupName'] for x in logs.describe_log_groups(logGroupNamePattern=base[14:] + '/b')['logGroups']] == names[1:2]
    finally:
        for n in names:
            logs.delete_log_group(logGroupName=n)
    assert logs.describe_log_groups(logGroupNamePrefix=base)['logGroups'] == []
    with pytest.raises(ClientError) as e:
        logs.delete_log_group(logGroupName=names[0])
    assert error_of(e) == ('ResourceNotFoundException', 'The specified log group does not exist.')


def test_log_group_validation(logs, make_client):
    raw = make_client('logs', validate=False)
    with pytest.raises(ClientError) as e:
        raw.create_log_group(logGroupName='bad name!')
    assert error_of(e) == ('InvalidParameterException',
                           "1 validation error detected: Value 'bad name!' at 'logGroupName' failed to satisfy constraint: "
                           "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+")
    with pytest.raises(ClientError) as e:
        raw.create_log_group(logGroupName='x' * 513)
    assert e.value.response['Error']['Code'] == 'InvalidParameterException'
    assert 'Member must have length less than or equal to 512' in e.value.response['Error']['Message']
    with pytest.raises(ClientError) as e:
        raw.create_log_group(logGroupName='aws/mine')
    assert error_of(e) == ('InvalidParameterException', 'Log groups starting with AWS/ are reserved for AWS.')
    with pytest.raises(ClientError) as e:
        raw.describe_log_groups(logGroupNamePrefix='a', logGroupNamePattern='b')
    assert e.value.response['Error']['Code'] == 'InvalidParameterException'
    with pytest.raises(ClientError) as e:
        raw.describe_log_groups(limit=51)
    assert 'Member must have value less than or equal to 50' in e.value.response['Error']['Message']


def test_log_streams(logs, group, make_client):
    for s in ('b-stream', 'a-stream', 'c-stream'):
        logs.create_log_stream(logGroupName=group, logStreamName=s)
    with pytest.raises(ClientError) as e:
        logs.create_log_stream(logGroupName=group, logStreamName='a-stream')
    assert error_of(e) == ('ResourceAlreadyExistsException', 'The specified log stream already exists')
    with pytest.raises(ClientError) as e:
        logs.create_log_stream(logGroupName=group + '-missing', logStreamName='x')
    assert error_of(e) == ('ResourceNotFoundException', 'The specified log group does not exist.')
    with pytest.raises(ClientError) as e:
        logs.create_log_stream(logGroupName=group, logStreamName='has:colon')
    assert e.value.response['Error']['Code'] == 'InvalidParameterException'

    t = now_ms()
    put(logs, group, 'c-stream', [(t - 3000, 'old')])
    put(logs, group, 'a-stream', [(t - 1000, 'newest')])
    put(logs, group, 'b-stream', [(t - 2000, 'middle')])
    streams = logs.describe_log_streams(logGroupName=group)['logStreams']
    assert [s['logStreamName'] for s in streams] == ['a-stream', 'b-stream', 'c-stream']
    a = streams[0]
    assert a['firstEventTimestamp'] == a['lastEventTimestamp'] == t - 1000
    assert abs(a['lastIngestionTime'] - now_ms()) < 60_000
    assert a['arn'].endswith(':log-group:%s:log-stream:a-stream' % group)
    by_time = logs.describe_log_streams(logGroupName=group, orderBy='LastEventTime', descending=True)['logStreams']
    assert [s['logStreamName'] for s in by_time] == ['a-stream', 'b-stream', 'c-stream']
    by_time = logs.describe_log_streams(logGroupName=group, orderBy='LastEventTime')['logStreams']
    assert [s['logStreamName'] for s in by_time] == ['c-stream', 'b-stream', 'a-stream']
    assert [s['logStreamName'] for s in logs.describe_log_streams(logGroupName=group, logStreamNamePrefix='b')['logStreams']] == ['b-stream']
    with pytest.raises(ClientError) as e:
        logs.describe_log_streams(logGroupName=group, orderBy='LastEventTime', logStreamNamePrefix='b')
    assert e.value.response['Error']['Code'] == 'InvalidParameterException'
    page = logs.describe_log_streams(logGroupName=group, limit=2)
    assert len(page['logStreams']) == 2
    rest = logs.describe_log_streams(logGroupName=group, limit=2, nextToken=page['nextToken'])
    assert [s['logStreamName'] for s in rest['logStreams']] == ['c-stream'] and 'nextToken' not in rest
    # By the group's ARN (logGroupIdentifier), as newer clients ask.
    arn = logs.describe_log_groups(logGroupNamePrefix=group)['logGroups'][0]['arn'][:-2]
    # (botocore 1.29's model still requires logGroupName: its validation is off for this call.)
    raw = make_client('logs', validate=False)
    assert len(raw.describe_log_streams(logGroupIdentifier=arn)['logStreams']) == 3
    assert len(raw.describe_log_streams(logGroupIdentifier=arn + ':*')['logStreams']) == 3
    logs.delete_log_stream(logGroupName=group, logStreamName='b-stream')
    with pytest.raises(ClientError) as e:
        logs.delete_log_stream(logGroupName=group, logStreamName='b-stream')
    assert error_of(e) == ('ResourceNotFoundException', 'The specified log stream does not exist.')
    # A deleted stream's events are gone from the group's searches.
    assert [e['message'] for e in logs.filter_log_events(logGroupName=group)['events']] == ['old', 'newest']


def test_put_log_events_rules(logs, group, make_client):
    logs.create_log_stream(logGroupName=group, logStreamName='s')
    t = now_ms()
    r = put(logs, group, 's', [(t, 'one'), (t, 'two')])
    assert r['nextSequenceToken'] and 'rejectedLogEventsInfo' not in r
    # The sequence token is no longer needed, and a stale one is no error (AWS since 2023).
    logs.put_log_events(logGroupName=group, logStreamName='s', sequenceToken='1', logEvents=[{'timestamp': t, 'message': 'three'}])
    with pytest.raises(ClientError) as e:
        put(logs, group, 's', [(t, 'b'), (t - 1, 'a')])
    assert error_of(e) == ('InvalidParameterException', 'Log events in a single PutLogEvents request must be in chronological order.')
    with pytest.raises(ClientError) as e:
        put(logs, group, 's', [(t - DAY_MS - 1, 'a'), (t, 'b')])
    assert error_of(e) == ('InvalidParameterException',
                           'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.')
    with pytest.raises(ClientError) as e:
        put(logs, group, 's', [(t, 'x' * 200_000)] * 6)
    assert error_of(e) == ('InvalidParameterException', 'Upload too large: 1200156 bytes exceeds limit of 1048576')
    with pytest.raises(ClientError) as e:
        put(logs, group, 'no-such-stream', [(t, 'x')])
    assert error_of(e) == ('ResourceNotFoundException', 'The specified log stream does not exist.')
    raw = make_client('logs', validate=False)
    with pytest.raises(ClientError) as e:
        raw.put_log_events(logGroupName=group, logStreamName='s', logEvents=[])
    assert e.value.response['Error']['Code'] == 'InvalidParameterException'
    with pytest.raises(ClientError) as e:
        raw.put_log_events(logGroupName=group, logStreamName='s', logEvents=[{'timestamp': t}])
    assert "at 'logEvents.1.member.message'" in e.value.response['Error']['Message']
    # Too old (over 14 days) and too new (over 2 hours ahead) are reported, the rest stored.
    r = put(logs, group, 's', [(t - 14 * DAY_MS - 7_200_000, 'ancient'), (t - 14 * DAY_MS - 3_600_000, 'ancient too'),
                               (t - 14 * DAY_MS + 3_600_000, 'kept')])
    assert r['rejectedLogEventsInfo'] == {'tooOldLogEventEndIndex': 1}
    r = put(logs, group, 's', [(t + 1, 'soon'), (t + 3 * 3_600_000, 'future'), (t + 4 * 3_600_000, 'further')])
    assert r['rejectedLogEventsInfo'] == {'tooNewLogEventStartIndex': 1}
    stored = [e['message'] for e in logs.get_log_events(logGroupName=group, logStreamName='s', startFromHead=True)['events']]
    assert stored == ['kept', 'one', 'two', 'three', 'soon']
    # Older than the group's retention: expired.
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    r = put(logs, group, 's', [(t - DAY_MS - 3_600_000, 'expired'), (t - 7_200_000, 'fresh')])
    assert r['rejectedLogEventsInfo'] == {'expiredLogEventEndIndex': 0}
    # ... and what the group held from before the retention no longer reads back.
    stored = [e['message'] for e in logs.get_log_events(logGroupName=group, logStreamName='s', startFromHead=True)['events']]
    assert stored == ['fresh', 'one', 'two', 'three', 'soon']
    assert logs.describe_log_groups(logGroupNamePrefix=group)['logGroups'][0]['retentionInDays'] == 1
    with pytest.raises(ClientError) as e:
        logs.put_retention_policy(logGroupName=group, retentionInDays=2)
    assert e.value.response['Error']['Code'] == 'InvalidParameterException'
    assert 'Member must satisfy enum value set: [1, 3, 5, 7, 14, 30' in e.value.response['Error']['Message']
    logs.delete_retention_policy(logGroupName=group)
    assert 'retentionInDays' not in logs.describe_log_groups(logGroupNamePrefix=group)['logGroups'][0]


def test_get_log_events_tokens(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName='s')
    t = now_ms() - 10_000
    put(logs, group, 's', [(t + i, 'm%d' % i) for i in range(10)])
    # Newest first by default (the last `limit` events, in time order), oldest with startFromHead.
    tail = logs.get_log_events(logGroupName=group, logStreamName='s', limit=3)
    assert [e['message'] for e in tail['events']] == ['m7', 'm8', 'm9']
    assert tail['nextForwardToken'].startswith('f/') and tail['nextBackwardToken'].startswith('b/')
    assert len(tail['nextForwardToken']) == 58
    back = logs.get_log_events(logGroupName=group, logStreamName='s', limit=3, nextToken=tail['nextBackwardToken'])
    assert [e['message'] for e in back['events']] == ['m4', 'm5', 'm6']
    head = logs.get_log_events(logGroupName=group, logStreamName='s', limit=4, startFromHead=True)
    assert [e['message'] for e in head['events']] == ['m0', 'm1', 'm2', 'm3']
    assert head['events'][0]['timestamp'] == t and head['events'][0]['ingestionTime'] >= t
    # Forward until the token repeats (what the CLI's paginator does), then new events come.
    token, seen = head['nextForwardToken'], ['m0', 'm1', 'm2', 'm3']
    while True:
        page = logs.get_log_events(logGroupName=group, logStreamName='s', limit=4, nextToken=token)
        seen += [e['message'] for e in page['events']]
        if page['nextForwardToken'] == token:
            break
        token = page['nextForwardToken']
    assert seen == ['m%d' % i for i in range(10)]
    put(logs, group, 's', [(t + 20, 'later')])
    assert [e['message'] for e in logs.get_log_events(logGroupName=group, logStreamName='s', nextToken=token)['events']] == ['later']
    # A time window: startTime inclusive, endTime exclusive.
    window = logs.get_log_events(logGroupName=group, logStreamName='s', startTime=t + 2, endTime=t + 5, startFromHead=True)
    assert [e['message'] for e in window['events']] == ['m2', 'm3', 'm4']
    with pytest.raises(ClientError) as e:
        logs.get_log_events(logGroupName=group, logStreamName='s', nextToken='f/bogus')
    assert e.value.response['Error']['Code'] == 'InvalidParameterException'
    with pytest.raises(ClientError) as e:
        logs.get_log_events(logGroupName=group, logStreamName='missing')
    assert error_of(e) == ('ResourceNotFoundException', 'The specified log stream does not exist.')


def test_filter_log_events(logs, group):
    for s in ('api', 'worker'):
        logs.create_log_stream(logGroupName=group, logStreamName=s)
    t = now_ms() - 60_000
    put(logs, group, 'api', [(t, 'INFO started'), (t + 2, 'ERROR timeout calling db'),
                              (t + 4, json.dumps({'level': 'ERROR', 'latency': 900, 'user': {'id': 'u1'}}))])
    put(logs, group, 'worker', [(t + 1, 'WARN queue deep'), (t + 3, 'ERROR Retrying job 7'),
                                 (t + 5, '127.0.0.1 - - [10/Oct/2000] "GET / HTTP/1.1" 404 12')])

    def messages(**kwargs):
        return [e['message'] for e in logs.filter_log_events(logGroupName=group, **kwargs)['events']]

    # Interleaved across streams, in time order, every field present.
    everything = logs.filter_log_events(logGroupName=group)
    assert [e['logStreamName'] for e in everything['events']] == ['api', 'worker', 'api', 'worker', 'api', 'worker']
    first = everything['events'][0]
    assert first['timestamp'] == t and len(first['eventId']) == 56 and first['ingestionTime'] > 0
    assert everything['searchedLogStreams'] == [] and 'nextToken' not in everything
    json_line = json.dumps({'level': 'ERROR', 'latency': 900, 'user': {'id': 'u1'}})
    assert messages(filterPattern='ERROR') == ['ERROR timeout calling db', 'ERROR Retrying job 7', json_line]
    assert messages(filterPattern='ERROR -Retrying') == ['ERROR timeout calling db', json_line]
    assert messages(filterPattern='?WARN ?timeout') == ['WARN queue deep', 'ERROR timeout calling db']
    assert messages(filterPattern='"queue deep"') == ['WARN queue deep']
    assert messages(filterPattern='{ $.level = "ERROR" && $.latency > 500 }') == [json_line]
    assert messages(filterPattern='{ $.user.id NOT EXISTS }') == []
    assert messages(filterPattern='[ip, dash, user, time, request, status = 404, bytes]')[0].startswith('127.0.0.1')
    assert messages(logStreamNames=['worker'], filterPattern='ERROR') == ['ERROR Retrying job 7']
    assert len(messages(logStreamNamePrefix='wor')) == 3
    assert messages(startTime=t + 2, endTime=t + 4) == ['ERROR timeout calling db', 'ERROR Retrying job 7']
    # Paging by limit: every event once, in order.
    seen, token = [], None
    while True:
        kwargs = {'limit': 2}
        if token:
            kwargs['nextToken'] = token
        page = logs.filter_log_events(logGroupName=group, **kwargs)
        seen += [e['eventId'] for e in page['events']]
        token = page.get('nextToken')
        if not token:
            break
    assert seen == [e['eventId'] for e in everything['events']]
    with pytest.raises(ClientError) as e:
        logs.filter_log_events(logGroupName=group, filterPattern='{ $.level = }')
    assert e.value.response['Error']['Code'] == 'InvalidParameterException'
    with pytest.raises(ClientError) as e:
        logs.filter_log_events(logGroupName=group, logStreamNames=['api'], logStreamNamePrefix='a')
    assert e.value.response['Error']['Code'] == 'InvalidParameterException'
    with pytest.raises(ClientError) as e:
        logs.filter_log_events(logGroupName=group + '-missing')
    assert error_of(e) == ('ResourceNotFoundException', 'The specified log group does not exist.')


def test_tags(logs, group):
    arn = logs.describe_log_groups(logGroupNamePrefix=group)['logGroups'][0]['arn'][:-2]
    logs.tag_resource(resourceArn=arn, tags={'team': 'core', 'env': 'dev'})
    assert logs.list_tags_for_resource(resourceArn=arn)['tags'] == {'team': 'core', 'env': 'dev'}
    logs.untag_resource(resourceArn=arn, tagKeys=['env'])
    assert logs.list_tags_log_group(logGroupName=group)['tags'] == {'team': 'core'}
    logs.tag_log_group(logGroupName=group, tags={'x': 'y'})
    logs.untag_log_group(logGroupName=group, tags=['team'])
    assert logs.list_tags_for_resource(resourceArn=arn)['tags'] == {'x': 'y'}
    with pytest.raises(ClientError) as e:
        logs.tag_resource(resourceArn=arn, tags={'k%d' % i: 'v' for i in range(50)})
    assert e.value.response['Error']['Code'] == 'TooManyTagsException'
    # Tags given at creation.
    tagged = group + '-tagged'
    logs.create_log_group(logGroupName=tagged, tags={'a': 'b'})
    assert logs.list_tags_log_group(logGroupName=tagged)['tags'] == {'a': 'b'}
    logs.delete_log_group(logGroupName=tagged)


def test_accounts_stay_apart(logs, make_client, group):
    other = make_client('logs', access_key='111122223333', validate=False)
    assert group not in [g['logGroupName'] for g in other.describe_log_groups(logGroupNamePrefix=group)['logGroups']]
    arn = logs.describe_log_groups(logGroupNamePrefix=group)['logGroups'][0]['arn'][:-2]
    with pytest.raises(ClientError) as e:
        other.filter_log_events(logGroupIdentifier=arn)
    assert e.value.response['Error']['Code'] == 'ResourceNotFoundException'
    with pytest.raises(ClientError) as e:
        other.list_tags_for_resource(resourceArn=arn)
    assert e.value.response['Error']['Code'] == 'ResourceNotFoundException'


PRINTER = '''
import sys
print("init line", flush=True)

def handler(event, ctx):
    for line in event["lines"]:
        print(line, flush=True)
    print("to stderr", file=sys.stderr, flush=True)
    return {"ok": True}
'''


# A function's output: each line an event of its sandbox's stream in /aws/lambda/<name>, the group
# and stream made on first use, readable within a second of the invocation's return.
def test_function_output_is_log_events(logs, fns):
    fn = fns.create(code=PRINTER, tag='logs')
    fn.call({'lines': ['hello from the function', 'second line']})
    group = '/aws/lambda/' + fn.name
    deadline = time.monotonic() + 1.0
    while True:
        try:
            got = [e['message'] for e in logs.filter_log_events(logGroupName=group)['events']]
        except ClientError:
            got = []
        if 'second line' in got and 'to stderr' in got:
            break
        assert time.monotonic() < deadline, got
        time.sleep(0.05)
    assert got.index('init line') < got.index('hello from the function') < got.index('second line')
    streams = logs.describe_log_streams(logGroupName=group)['logStreams']
    assert len(streams) == 1
    assert re.fullmatch(r'\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}', streams[0]['logStreamName'])
    assert [e['message'] for e in logs.filter_log_events(logGroupName=group, filterPattern='hello')['events']] == ['hello from the function']
    # Lambda's own lines: START and END around each invocation, and a REPORT with a measured Max
    # Memory Used; Init Duration on the cold start's REPORT only.
    fn.call({'lines': ['warm']})

    def reports():
        return [e['message'] for e in logs.filter_log_events(logGroupName=group, filterPattern='REPORT')['events']]
    deadline = time.monotonic() + 2.0
    while len(reports()) < 2:
        assert time.monotonic() < deadline, reports()
        time.sleep(0.05)
    cold, warm = reports()
    for line in (cold, warm):
        assert re.fullmatch(r'REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t'
                            r'Memory Size: 128 MB\tMax Memory Used: (\d+) MB\t(Init Duration: \d+\.\d\d ms\t)?', line), line
        used = int(re.search(r'Max Memory Used: (\d+) MB', line).group(1))
        assert 1 <= used < 128, line  # a Python process's few MB, measured, not the memory size
    assert 'Init Duration' in cold and 'Init Duration' not in warm
    messages = [e['message'] for e in logs.filter_log_events(logGroupName=group)['events']]
    starts = [m for m in messages if m.startswith('START RequestId: ')]
    ends = [m for m in messages if m.startswith('END RequestId: ')]
    assert len(starts) == len(ends) == 2 and starts[0].endswith('Version: $LATEST')
    assert messages.index(starts[1]) < messages.index('warm') < messages.index(ends[1])


AWS = os.environ.get('RUNNEL_AWS_CLI', '/usr/bin/aws')


def cli_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTHON', 'AWS_'))}
    env.update(AWS_ACCESS_KEY_ID='test', AWS_SECRET_ACCESS_KEY='test', AWS_DEFAULT_REGION='us-east-1',
               AWS_CONFIG_FILE=str(tmp_path / 'config'), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / 'credentials'),
               AWS_PAGER='', HOME=str(tmp_path))
    return env


# `aws logs tail` as the README shows it: the events of the last hour, then --follow sees a new
# event (the CLI asks again every 5 s).
def test_aws_logs_tail(logs, group, target, tmp_path):
    if not (os.path.isfile(AWS) or shutil.which(AWS)):
        pytest.skip('no AWS CLI at %s' % AWS)
    logs.create_log_stream(logGroupName=group, logStreamName='s')
    put(logs, group, 's', [(now_ms() - 1000, 'first tailed line')])
    env = cli_env(tmp_path)
    p = subprocess.run([AWS, '--endpoint-url', target.url, 'logs', 'tail', group, '--since', '1h'], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert 'first tailed line' in p.stdout and ' s ' in p.stdout
    # Unbuffered: the CLI's output goes to a pipe here, not a terminal.
    follow = subprocess.Popen([AWS, '--endpoint-url', target.url, 'logs', 'tail', group, '--follow',
                               '--format', 'short'], env=dict(env, PYTHONUNBUFFERED='1'), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(iter(follow.stdout.readline, '')), daemon=True)
    reader.start()
    try:
        time.sleep(1.5)
        put(logs, group, 's', [(now_ms(), 'followed line')])
        deadline = time.monotonic() + 20
        while not any('followed line' in line for line in list(lines)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert any('followed line' in line for line in list(lines)), lines
    finally:
        follow.kill()
        follow.wait(10)


# kill -9 under a logging load: every acknowledged PutLogEvents batch is there after the restart,
# with its stream's counters; nothing is there that was never sent.
def test_acknowledged_events_survive_kill_9(runnel_bin):
    from lambda_common import client_for
    from runnel_server import RunnelServer
    server = RunnelServer(runnel_bin, durability='strict')
    try:
        server.start()
        client = client_for('logs', server.url)
        client.create_log_group(logGroupName='/crash/test')
        writers = 4
        for w in range(writers):
            client.create_log_stream(logGroupName='/crash/test', logStreamName='w%d' % w)
        acked = {w: [] for w in range(writers)}
        in_doubt = {w: None for w in range(writers)}
        stop = threading.Event()

        def write(w):
            c = client_for('logs', server.url)
            n = 0
            while not stop.is_set() and n < 20000:
                batch = ['w%d-%d-%d' % (w, n, i) for i in range(5)]
                try:
                    c.put_log_events(logGroupName='/crash/test', logStreamName='w%d' % w,
                                     logEvents=[{'timestamp': now_ms(), 'message': m} for m in batch])
                except Exception:
                    in_doubt[w] = batch
                    return
                acked[w].extend(batch)
                n += 1

        threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
        for t in threads:
            t.start()
        time.sleep(2.0)
        server.kill()
        stop.set()
        for t in threads:
            t.join(30)
        assert sum(len(v) for v in acked.values()) > 0
        server.start()
        client = client_for('logs', server.url)
        for w in range(writers):
            got, token = [], None
            while True:
                kwargs = {'nextToken': token} if token else {'startFromHead': True}
                page = client.get_log_events(logGroupName='/crash/test', logStreamName='w%d' % w, **kwargs)
                got += [e['message'] for e in page['events']]
                if page['nextForwardToken'] == token:
                    break
                token = page['nextForwardToken']
            # Every acknowledged batch, in order; at most the one batch in doubt after them.
            assert got[:len(acked[w])] == acked[w], w
            extra = got[len(acked[w]):]
            assert extra in ([], in_doubt[w]), (w, extra)
            stream = client.describe_log_streams(logGroupName='/crash/test', logStreamNamePrefix='w%d' % w)['logStreams'][0]
            if got:
                assert stream['lastEventTimestamp'] >= stream['firstEventTimestamp']
    finally:
        server.stop()
        server.cleanup()
