"""UpdateTimeToLive / DescribeTimeToLive and the background expiry of items."""

import time

import pytest
from botocore.exceptions import ClientError

from util import error_code, random_string

EXPIRY_WAIT_S = 15.0  # runnel promises expiry within ~10 s; AWS may take days (runnel-only test)


def S(v):
    return {'S': v}


def N(v):
    return {'N': v}


# A new table has TTL disabled.
def test_describe_default(dynamodb, table_factory):
    name = table_factory.create()
    d = dynamodb.describe_time_to_live(TableName=name)['TimeToLiveDescription']
    assert d['TimeToLiveStatus'] == 'DISABLED'


# Enabling echoes the specification, and DescribeTimeToLive then names the attribute.
def test_enable(dynamodb, table_factory):
    name = table_factory.create()
    spec = {'Enabled': True, 'AttributeName': 'expires'}
    r = dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec)
    assert r['TimeToLiveSpecification'] == spec
    d = dynamodb.describe_time_to_live(TableName=name)['TimeToLiveDescription']
    assert d['TimeToLiveStatus'] in ('ENABLING', 'ENABLED')
    assert d['AttributeName'] == 'expires'


# Enabling TTL when it is already enabled is a ValidationException.
def test_enable_twice(dynamodb, table_factory):
    name = table_factory.create()
    spec = {'Enabled': True, 'AttributeName': 'expires'}
    dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec)
    with pytest.raises(ClientError) as e:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=spec)
    assert error_code(e) == 'ValidationException'


# TTL on a missing table is ResourceNotFoundException.
def test_missing_table(dynamodb):
    with pytest.raises(ClientError) as e:
        dynamodb.describe_time_to_live(TableName='rt_missing_ttl_table_x')
    assert error_code(e) == 'ResourceNotFoundException'
    with pytest.raises(ClientError) as e:
        dynamodb.update_time_to_live(TableName='rt_missing_ttl_table_x',
                                     TimeToLiveSpecification={'Enabled': True, 'AttributeName': 'x'})
    assert error_code(e) == 'ResourceNotFoundException'


# The expiry sweep: items whose TTL (epoch seconds) has passed disappear; others stay.
# Kept: future TTLs, non-number TTLs, and TTLs more than five years in the past (documented rule).
def test_items_expire(dynamodb, table_factory, runnel_only):
    name = table_factory.create()
    dynamodb.update_time_to_live(TableName=name,
                                 TimeToLiveSpecification={'Enabled': True, 'AttributeName': 'ttl'})
    now = int(time.time())
    gone = ['past%d' % i for i in range(3)]
    for k in gone:
        dynamodb.put_item(TableName=name, Item={'p': S(k), 'ttl': N(str(now - 60))})
    kept = {'future': N(str(now + 3600)), 'string': S(str(now - 60)), 'ancient': N(str(now - 6 * 366 * 86400)),
            'none': None}
    for k, v in kept.items():
        dynamodb.put_item(TableName=name, Item=dict({'p': S(k)}, **({'ttl': v} if v else {})))

    deadline = time.monotonic() + EXPIRY_WAIT_S
    remaining = gone
    while remaining and time.monotonic() < deadline:
        remaining = [k for k in gone if 'Item' in dynamodb.get_item(TableName=name, Key={'p': S(k)},
                                                                      ConsistentRead=True)]
        time.sleep(0.25)
    assert remaining == [], 'not expired after %ss: %s' % (EXPIRY_WAIT_S, remaining)
    for k in kept:
        assert 'Item' in dynamodb.get_item(TableName=name, Key={'p': S(k)}, ConsistentRead=True), k


# An item whose TTL is pushed into the future before the sweep is not deleted.
def test_ttl_extended_item_survives(dynamodb, table_factory, runnel_only):
    name = table_factory.create()
    dynamodb.update_time_to_live(TableName=name,
                                 TimeToLiveSpecification={'Enabled': True, 'AttributeName': 'ttl'})
    now = int(time.time())
    dynamodb.put_item(TableName=name, Item={'p': S('marker'), 'ttl': N(str(now - 60))})
    dynamodb.put_item(TableName=name, Item={'p': S('extended'), 'ttl': N(str(now + 3600))})
    deadline = time.monotonic() + EXPIRY_WAIT_S
    while time.monotonic() < deadline:
        if 'Item' not in dynamodb.get_item(TableName=name, Key={'p': S('marker')}, ConsistentRead=True):
            break
        time.sleep(0.25)
    assert 'Item' in dynamodb.get_item(TableName=name, Key={'p': S('extended')}, ConsistentRead=True)


# With TTL disabled nothing expires.
def test_no_expiry_when_disabled(dynamodb, table_factory, runnel_only):
    name = table_factory.create()
    k = random_string()
    dynamodb.put_item(TableName=name, Item={'p': S(k), 'ttl': N(str(int(time.time()) - 60))})
    time.sleep(2)
    assert 'Item' in dynamodb.get_item(TableName=name, Key={'p': S(k)}, ConsistentRead=True)


# Expired items leave the table's GSIs too.
def test_expiry_removes_gsi_entries(dynamodb, table_factory, runnel_only):
    name = table_factory.create(
        [{'AttributeName': 'p', 'KeyType': 'HASH'}],
        [{'AttributeName': 'p', 'AttributeType': 'S'}, {'AttributeName': 'g', 'AttributeType': 'S'}],
        GlobalSecondaryIndexes=[{'IndexName': 'by_g', 'KeySchema': [{'AttributeName': 'g', 'KeyType': 'HASH'}],
                                 'Projection': {'ProjectionType': 'KEYS_ONLY'}}])
    dynamodb.update_time_to_live(TableName=name,
                                 TimeToLiveSpecification={'Enabled': True, 'AttributeName': 'ttl'})
    dynamodb.put_item(TableName=name, Item={'p': S('old'), 'g': S('grp'), 'ttl': N(str(int(time.time()) - 60))})
    dynamodb.put_item(TableName=name, Item={'p': S('new'), 'g': S('grp')})

    def indexed():
        r = dynamodb.query(TableName=name, IndexName='by_g', KeyConditionExpression='g = :g',
                           ExpressionAttributeValues={':g': S('grp')})
        return sorted(i['p']['S'] for i in r['Items'])
    deadline = time.monotonic() + EXPIRY_WAIT_S
    while indexed() != ['new'] and time.monotonic() < deadline:
        time.sleep(0.25)
    assert indexed() == ['new']
    assert 'Item' not in dynamodb.get_item(TableName=name, Key={'p': S('old')}, ConsistentRead=True)
