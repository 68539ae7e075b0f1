"""Fixtures for the black-box suite: a runnel server, boto3 clients, and tables.

Targets, in order of precedence:
  --aws                       real DynamoDB with your normal AWS credentials (tests that need a
                              runnel binary or fake credentials skip themselves)
  --url URL / $RUNNEL_URL     an already-running runnel (or any DynamoDB-compatible endpoint)
  otherwise                   start $RUNNEL_BIN (default build/runnel) on a free port with a
                              temporary data dir, wait for /_runnel/health, stop it at the end

Client version check: $RUNNEL_EXPECT_BOTOCORE / $RUNNEL_EXPECT_BOTO3 (e.g. "1.43") make the run
fail at start-up if another botocore/boto3 was imported, so a misconfigured PYTHONPATH can not
silently test the wrong client. scripts/run-tests.sh sets these.
"""

import os
import sys

import boto3
import botocore
import pytest
from botocore.exceptions import ClientError

from runnel_server import RunnelServer, runnel_binary
from util import attr, client_config, key, unique_table_name, wait_active

REGION = 'us-east-1'


def pytest_addoption(parser):
    parser.addoption('--url', default=os.environ.get('RUNNEL_URL'),
                     help='endpoint of an already running server (default: start build/runnel)')
    parser.addoption('--aws', action='store_true', default=False,
                     help='run against real DynamoDB in --region with the default credentials')
    parser.addoption('--region', default=REGION, help='region for --aws (default us-east-1)')


def _version_matches(actual, expected):
    return actual == expected or actual.startswith(expected + '.')


def pytest_configure(config):
    problems = []
    for env, module in (('RUNNEL_EXPECT_BOTOCORE', botocore), ('RUNNEL_EXPECT_BOTO3', boto3)):
        expected = os.environ.get(env)
        if expected and not _version_matches(module.__version__, expected):
            problems.append('%s=%s but %s %s was imported from %s' % (
                env, expected, module.__name__, module.__version__, module.__file__))
    if problems:
        raise pytest.UsageError('wrong AWS client loaded: ' + '; '.join(problems))


def pytest_report_header(config):
    return ['runnel: python %s, boto3 %s (%s), botocore %s (%s)' % (
        sys.version.split()[0], boto3.__version__, os.path.dirname(boto3.__file__),
        botocore.__version__, os.path.dirname(botocore.__file__))]


class Target:
    """What the suite talks to."""

    def __init__(self, url, is_aws, region, server=None):
        self.url = url            # endpoint_url for clients; None on AWS
        self.is_aws = is_aws
        self.region = region
        self.server = server      # the RunnelServer we started, if any


@pytest.fixture(scope='session')
def target(request):
    if request.config.getoption('--aws'):
        yield Target(None, True, request.config.getoption('--region'))
        return
    url = request.config.getoption('--url')
    if url:
        yield Target(url.rstrip('/'), False, REGION)
        return
    binary = runnel_binary()
    if binary is None:
        pytest.exit('no runnel binary: build it, or set RUNNEL_BIN, or pass --url', returncode=3)
    server = RunnelServer(binary)
    server.start()
    try:
        yield Target(server.url, False, REGION, server)
    finally:
        code = server.stop()
        if code not in (0, None):
            print('\nrunnel exited with %s; log tail:\n%s' % (code, server.log_tail()))
        server.cleanup()


@pytest.fixture(scope='session')
def runnel_only(target):
    """Skip on real AWS: the test checks a runnel-specific promise (fake keys, admin endpoints)."""
    if target.is_aws:
        pytest.skip('runnel-specific behaviour')


@pytest.fixture(scope='session')
def runnel_bin(target):
    """The binary, for tests that start servers of their own."""
    if target.is_aws:
        pytest.skip('needs a local runnel binary')
    binary = runnel_binary()
    if binary is None:
        pytest.skip('no runnel binary (set RUNNEL_BIN)')
    return binary


@pytest.fixture(scope='session')
def make_client(target):
    """make_client(service='dynamodb', region=..., access_key=..., secret_key=..., validate=True)."""
    def make(service='dynamodb', region=None, access_key='test', secret_key='test', validate=True):
        kwargs = {'region_name': region or target.region, 'config': client_config(validate)}
        if not target.is_aws:
            kwargs.update(endpoint_url=target.url, aws_access_key_id=access_key,
                          aws_secret_access_key=secret_key)
        return boto3.client(service, **kwargs)
    return make


@pytest.fixture(scope='session')
def dynamodb(make_client):
    """The low-level client: values on the wire exactly as written ({'N': '1.5'})."""
    return make_client()


@pytest.fixture(scope='session')
def dynamodb_noval(make_client):
    """A client without botocore's parameter validation, so the server sees invalid input."""
    return make_client(validate=False)


@pytest.fixture(scope='session')
def dynamodb_resource(target):
    kwargs = {'region_name': target.region, 'config': client_config()}
    if not target.is_aws:
        kwargs.update(endpoint_url=target.url, aws_access_key_id='test',
                      aws_secret_access_key='test')
    return boto3.resource('dynamodb', **kwargs)


class TableFactory:
    """create(**CreateTable kwargs) -> name; PAY_PER_REQUEST unless told otherwise."""

    def __init__(self, client):
        self.client = client
        self.names = []

    def create(self, key_schema=None, attribute_definitions=None, tag='t', **kwargs):
        name = kwargs.pop('TableName', None) or unique_table_name(tag)
        kwargs.setdefault('KeySchema', key_schema or [{'AttributeName': 'p', 'KeyType': 'HASH'}])
        kwargs.setdefault('AttributeDefinitions',
                          attribute_definitions or [{'AttributeName': 'p', 'AttributeType': 'S'}])
        if 'ProvisionedThroughput' not in kwargs:
            kwargs.setdefault('BillingMode', 'PAY_PER_REQUEST')
        self.client.create_table(TableName=name, **kwargs)
        self.names.append(name)
        wait_active(self.client, name)
        return name

    def cleanup(self):
        for name in self.names:
            try:
                self.client.delete_table(TableName=name)
            except ClientError as e:
                if e.response['Error']['Code'] != 'ResourceNotFoundException':
                    print('could not delete %s: %s' % (name, e))
            except Exception as e:  # the server may be gone (crash tests); never mask the result
                print('could not delete %s: %s' % (name, e))
        self.names = []


@pytest.fixture
def table_factory(dynamodb):
    """Tables for one test, deleted afterwards."""
    f = TableFactory(dynamodb)
    yield f
    f.cleanup()


@pytest.fixture(scope='session')
def session_tables(dynamodb):
    f = TableFactory(dynamodb)
    yield f
    f.cleanup()


@pytest.fixture(scope='session')
def table_s(session_tables):
    """Shared hash-only table: p (S). Tests use random keys, so they never see each other."""
    return session_tables.create([key('p', 'HASH')], [attr('p', 'S')], tag='s')


@pytest.fixture(scope='session')
def table_ss(session_tables):
    """Shared hash+range table: p (S), c (S)."""
    return session_tables.create([key('p', 'HASH'), key('c', 'RANGE')],
                                 [attr('p', 'S'), attr('c', 'S')], tag='ss')


@pytest.fixture(scope='session')
def table_sn(session_tables):
    """Shared hash+range table with a number sort key: p (S), c (N)."""
    return session_tables.create([key('p', 'HASH'), key('c', 'RANGE')],
                                 [attr('p', 'S'), attr('c', 'N')], tag='sn')
