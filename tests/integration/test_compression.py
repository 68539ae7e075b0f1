"""HTTP compression (issue 20 item 3): request bodies sent with Content-Encoding gzip or deflate
are accepted by every service, signed over the bytes as sent (as botocore compresses them: before
signing); responses are gzipped for a client that sends Accept-Encoding: gzip, and DynamoDB's
x-amz-crc32 then covers the compressed bytes; unknown codings and broken bodies get AWS's common
MalformedHttpRequestException (400), a body that would inflate past the limit 413."""

import binascii
import gzip
import json
import zlib

import pytest
from botocore.exceptions import ClientError

from util import raw_request, unique_table_name


COMPRESSED = []  # (coding, bytes sent) of every request the hook compressed


def compress_requests(client, coding='gzip'):
    """Compresses every request body of `client` before it is signed, as botocore's own request
    compression does for the operations whose model asks for it."""
    def compress(request, **kwargs):
        body = request.body
        if isinstance(body, str):
            body = body.encode('utf-8')
        if not body:
            return
        request.data = gzip.compress(body) if coding == 'gzip' else zlib.compress(body)
        request.headers['Content-Encoding'] = coding
        COMPRESSED.append((coding, len(request.data)))
        if 'Content-Length' in request.headers:
            request.headers.replace_header('Content-Length', str(len(request.data)))
    client.meta.events.register('before-sign.*.*', compress)
    return client


@pytest.fixture(scope='module')
def clients(make_client, runnel_only):
    return {name: compress_requests(make_client(name)) for name in ('dynamodb', 'sqs', 'sns', 'lambda')}


def test_dynamodb_with_compressed_requests(clients, make_client):
    ddb = clients['dynamodb']
    name = unique_table_name('gz')
    ddb.create_table(TableName=name, KeySchema=[{'AttributeName': 'p', 'KeyType': 'HASH'}],
                     AttributeDefinitions=[{'AttributeName': 'p', 'AttributeType': 'S'}],
                     BillingMode='PAY_PER_REQUEST')
    ddb.put_item(TableName=name, Item={'p': {'S': 'k'}, 'v': {'S': 'x' * 20000}})
    # Read back by a client that does not compress: what was stored is what was sent.
    assert any(size < 1000 for coding, size in COMPRESSED)  # the 20 KB item went compressed
    plain = make_client('dynamodb')
    assert plain.get_item(TableName=name, Key={'p': {'S': 'k'}})['Item']['v']['S'] == 'x' * 20000
    assert ddb.get_item(TableName=name, Key={'p': {'S': 'k'}})['Item']['v']['S'] == 'x' * 20000
    plain.delete_table(TableName=name)


def test_deflate_too(make_client, runnel_only):
    ddb = compress_requests(make_client('dynamodb'), coding='deflate')
    assert 'TableNames' in ddb.list_tables(Limit=5)
    assert COMPRESSED[-1][0] == 'deflate'


def test_sqs_and_sns_with_compressed_requests(clients):
    # boto3 1.26 speaks Query (a form body), 1.43 JSON to SQS; SNS is Query in both.
    sqs, sns = clients['sqs'], clients['sns']
    before = len(COMPRESSED)
    url = sqs.create_queue(QueueName=unique_table_name('gz'))['QueueUrl']
    sqs.send_message(QueueUrl=url, MessageBody='y' * 5000)
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)['Messages']
    assert got[0]['Body'] == 'y' * 5000
    arn = sns.create_topic(Name=unique_table_name('gz'))['TopicArn']
    assert sns.get_topic_attributes(TopicArn=arn)['Attributes']['TopicArn'] == arn
    sns.delete_topic(TopicArn=arn)
    sqs.delete_queue(QueueUrl=url)
    assert len(COMPRESSED) - before == 7


def test_lambda_with_a_compressed_request(clients):
    # The body's ReservedConcurrentExecutions is read (a body that did not decode would be a
    # serialization error), and the missing function is what is reported.
    with pytest.raises(ClientError) as e:
        clients['lambda'].put_function_concurrency(FunctionName='no-such-function-gz', ReservedConcurrentExecutions=5)
    assert e.value.response['Error']['Code'] == 'ResourceNotFoundException'


def test_unknown_and_broken_codings(target, runnel_only):
    body = json.dumps({}).encode()
    for coding, data in (('br', body), ('gzip', body), ('gzip', gzip.compress(body)[:-5])):
        r = raw_request(target.url, 'DynamoDB_20120810.ListTables', data, extra_headers={'Content-Encoding': coding})
        assert r.status == 400, (coding, r.body)
        doc = json.loads(r.body)
        assert doc['__type'] == 'com.amazon.coral.service#MalformedHttpRequestException', doc
    # Query clients get it as XML.
    r = raw_request(target.url, None, gzip.compress(b'Action=ListQueues')[:-3], service='sqs',
                    content_type='application/x-www-form-urlencoded', extra_headers={'Content-Encoding': 'gzip'})
    assert r.status == 400 and b'<Code>MalformedHttpRequestException</Code>' in r.body, r.body


def test_a_body_that_inflates_past_the_limit(target, runnel_only):
    bomb = gzip.compress(b'{"TableName":"' + b'a' * (20 * 1024 * 1024) + b'"}')
    assert len(bomb) < 100_000
    r = raw_request(target.url, 'DynamoDB_20120810.DescribeTable', bomb, extra_headers={'Content-Encoding': 'gzip'})
    assert r.status == 413, r.body
    assert json.loads(r.body)['__type'].endswith('#RequestEntityTooLargeException')


def test_responses_gzipped_when_accepted(target, dynamodb, runnel_only):
    name = unique_table_name('gzr')
    dynamodb.create_table(TableName=name, KeySchema=[{'AttributeName': 'p', 'KeyType': 'HASH'}],
                          AttributeDefinitions=[{'AttributeName': 'p', 'AttributeType': 'S'}],
                          BillingMode='PAY_PER_REQUEST')
    for i in range(20):
        dynamodb.put_item(TableName=name, Item={'p': {'S': 'k%d' % i}, 'v': {'S': 'z' * 200}})
    request = {'TableName': name}
    r = raw_request(target.url, 'DynamoDB_20120810.Scan', request, extra_headers={'Accept-Encoding': 'gzip'})
    assert r.status == 200
    assert r.headers['content-encoding'] == 'gzip'
    # The checksum covers the bytes sent, as DynamoDB's does.
    assert int(r.headers['x-amz-crc32']) == binascii.crc32(r.body)
    assert json.loads(gzip.decompress(r.body))['Count'] == 20
    # Without Accept-Encoding (or refusing gzip), the same answer uncompressed.
    for headers in ({}, {'Accept-Encoding': 'gzip;q=0'}):
        plain = raw_request(target.url, 'DynamoDB_20120810.Scan', request, extra_headers=headers)
        assert 'content-encoding' not in plain.headers
        assert json.loads(plain.body)['Count'] == 20
        assert int(plain.headers['x-amz-crc32']) == binascii.crc32(plain.body)
    # A small answer goes as it is.
    small = raw_request(target.url, 'DynamoDB_20120810.ListTables', {'Limit': 1}, extra_headers={'Accept-Encoding': 'gzip'})
    assert 'content-encoding' not in small.headers
    dynamodb.delete_table(TableName=name)
