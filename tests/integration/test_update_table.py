"""UpdateTable: add a GSI (with backfill), delete a GSI, change billing mode; DeleteTable."""

import time

import pytest
from botocore.exceptions import ClientError

from util import attr, error_code, eventually, full_query, key, unique_table_name, wait_active

ALL = {'ProjectionType': 'ALL'}


def create_gsi(name, attr_name, attr_type='S'):
    return {'AttributeDefinitions': [attr(attr_name, attr_type)],
            'GlobalSecondaryIndexUpdates': [{'Create': {
                'IndexName': name, 'KeySchema': [key(attr_name, 'HASH')], 'Projection': ALL}}]}


def wait_gsi_gone(client, table, index, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = client.describe_table(TableName=table)['Table']
        if index not in [g['IndexName'] for g in d.get('GlobalSecondaryIndexes', [])]:
            return
        time.sleep(0.2)
    raise AssertionError('index %s still listed' % index)


# A GSI added to a table with data is backfilled: existing items (with the right key type) are
# queryable through it; items without the attribute or with another type are left out.
def test_add_gsi_backfills(dynamodb, table_factory):
    name = table_factory.create()
    for i in range(20):
        dynamodb.put_item(TableName=name, Item={'p': {'S': 'k%d' % i}, 'g': {'S': 'v%d' % (i % 4)}})
    dynamodb.put_item(TableName=name, Item={'p': {'S': 'nog'}})
    dynamodb.put_item(TableName=name, Item={'p': {'S': 'numg'}, 'g': {'N': '1'}})
    r = dynamodb.update_table(TableName=name, **create_gsi('by_g', 'g'))
    assert 'by_g' in [g['IndexName'] for g in r['TableDescription']['GlobalSecondaryIndexes']]
    wait_active(dynamodb, name)
    items = full_query(dynamodb, TableName=name, IndexName='by_g',
                       KeyConditionExpression='g = :v', ExpressionAttributeValues={':v': {'S': 'v1'}})
    assert sorted(i['p']['S'] for i in items) == ['k1', 'k13', 'k17', 'k5', 'k9']


# Writes after the GSI exists are indexed too, and a wrong key type is now rejected.
def test_add_gsi_then_write(dynamodb, table_factory):
    name = table_factory.create()
    dynamodb.update_table(TableName=name, **create_gsi('by_g', 'g'))
    wait_active(dynamodb, name)
    dynamodb.put_item(TableName=name, Item={'p': {'S': 'a'}, 'g': {'S': 'x'}})

    def indexed():
        items = full_query(dynamodb, TableName=name, IndexName='by_g',
                           KeyConditionExpression='g = :v', ExpressionAttributeValues={':v': {'S': 'x'}})
        assert [i['p']['S'] for i in items] == ['a']
    eventually(indexed)
    with pytest.raises(ClientError) as e:
        dynamodb.put_item(TableName=name, Item={'p': {'S': 'b'}, 'g': {'N': '3'}})
    assert error_code(e) == 'ValidationException'


# Deleting a GSI removes it from DescribeTable; querying it is then a ValidationException.
def test_delete_gsi(dynamodb, table_factory):
    name = table_factory.create(
        [key('p', 'HASH')], [attr('p', 'S'), attr('g', 'S')],
        GlobalSecondaryIndexes=[{'IndexName': 'by_g', 'KeySchema': [key('g', 'HASH')],
                                 'Projection': ALL}])
    dynamodb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{'Delete': {'IndexName': 'by_g'}}])
    wait_gsi_gone(dynamodb, name, 'by_g')
    with pytest.raises(ClientError) as e:
        dynamodb.query(TableName=name, IndexName='by_g', KeyConditionExpression='g = :v',
                       ExpressionAttributeValues={':v': {'S': 'x'}})
    assert error_code(e) == 'ValidationException'
    # With the index gone, g may hold any type.
    dynamodb.put_item(TableName=name, Item={'p': {'S': 'a'}, 'g': {'N': '7'}})


# Deleting an index that does not exist is ResourceNotFoundException.
def test_delete_missing_gsi(dynamodb, table_s):
    with pytest.raises(ClientError) as e:
        dynamodb.update_table(TableName=table_s,
                              GlobalSecondaryIndexUpdates=[{'Delete': {'IndexName': 'nope'}}])
    assert error_code(e) == 'ResourceNotFoundException'


# Adding an index whose name is taken is a ValidationException.
def test_add_existing_gsi_name(dynamodb, table_factory):
    name = table_factory.create()
    dynamodb.update_table(TableName=name, **create_gsi('by_g', 'g'))
    wait_active(dynamodb, name)
    with pytest.raises(ClientError) as e:
        dynamodb.update_table(TableName=name, **create_gsi('by_g', 'h'))
    assert error_code(e) == 'ValidationException'


# Only one GSI create/delete per UpdateTable: AWS answers LimitExceededException.
def test_two_gsi_creates_in_one_update(dynamodb, table_factory):
    name = table_factory.create()
    two = create_gsi('gsi_1', 'a')
    two['AttributeDefinitions'].append(attr('b', 'S'))
    two['GlobalSecondaryIndexUpdates'].append(
        {'Create': {'IndexName': 'gsi_2', 'KeySchema': [key('b', 'HASH')], 'Projection': ALL}})
    with pytest.raises(ClientError) as e:
        dynamodb.update_table(TableName=name, **two)
    assert error_code(e) == 'LimitExceededException'


# An UpdateTable that changes nothing is a ValidationException.
def test_empty_update(dynamodb, table_s):
    with pytest.raises(ClientError) as e:
        dynamodb.update_table(TableName=table_s)
    assert error_code(e) == 'ValidationException'


# Switching PAY_PER_REQUEST -> PROVISIONED shows up in DescribeTable.
def test_billing_mode_switch(dynamodb, table_factory):
    name = table_factory.create()
    dynamodb.update_table(TableName=name, BillingMode='PROVISIONED',
                          ProvisionedThroughput={'ReadCapacityUnits': 2, 'WriteCapacityUnits': 3})
    d = wait_active(dynamodb, name)
    assert d['BillingModeSummary']['BillingMode'] == 'PROVISIONED'
    assert d['ProvisionedThroughput']['ReadCapacityUnits'] == 2
    assert d['ProvisionedThroughput']['WriteCapacityUnits'] == 3


# UpdateTable on a missing table is ResourceNotFoundException.
def test_update_missing_table(dynamodb):
    with pytest.raises(ClientError) as e:
        dynamodb.update_table(TableName=unique_table_name('missing'), BillingMode='PAY_PER_REQUEST')
    assert error_code(e) == 'ResourceNotFoundException'


# DeleteTable returns the description; afterwards the table is gone for every operation.
def test_delete_table(dynamodb, table_factory):
    name = table_factory.create()
    dynamodb.put_item(TableName=name, Item={'p': {'S': 'a'}})
    d = dynamodb.delete_table(TableName=name)['TableDescription']
    assert d['TableName'] == name
    assert d['TableStatus'] in ('DELETING', 'ACTIVE')

    def gone():
        with pytest.raises(ClientError) as e:
            dynamodb.describe_table(TableName=name)
        assert error_code(e) == 'ResourceNotFoundException'
    eventually(gone, timeout=120, interval=1)
    for call in (lambda: dynamodb.get_item(TableName=name, Key={'p': {'S': 'a'}}),
                 lambda: dynamodb.put_item(TableName=name, Item={'p': {'S': 'a'}}),
                 lambda: dynamodb.delete_table(TableName=name)):
        with pytest.raises(ClientError) as e:
            call()
        assert error_code(e) == 'ResourceNotFoundException'


# A re-created table of the same name starts empty (no items leak from the old one).
def test_recreate_after_delete_is_empty(dynamodb, table_factory, runnel_only):
    name = table_factory.create()
    dynamodb.put_item(TableName=name, Item={'p': {'S': 'old'}})
    dynamodb.delete_table(TableName=name)
    table_factory.create(TableName=name)
    assert dynamodb.scan(TableName=name)['Items'] == []
