"""Raw HTTP: response headers, CRC32, malformed bodies, unknown operations (input boto3 won't send)."""

import json
import zlib

import boto3
import pytest

from runnel_server import health
from util import random_string, raw_request

PREFIX = 'DynamoDB_20120810.'


@pytest.fixture(scope='session')
def raw(target):
    """raw(operation_or_target, body, **kw) -> RawResponse, signed for the target."""
    endpoint = target.url
    creds = {}
    if target.is_aws:
        endpoint = 'https://dynamodb.%s.amazonaws.com' % target.region
        c = boto3.Session().get_credentials().get_frozen_credentials()
        creds = {'access_key': c.access_key, 'secret_key': c.secret_key}
        if c.token:
            creds['extra_headers'] = {'X-Amz-Security-Token': c.token}

    def call(op, body, **kw):
        t = op if op is None or '.' in op else PREFIX + op
        args = dict(creds, region=target.region)
        args.update(kw)
        return raw_request(endpoint, t, body, **args)
    return call


# Every response carries x-amzn-RequestId.
def test_request_id_header(raw):
    r = raw('ListTables', {})
    assert r.status == 200
    assert r.headers.get('x-amzn-requestid')


# Request ids differ between requests.
def test_request_ids_unique(raw):
    ids = {raw('ListTables', {}).headers.get('x-amzn-requestid') for _ in range(5)}
    assert len(ids) == 5


# x-amz-crc32 is the CRC-32 of the exact body bytes (botocore retries, then fails, on mismatch).
def test_crc32_success(raw, table_s):
    r = raw('GetItem', {'TableName': table_s, 'Key': {'p': {'S': 'nope'}}})
    assert r.status == 200
    assert int(r.headers['x-amz-crc32']) == zlib.crc32(r.body)


# ... on a response with a big body ...
def test_crc32_large_body(raw, dynamodb, table_s):
    p = random_string()
    dynamodb.put_item(TableName=table_s, Item={'p': {'S': p}, 'x': {'S': 'é' * 100000}})
    r = raw('GetItem', {'TableName': table_s, 'Key': {'p': {'S': p}}, 'ConsistentRead': True})
    assert r.status == 200
    assert int(r.headers['x-amz-crc32']) == zlib.crc32(r.body)
    assert r.json()['Item']['x']['S'] == 'é' * 100000


# ... and on errors.
def test_crc32_error(raw):
    r = raw('DescribeTable', {'TableName': 'rt_no_such_table_crc'})
    assert r.status == 400
    assert r.error_code() == 'ResourceNotFoundException'
    assert int(r.headers['x-amz-crc32']) == zlib.crc32(r.body)


# Responses are JSON 1.0.
def test_content_type(raw):
    r = raw('ListTables', {})
    assert r.headers['content-type'].startswith('application/x-amz-json-1.0')
    assert isinstance(r.json()['TableNames'], list)


# Error bodies have __type and a message.
def test_error_shape(raw):
    r = raw('DescribeTable', {'TableName': 'rt_no_such_table_err'})
    body = r.json()
    assert '#' in body['__type']
    assert body.get('message') or body.get('Message')


# A body that is not JSON is a SerializationException.
@pytest.mark.parametrize('body', [b'{not json', b'{"TableName": ', b'\xff\xfe', b'{"a":1}garbage'])
def test_malformed_json(raw, body):
    r = raw('ListTables', body)
    assert r.status == 400
    assert r.error_code() == 'SerializationException'


# A number given as a JSON number instead of a string is a SerializationException.
def test_number_as_json_number(raw, table_s):
    r = raw('PutItem', json.dumps({'TableName': table_s, 'Item': {'p': {'S': 'a'}, 'n': {'N': 5}}}))
    assert r.status == 400
    assert r.error_code() == 'SerializationException'


# An unknown operation name is UnknownOperationException.
def test_unknown_operation(raw):
    r = raw('DescribeEverything', {})
    assert r.status == 400
    assert r.error_code() == 'UnknownOperationException'


# A target with an unknown service prefix is UnknownOperationException too.
def test_unknown_target_prefix(raw):
    r = raw('DynamoDB_20990101.ListTables', {})
    assert r.status == 400
    assert r.error_code() == 'UnknownOperationException'


# ReturnValuesOnConditionCheckFailure=ALL_OLD: the error body carries Item (old botocore can't send it).
def test_condition_failure_item_raw(raw, dynamodb, table_s):
    p = random_string()
    dynamodb.put_item(TableName=table_s, Item={'p': {'S': p}, 'v': {'N': '1'}})
    r = raw('PutItem', {'TableName': table_s, 'Item': {'p': {'S': p}},
                        'ConditionExpression': 'attribute_not_exists(p)',
                        'ReturnValuesOnConditionCheckFailure': 'ALL_OLD'})
    assert r.status == 400
    assert r.error_code() == 'ConditionalCheckFailedException'
    assert r.json()['Item'] == {'p': {'S': p}, 'v': {'N': '1'}}


# The health endpoint answers without a signature and lists dynamodb as running.
def test_health(target, runnel_only):
    status, body = health(target.url)
    assert status == 200
    assert body['status'] == 'ok'
    assert body['services']['dynamodb'] == 'running'


# Temporary credentials (an X-Amz-Security-Token, signed) work like plain keys.
def test_session_token_accepted(make_client, target, runnel_only):
    c = boto3.client('dynamodb', endpoint_url=target.url, region_name=target.region, aws_access_key_id='test',
                     aws_secret_access_key='test', aws_session_token='FQoGZXIvYXdzEXAMPLETOKEN')
    assert 'TableNames' in c.list_tables(Limit=1)


def _plain(url, method='GET', body=None, headers=None):
    """An unsigned request -> (status, body text)."""
    import urllib.error
    import urllib.request
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


# GET / is DynamoDB's health check: 200 "healthy: <host>" (what load balancers and test suites probe).
def test_get_root_is_the_health_check(target):
    if target.is_aws:
        pytest.skip('the public endpoint answers with its own host name')
    status, text = _plain(target.url + '/')
    assert status == 200
    host = target.url.split('://', 1)[1].rstrip('/')
    assert text == 'healthy: ' + host


# A path no service owns is not found; a JSON request to / without X-Amz-Target stays
# DynamoDB's UnknownOperationException (400).
def test_unknown_paths_are_not_found(target):
    if target.is_aws:
        pytest.skip('runnel-only: one endpoint serves every service')
    status, text = _plain(target.url + '/no/such/path')
    assert status == 404
    assert 'UnknownOperationException' in text
    status, _ = _plain(target.url + '/no/such/path', 'POST', b'{}', {'Content-Type': 'application/x-amz-json-1.0'})
    assert status == 404
    status, text = _plain(target.url + '/', 'POST', b'{}', {'Content-Type': 'application/x-amz-json-1.0'})
    assert status == 400
    assert 'UnknownOperationException' in text


# TagResource and UntagResource have no output: DynamoDB answers 200 with an empty body.
def test_tag_operations_answer_an_empty_body(raw, dynamodb, table_s):
    arn = dynamodb.describe_table(TableName=table_s)['Table']['TableArn']
    r = raw('TagResource', {'ResourceArn': arn, 'Tags': [{'Key': 'k', 'Value': 'v'}]})
    assert r.status == 200
    assert r.body == b''
    r = raw('UntagResource', {'ResourceArn': arn, 'TagKeys': ['k']})
    assert r.status == 200
    assert r.body == b''


# DescribeEndpoints names the endpoint the client reached, port included (AWS: its regional host).
def test_describe_endpoints_names_this_endpoint(target, dynamodb):
    endpoints = dynamodb.describe_endpoints()['Endpoints']
    assert endpoints[0]['CachePeriodInMinutes'] == 1440
    if target.is_aws:
        assert endpoints[0]['Address'] == 'dynamodb.%s.amazonaws.com' % target.region
    else:
        assert endpoints[0]['Address'] == target.url.split('://', 1)[1].rstrip('/')
