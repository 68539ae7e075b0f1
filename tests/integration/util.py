"""Small helpers shared by the tests. Keep this file short: write tests, not a test library."""

import http.client
import json
import random
import string
import time
import urllib.parse
import uuid

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

RUN_ID = uuid.uuid4().hex[:6]
TABLE_PREFIX = 'rt_' + RUN_ID + '_'
_counter = [0]


def random_string(n=10):
    return ''.join(random.choice(string.ascii_letters + string.digits) for _ in range(n))


def unique_table_name(tag='t'):
    """Unique per run and per call, so leftovers from a crashed run never collide."""
    _counter[0] += 1
    return '%s%s_%d_%s' % (TABLE_PREFIX, tag, _counter[0], random_string(4))


def client_config(validate=True):
    """No retries (a retry would hide a wrong answer), short connect timeout."""
    return Config(retries={'max_attempts': 0}, connect_timeout=5, read_timeout=60,
                  parameter_validation=validate)


def error_code(exc_info):
    """The AWS error code of a pytest.raises(ClientError) result."""
    return exc_info.value.response['Error']['Code']


def full_query(client, **kwargs):
    """All items of a Query, following LastEvaluatedKey (bounded to 1000 pages)."""
    items = []
    for _ in range(1000):
        r = client.query(**kwargs)
        items += r.get('Items', [])
        if 'LastEvaluatedKey' not in r:
            return items
        kwargs['ExclusiveStartKey'] = r['LastEvaluatedKey']
    raise AssertionError('query did not finish in 1000 pages')


def full_scan(client, **kwargs):
    items = []
    for _ in range(1000):
        r = client.scan(**kwargs)
        items += r.get('Items', [])
        if 'LastEvaluatedKey' not in r:
            return items
        kwargs['ExclusiveStartKey'] = r['LastEvaluatedKey']
    raise AssertionError('scan did not finish in 1000 pages')


def eventually(check, timeout=10.0, interval=0.2):
    """Retry an assertion (GSIs and TTL are eventually consistent on AWS). Bounded in time."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except (AssertionError, ClientError):
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval)


def key(name, kind):
    return {'AttributeName': name, 'KeyType': kind}


def attr(name, t):
    return {'AttributeName': name, 'AttributeType': t}


def has_member(client, operation, member):
    """Whether this botocore's model knows a request member (old models lack newer ones)."""
    shape = client.meta.service_model.operation_model(operation).input_shape
    return member in shape.members


def wait_active(client, name, timeout=300):
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        desc = client.describe_table(TableName=name)['Table']
        statuses = [desc['TableStatus']] + [g.get('IndexStatus', 'ACTIVE')
                                            for g in desc.get('GlobalSecondaryIndexes', [])]
        if all(s == 'ACTIVE' for s in statuses):
            return desc
        if time.monotonic() > deadline:
            raise AssertionError('table %s not ACTIVE after %ss: %s' % (name, timeout, statuses))
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


def key_of(item, names):
    return tuple(sorted((n, json.dumps(item[n], sort_keys=True)) for n in names))


class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-cased names
        self.body = body

    def json(self):
        return json.loads(self.body)

    def error_code(self):
        """botocore's rule: the part of __type after '#'."""
        t = self.json().get('__type', '')
        return t.split('#')[-1].split(':')[0]


def raw_request(endpoint, target, body, region='us-east-1', access_key='test', secret_key='test',
                sign=True, content_type='application/x-amz-json-1.0', extra_headers=None,
                service='dynamodb'):
    """POST a (possibly malformed) body with any X-Amz-Target, signed with botocore's SigV4Auth.

    body: bytes, str, or a dict that is JSON-encoded. Returns RawResponse with the exact bytes.
    """
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode('utf-8')
    headers = {'Content-Type': content_type}
    if target is not None:
        headers['X-Amz-Target'] = target
    headers.update(extra_headers or {})
    req = AWSRequest(method='POST', url=endpoint + '/', data=body, headers=headers)
    if sign:
        SigV4Auth(Credentials(access_key, secret_key), service, region).add_auth(req)
    u = urllib.parse.urlparse(endpoint)
    conn_cls = http.client.HTTPSConnection if u.scheme == 'https' else http.client.HTTPConnection
    conn = conn_cls(u.hostname, u.port, timeout=30)
    try:
        conn.request('POST', '/', body=body, headers=dict(req.headers.items()))
        resp = conn.getresponse()
        data = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        return RawResponse(resp.status, hdrs, data)
    finally:
        conn.close()


def make_raw_table(endpoint, name):
    """CreateTable of a hash-key (p: S) on-demand table over a raw request; asserts it was created."""
    r = raw_request(endpoint, 'DynamoDB_20120810.CreateTable', {
        'TableName': name, 'BillingMode': 'PAY_PER_REQUEST',
        'KeySchema': [{'AttributeName': 'p', 'KeyType': 'HASH'}],
        'AttributeDefinitions': [{'AttributeName': 'p', 'AttributeType': 'S'}]})
    assert r.status == 200, r.body
    return r
