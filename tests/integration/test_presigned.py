"""Presigned (query-string) SigV4 URLs, as botocore's generate_presigned_url makes them, with
signature verification on: accepted while fresh, refused when tampered with or expired."""

import os
import time
import urllib.error
import urllib.request

import boto3
import pytest

from runnel_server import RunnelServer
from util import client_config

KEY, SECRET = '111111111111', 'presign-secret'


@pytest.fixture(scope='module')
def server(runnel_bin, tmp_path_factory):
    creds = tmp_path_factory.mktemp('presign') / 'credentials'
    creds.write_text('%s %s\n' % (KEY, SECRET))
    os.chmod(creds, 0o600)
    s = RunnelServer(runnel_bin, auth_credentials=str(creds))
    s.start()
    yield s
    s.cleanup()


def sns(server, secret=SECRET):
    return boto3.client('sns', endpoint_url=server.url, region_name='us-east-1', aws_access_key_id=KEY,
                        aws_secret_access_key=secret, config=client_config())


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


# botocore signs the operation's own method (POST for a Query API) unless told otherwise; a URL
# that a browser or curl will GET is presigned with HttpMethod='GET'.
def test_presigned_url_works(server):
    arn = sns(server).create_topic(Name='presigned')['TopicArn']
    assert ':111111111111:' in arn
    url = sns(server).generate_presigned_url('list_topics', ExpiresIn=300, HttpMethod='GET')
    assert 'X-Amz-Signature=' in url
    status, body = get(url)
    assert status == 200, body
    assert arn in body


def test_presigned_url_with_a_wrong_secret_is_refused(server):
    status, body = get(sns(server, secret='wrong').generate_presigned_url('list_topics', HttpMethod='GET'))
    assert status == 403, body
    assert 'SignatureDoesNotMatch' in body


def test_tampered_presigned_url_is_refused(server):
    url = sns(server).generate_presigned_url('get_topic_attributes',
                                             Params={'TopicArn': 'arn:aws:sns:us-east-1:111111111111:presigned'},
                                             HttpMethod='GET')
    assert 'presigned' in url
    status, body = get(url.replace('presigned', 'other', 1))
    assert status == 403, body


def test_expired_presigned_url_is_refused(server):
    url = sns(server).generate_presigned_url('list_topics', ExpiresIn=1, HttpMethod='GET')
    time.sleep(2.1)
    status, body = get(url)
    assert status == 403, body
    assert 'Signature expired' in body
