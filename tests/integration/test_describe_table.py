"""DescribeTable: the fields SDKs, waiters and IaC tools read."""

import datetime
import re

import pytest
from botocore.exceptions import ClientError

from util import attr, error_code, key, unique_table_name

UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')


@pytest.fixture(scope='module')
def indexed_table(session_tables):
    return session_tables.create(
        [key('p', 'HASH'), key('c', 'RANGE')],
        [attr('p', 'S'), attr('c', 'S'), attr('g', 'S'), attr('l', 'N')],
        tag='desc',
        GlobalSecondaryIndexes=[{'IndexName': 'gsi1', 'KeySchema': [key('g', 'HASH')],
                                 'Projection': {'ProjectionType': 'ALL'}}],
        LocalSecondaryIndexes=[{'IndexName': 'lsi1',
                                'KeySchema': [key('p', 'HASH'), key('l', 'RANGE')],
                                'Projection': {'ProjectionType': 'KEYS_ONLY'}}])


@pytest.fixture(scope='module')
def desc(dynamodb, indexed_table):
    return dynamodb.describe_table(TableName=indexed_table)['Table']


# The ARN names partition, service, region, account and table (account 000000000000 for key "test").
def test_table_arn(desc, indexed_table, target):
    account = r'\d{12}' if target.is_aws else '000000000000'
    assert re.fullmatch(r'arn:aws:dynamodb:%s:%s:table/%s' % (target.region, account, indexed_table),
                        desc['TableArn'])


# TableId is a UUID.
def test_table_id(desc):
    assert UUID_RE.match(desc['TableId'])


# Name, status, creation time (parsed by botocore into a datetime).
def test_basic_fields(desc, indexed_table):
    assert desc['TableName'] == indexed_table
    assert desc['TableStatus'] == 'ACTIVE'
    assert isinstance(desc['CreationDateTime'], datetime.datetime)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - desc['CreationDateTime']).total_seconds()) < 3600


# KeySchema in HASH, RANGE order; AttributeDefinitions exactly as given.
def test_key_schema_and_definitions(desc):
    assert desc['KeySchema'] == [key('p', 'HASH'), key('c', 'RANGE')]
    assert sorted(desc['AttributeDefinitions'], key=lambda a: a['AttributeName']) == \
        [attr('c', 'S'), attr('g', 'S'), attr('l', 'N'), attr('p', 'S')]


# A fresh table reports zero items and zero bytes.
def test_counts_of_new_table(desc):
    assert desc['ItemCount'] == 0
    assert desc['TableSizeBytes'] == 0


# On-demand tables: BillingModeSummary says so.
def test_billing_mode_summary(desc):
    assert desc['BillingModeSummary']['BillingMode'] == 'PAY_PER_REQUEST'


# Index ARNs are the table ARN + /index/NAME; GSIs are ACTIVE with their key schema.
def test_index_arns(desc):
    (g,) = desc['GlobalSecondaryIndexes']
    (lsi,) = desc['LocalSecondaryIndexes']
    assert g['IndexArn'] == desc['TableArn'] + '/index/gsi1'
    assert lsi['IndexArn'] == desc['TableArn'] + '/index/lsi1'
    assert g['IndexStatus'] == 'ACTIVE'
    assert g['KeySchema'] == [key('g', 'HASH')]
    assert 'ItemCount' in g and 'IndexSizeBytes' in g


# An unknown table is ResourceNotFoundException.
def test_describe_missing(dynamodb):
    with pytest.raises(ClientError) as e:
        dynamodb.describe_table(TableName=unique_table_name('missing'))
    assert error_code(e) == 'ResourceNotFoundException'


# A table of a different account/region has another ARN (account = the 12-digit access key).
def test_arn_of_other_account(make_client, runnel_only):
    client = make_client(access_key='111111111111', region='eu-west-1')
    name = unique_table_name('acct')
    d = client.create_table(TableName=name, KeySchema=[key('p', 'HASH')],
                            AttributeDefinitions=[attr('p', 'S')],
                            BillingMode='PAY_PER_REQUEST')['TableDescription']
    try:
        assert d['TableArn'] == 'arn:aws:dynamodb:eu-west-1:111111111111:table/' + name
    finally:
        client.delete_table(TableName=name)


# ItemCount is exact after writes (AWS refreshes it only every ~6 h, so runnel-only).
def test_item_count_after_writes(dynamodb, table_factory, runnel_only):
    name = table_factory.create()
    for i in range(3):
        dynamodb.put_item(TableName=name, Item={'p': {'S': str(i)}, 'x': {'S': 'y' * 100}})
    dynamodb.delete_item(TableName=name, Key={'p': {'S': '0'}})
    d = dynamodb.describe_table(TableName=name)['Table']
    assert d['ItemCount'] == 2
    assert d['TableSizeBytes'] > 200
