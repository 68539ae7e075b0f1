"""Signature verification mode (--auth-credentials): a server of its own with two known keys."""

import http.client
import os

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from runnel_server import RunnelServer
from util import client_config, error_code, raw_request

GOOD_KEY, GOOD_SECRET = 'AKIDRUNNELTEST', 'runnel-secret/with+chars='
ACCOUNT_KEY, ACCOUNT_SECRET = '123456789012', 'another-secret'


@pytest.fixture(scope='module')
def auth_server(runnel_bin, tmp_path_factory):
    creds = tmp_path_factory.mktemp('auth') / 'credentials'
    creds.write_text('%s %s\n%s %s\n' % (GOOD_KEY, GOOD_SECRET, ACCOUNT_KEY, ACCOUNT_SECRET))
    os.chmod(creds, 0o600)
    server = RunnelServer(runnel_bin, auth_credentials=str(creds))
    server.start()
    yield server
    server.cleanup()


def client(server, key, secret, region='us-east-1'):
    return boto3.client('dynamodb', endpoint_url=server.url, region_name=region, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=client_config())


# A known key with its secret works.
def test_good_credentials(auth_server):
    assert 'TableNames' in client(auth_server, GOOD_KEY, GOOD_SECRET).list_tables()


# A 12-digit known key works and its tables are in its own account.
def test_account_key(auth_server):
    c = client(auth_server, ACCOUNT_KEY, ACCOUNT_SECRET)
    d = c.create_table(TableName='authtable', KeySchema=[{'AttributeName': 'p', 'KeyType': 'HASH'}],
                       AttributeDefinitions=[{'AttributeName': 'p', 'AttributeType': 'S'}],
                       BillingMode='PAY_PER_REQUEST')['TableDescription']
    assert d['TableArn'] == 'arn:aws:dynamodb:us-east-1:123456789012:table/authtable'
    c.delete_table(TableName='authtable')


# A known key with the wrong secret: InvalidSignatureException.
def test_wrong_secret(auth_server):
    with pytest.raises(ClientError) as e:
        client(auth_server, GOOD_KEY, 'wrong').list_tables()
    assert error_code(e) == 'InvalidSignatureException'


# An unknown key: UnrecognizedClientException.
def test_unknown_key(auth_server):
    with pytest.raises(ClientError) as e:
        client(auth_server, 'AKIDUNKNOWN', GOOD_SECRET).list_tables()
    assert error_code(e) == 'UnrecognizedClientException'


# No Authorization header at all: MissingAuthenticationTokenException.
def test_missing_authorization(auth_server):
    r = raw_request(auth_server.url, 'DynamoDB_20120810.ListTables', {}, sign=False)
    assert r.status in (400, 403)
    assert r.error_code() == 'MissingAuthenticationTokenException'


# A body changed after signing no longer matches the signature.
def test_tampered_body(auth_server):
    signed_body = b'{"Limit": 5}'
    req = AWSRequest(method='POST', url=auth_server.url + '/', data=signed_body,
                     headers={'Content-Type': 'application/x-amz-json-1.0',
                              'X-Amz-Target': 'DynamoDB_20120810.ListTables'})
    SigV4Auth(Credentials(GOOD_KEY, GOOD_SECRET), 'dynamodb', 'us-east-1').add_auth(req)
    conn = http.client.HTTPConnection('127.0.0.1', auth_server.port, timeout=10)
    conn.request('POST', '/', body=b'{"Limit": 6}', headers=dict(req.headers.items()))
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    assert resp.status == 400
    assert b'InvalidSignatureException' in body


# The signature's region decides the region (a table made in eu-west-1 is not in us-east-1).
def test_region_from_scope(auth_server):
    eu = client(auth_server, GOOD_KEY, GOOD_SECRET, region='eu-west-1')
    us = client(auth_server, GOOD_KEY, GOOD_SECRET)
    eu.create_table(TableName='regiontable', KeySchema=[{'AttributeName': 'p', 'KeyType': 'HASH'}],
                    AttributeDefinitions=[{'AttributeName': 'p', 'AttributeType': 'S'}],
                    BillingMode='PAY_PER_REQUEST')
    try:
        assert 'regiontable' not in us.list_tables()['TableNames']
        assert 'regiontable' in eu.list_tables()['TableNames']
    finally:
        eu.delete_table(TableName='regiontable')
