"""The AWS CLI v2 (/usr/bin/aws) against the server: create-table, put-item, query, delete-table,
reading a table's stream with `aws dynamodbstreams`, a queue's life with `aws sqs`, a topic
fanning out to a queue with `aws sns`, and a function's life with `aws lambda`."""

import hashlib
import json
import os
import shutil
import subprocess

import pytest

from util import unique_table_name

AWS = os.environ.get('RUNNEL_AWS_CLI', '/usr/bin/aws')


@pytest.fixture(scope='module')
def aws(target, tmp_path_factory):
    if target.is_aws:
        pytest.skip('CLI smoke test targets a local endpoint')
    if not (os.path.isfile(AWS) or shutil.which(AWS)):
        pytest.skip('no AWS CLI at %s' % AWS)
    home = tmp_path_factory.mktemp('awscli')
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('PYTHON', 'AWS_'))}  # the CLI must use its own botocore
    env.update(AWS_ACCESS_KEY_ID='test', AWS_SECRET_ACCESS_KEY='test', AWS_DEFAULT_REGION='us-east-1',
               AWS_CONFIG_FILE=str(home / 'config'), AWS_SHARED_CREDENTIALS_FILE=str(home / 'credentials'),
               AWS_PAGER='', HOME=str(home))

    def run(*args, service='dynamodb'):
        cmd = [AWS, '--endpoint-url', target.url, '--output', 'json', service] + list(args)
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, 'aws %s failed (%d):\n%s' % (' '.join(args), p.returncode, p.stderr)
        return json.loads(p.stdout) if p.stdout.strip() else None
    return run


# The everyday CLI flow works end to end.
def test_cli_table_lifecycle(aws):
    name = unique_table_name('cli')
    d = aws('create-table', '--table-name', name,
            '--attribute-definitions', 'AttributeName=pk,AttributeType=S', 'AttributeName=sk,AttributeType=N',
            '--key-schema', 'AttributeName=pk,KeyType=HASH', 'AttributeName=sk,KeyType=RANGE',
            '--billing-mode', 'PAY_PER_REQUEST')
    try:
        assert d['TableDescription']['TableName'] == name
        aws('wait', 'table-exists', '--table-name', name)
        for i in (1, 2, 3):
            aws('put-item', '--table-name', name, '--item',
                json.dumps({'pk': {'S': 'user#1'}, 'sk': {'N': str(i)}, 'msg': {'S': 'hello %d' % i}}))
        q = aws('query', '--table-name', name, '--key-condition-expression', 'pk = :pk AND sk >= :two',
                '--expression-attribute-values', json.dumps({':pk': {'S': 'user#1'}, ':two': {'N': '2'}}))
        assert q['Count'] == 2
        assert [i['msg']['S'] for i in q['Items']] == ['hello 2', 'hello 3']
        g = aws('get-item', '--table-name', name, '--key', json.dumps({'pk': {'S': 'user#1'}, 'sk': {'N': '1'}}))
        assert g['Item']['msg'] == {'S': 'hello 1'}
        assert name in aws('list-tables')['TableNames']
    finally:
        aws('delete-table', '--table-name', name)
    aws('wait', 'table-not-exists', '--table-name', name)


# The CLI's automatic pagination follows LastEvaluatedKey (--page-size forces several pages).
def test_cli_scan_pagination(aws):
    name = unique_table_name('cli')
    aws('create-table', '--table-name', name, '--attribute-definitions', 'AttributeName=pk,AttributeType=S',
        '--key-schema', 'AttributeName=pk,KeyType=HASH', '--billing-mode', 'PAY_PER_REQUEST')
    try:
        aws('wait', 'table-exists', '--table-name', name)
        items = {name: [{'PutRequest': {'Item': {'pk': {'S': 'k%d' % i}}}} for i in range(12)]}
        aws('batch-write-item', '--request-items', json.dumps(items))
        s = aws('scan', '--table-name', name, '--page-size', '5')
        assert s['Count'] == 12 and len(s['Items']) == 12
    finally:
        aws('delete-table', '--table-name', name)


# The CLI reads a stream: list-streams, describe-stream, get-shard-iterator, get-records.
def test_cli_streams(aws):
    name = unique_table_name('clis')
    aws('create-table', '--table-name', name,
        '--attribute-definitions', 'AttributeName=pk,AttributeType=S',
        '--key-schema', 'AttributeName=pk,KeyType=HASH', '--billing-mode', 'PAY_PER_REQUEST',
        '--stream-specification', 'StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES')
    try:
        aws('put-item', '--table-name', name, '--item', json.dumps({'pk': {'S': 'a'}, 'v': {'N': '1'}}))
        aws('put-item', '--table-name', name, '--item', json.dumps({'pk': {'S': 'a'}, 'v': {'N': '2'}}))
        streams = aws('list-streams', '--table-name', name, service='dynamodbstreams')['Streams']
        assert len(streams) == 1
        arn = streams[0]['StreamArn']
        desc = aws('describe-stream', '--stream-arn', arn, service='dynamodbstreams')['StreamDescription']
        assert desc['StreamStatus'] == 'ENABLED'
        shard = desc['Shards'][0]['ShardId']
        it = aws('get-shard-iterator', '--stream-arn', arn, '--shard-id', shard,
                 '--shard-iterator-type', 'TRIM_HORIZON', service='dynamodbstreams')['ShardIterator']
        records = aws('get-records', '--shard-iterator', it, service='dynamodbstreams')['Records']
        assert [r['eventName'] for r in records] == ['INSERT', 'MODIFY']
        assert records[1]['dynamodb']['OldImage']['v'] == {'N': '1'}
        assert records[1]['dynamodb']['NewImage']['v'] == {'N': '2'}
    finally:
        aws('delete-table', '--table-name', name)


# The everyday SQS flow through `aws sqs` (the CLI's own botocore speaks the Query protocol).
def test_cli_sqs_queue_and_messages(aws):
    name = unique_table_name('clisqs')
    url = aws('create-queue', '--queue-name', name, '--attributes', 'VisibilityTimeout=40', service='sqs')['QueueUrl']
    try:
        assert url.endswith('/' + name)
        attrs = aws('get-queue-attributes', '--queue-url', url, '--attribute-names', 'All', service='sqs')['Attributes']
        assert attrs['VisibilityTimeout'] == '40'
        assert attrs['QueueArn'].endswith(':' + name)
        sent = aws('send-message', '--queue-url', url, '--message-body', 'hello from the cli',
                   '--message-attributes', json.dumps({'kind': {'DataType': 'String', 'StringValue': 'greeting'}}),
                   service='sqs')
        assert sent['MD5OfMessageBody'] == hashlib.md5(b'hello from the cli').hexdigest()
        got = aws('receive-message', '--queue-url', url, '--wait-time-seconds', '2', '--attribute-names', 'All',
                  '--message-attribute-names', 'All', service='sqs')['Messages']
        assert [m['Body'] for m in got] == ['hello from the cli']
        assert got[0]['MessageId'] == sent['MessageId']
        assert got[0]['MessageAttributes']['kind']['StringValue'] == 'greeting'
        assert got[0]['Attributes']['ApproximateReceiveCount'] == '1'
        aws('delete-message', '--queue-url', url, '--receipt-handle', got[0]['ReceiptHandle'], service='sqs')
        after = aws('receive-message', '--queue-url', url, '--wait-time-seconds', '1', service='sqs')
        assert not (after or {}).get('Messages')
        counts = aws('get-queue-attributes', '--queue-url', url, '--attribute-names', 'ApproximateNumberOfMessages',
                     'ApproximateNumberOfMessagesNotVisible', service='sqs')['Attributes']
        assert counts == {'ApproximateNumberOfMessages': '0', 'ApproximateNumberOfMessagesNotVisible': '0'}
    finally:
        aws('delete-queue', '--queue-url', url, service='sqs')


# The everyday SNS flow through `aws sns`: create a topic, subscribe a queue, publish, receive.
def test_cli_sns_topic_to_queue(aws):
    name = unique_table_name('clisns')
    topic = aws('create-topic', '--name', name, service='sns')['TopicArn']
    url = aws('create-queue', '--queue-name', name, service='sqs')['QueueUrl']
    try:
        assert topic.startswith('arn:aws:sns:us-east-1:') and topic.endswith(':' + name)
        qarn = aws('get-queue-attributes', '--queue-url', url, '--attribute-names', 'QueueArn',
                   service='sqs')['Attributes']['QueueArn']
        sub = aws('subscribe', '--topic-arn', topic, '--protocol', 'sqs', '--notification-endpoint', qarn,
                  service='sns')['SubscriptionArn']
        assert sub.startswith(topic + ':')
        subs = aws('list-subscriptions-by-topic', '--topic-arn', topic, service='sns')['Subscriptions']
        assert [(s['SubscriptionArn'], s['Protocol'], s['Endpoint']) for s in subs] == [(sub, 'sqs', qarn)]
        assert topic in [t['TopicArn'] for t in aws('list-topics', service='sns')['Topics']]
        pub = aws('publish', '--topic-arn', topic, '--message', 'hello from the cli', '--subject', 'cli',
                  '--message-attributes', json.dumps({'kind': {'DataType': 'String', 'StringValue': 'greeting'}}),
                  service='sns')
        got = aws('receive-message', '--queue-url', url, '--wait-time-seconds', '2', service='sqs')['Messages']
        assert len(got) == 1
        env = json.loads(got[0]['Body'])
        assert env['Type'] == 'Notification'
        assert (env['MessageId'], env['TopicArn'], env['Subject'], env['Message']) == \
            (pub['MessageId'], topic, 'cli', 'hello from the cli')
        assert env['MessageAttributes'] == {'kind': {'Type': 'String', 'Value': 'greeting'}}
        aws('unsubscribe', '--subscription-arn', sub, service='sns')
        assert aws('list-subscriptions-by-topic', '--topic-arn', topic, service='sns')['Subscriptions'] == []
    finally:
        aws('delete-topic', '--topic-arn', topic, service='sns')
        aws('delete-queue', '--queue-url', url, service='sqs')


# A function's life through `aws lambda`: create-function from a fileb:// zip, invoke (the
# response goes to the outfile), delete-function.
def test_cli_lambda_function(aws, tmp_path):
    from lambda_common import ROLE, code_sha256, make_zip
    name = unique_table_name('clifn')
    package = make_zip()
    (tmp_path / 'function.zip').write_bytes(package)
    created = aws('create-function', '--function-name', name, '--runtime', 'provided.al2023', '--role', ROLE,
                  '--handler', 'function.handler', '--zip-file', 'fileb://%s' % (tmp_path / 'function.zip'),
                  service='lambda')
    try:
        assert (created['FunctionName'], created['State']) == (name, 'Active')
        assert created['CodeSha256'] == code_sha256(package)
        out = tmp_path / 'response.json'
        r = aws('invoke', '--function-name', name, '--cli-binary-format', 'raw-in-base64-out',
                '--payload', json.dumps({'hello': 'from the cli ☃'}), str(out), service='lambda')
        assert (r['StatusCode'], r['ExecutedVersion']) == (200, '$LATEST') and 'FunctionError' not in r
        assert json.loads(out.read_text(encoding='utf-8')) == {'hello': 'from the cli ☃'}
        assert aws('get-function', '--function-name', name, service='lambda')['Configuration']['FunctionName'] == name
    finally:
        aws('delete-function', '--function-name', name, service='lambda')
    assert name not in [f['FunctionName'] for f in aws('list-functions', service='lambda')['Functions']]


def cli_function(aws, tmp_path, tag):
    """A function (the echo bootstrap) made with `aws lambda create-function` -> its name."""
    from lambda_common import ROLE, make_zip
    name = unique_table_name(tag)
    (tmp_path / 'function.zip').write_bytes(make_zip())
    aws('create-function', '--function-name', name, '--runtime', 'provided.al2023', '--role', ROLE,
        '--handler', 'function.handler', '--zip-file', 'fileb://%s' % (tmp_path / 'function.zip'), service='lambda')
    return name


# An event source mapping from a table's stream to a function, through the CLI.
def test_cli_event_source_mapping(aws, tmp_path):
    table = unique_table_name('cliesm')
    stream = aws('create-table', '--table-name', table, '--billing-mode', 'PAY_PER_REQUEST',
                 '--attribute-definitions', 'AttributeName=pk,AttributeType=S', '--key-schema', 'AttributeName=pk,KeyType=HASH',
                 '--stream-specification', 'StreamEnabled=true,StreamViewType=NEW_IMAGE')['TableDescription']['LatestStreamArn']
    name = cli_function(aws, tmp_path, 'cliesmfn')
    try:
        m = aws('create-event-source-mapping', '--function-name', name, '--event-source-arn', stream,
                '--starting-position', 'TRIM_HORIZON', '--batch-size', '7', service='lambda')
        assert (m['State'], m['BatchSize'], m['EventSourceArn']) == ('Creating', 7, stream)
        listed = aws('list-event-source-mappings', '--function-name', name, service='lambda')['EventSourceMappings']
        assert [x['UUID'] for x in listed] == [m['UUID']]
        aws('put-item', '--table-name', table, '--item', '{"pk": {"S": "a"}}')
        import time
        deadline = time.monotonic() + 15
        while aws('get-event-source-mapping', '--uuid', m['UUID'], service='lambda')['LastProcessingResult'] != 'OK':
            assert time.monotonic() < deadline, 'the mapping never processed the record'
            time.sleep(0.2)
        assert aws('delete-event-source-mapping', '--uuid', m['UUID'], service='lambda')['State'] == 'Deleting'
    finally:
        aws('delete-function', '--function-name', name, service='lambda')
        aws('delete-table', '--table-name', table)


# An event source mapping from an SQS queue to a function, through the CLI: the function gets the
# message and the mapping deletes it.
def test_cli_sqs_event_source_mapping(aws, tmp_path):
    import time
    url = aws('create-queue', '--queue-name', unique_table_name('cliesmq'), service='sqs')['QueueUrl']
    arn = aws('get-queue-attributes', '--queue-url', url, '--attribute-names', 'QueueArn', service='sqs')['Attributes']['QueueArn']
    name = cli_function(aws, tmp_path, 'cliesmqfn')
    try:
        m = aws('create-event-source-mapping', '--function-name', name, '--event-source-arn', arn,
                '--batch-size', '5', service='lambda')
        assert (m['State'], m['BatchSize'], m['EventSourceArn']) == ('Creating', 5, arn)
        assert 'StartingPosition' not in m
        aws('send-message', '--queue-url', url, '--message-body', 'from the cli', service='sqs')
        deadline = time.monotonic() + 15
        while True:
            a = aws('get-queue-attributes', '--queue-url', url, '--attribute-names', 'All', service='sqs')['Attributes']
            if a['ApproximateNumberOfMessages'] == '0' and a['ApproximateNumberOfMessagesNotVisible'] == '0':
                break
            assert time.monotonic() < deadline, 'the mapping never handled the message'
            time.sleep(0.2)
        assert aws('delete-event-source-mapping', '--uuid', m['UUID'], service='lambda')['State'] == 'Deleting'
    finally:
        aws('delete-function', '--function-name', name, service='lambda')
        aws('delete-queue', '--queue-url', url, service='sqs')
