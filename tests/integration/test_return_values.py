"""ReturnValues on PutItem / UpdateItem / DeleteItem, and ReturnConsumedCapacity."""

import pytest
from botocore.exceptions import ClientError

from util import attr, error_code, key, random_string


def S(v):
    return {'S': v}


def N(v):
    return {'N': v}


@pytest.fixture
def item(dynamodb, table_s):
    k = {'p': S(random_string())}
    full = dict(k, a=N('1'), b=S('keep'))
    dynamodb.put_item(TableName=table_s, Item=full)
    return k, full


def upd(dynamodb, table, k, rv):
    return dynamodb.update_item(TableName=table, Key=k, UpdateExpression='SET a = a + :one, c = :c',
                                ExpressionAttributeValues={':one': N('1'), ':c': S('new')},
                                ReturnValues=rv)


# PutItem ALL_OLD returns the replaced item; NONE (the default) returns nothing.
def test_put_all_old(dynamodb, table_s, item):
    k, full = item
    r = dynamodb.put_item(TableName=table_s, Item=dict(k, z=S('z')), ReturnValues='ALL_OLD')
    assert r['Attributes'] == full
    r = dynamodb.put_item(TableName=table_s, Item=k, ReturnValues='NONE')
    assert 'Attributes' not in r


# ALL_OLD of a put that created the item returns no Attributes.
def test_put_all_old_new_item(dynamodb, table_s):
    r = dynamodb.put_item(TableName=table_s, Item={'p': S(random_string())}, ReturnValues='ALL_OLD')
    assert 'Attributes' not in r


# PutItem accepts only NONE and ALL_OLD.
@pytest.mark.parametrize('rv', ['ALL_NEW', 'UPDATED_OLD', 'UPDATED_NEW', 'BOGUS'])
def test_put_invalid_return_values(dynamodb_noval, table_s, rv):
    with pytest.raises(ClientError) as e:
        dynamodb_noval.put_item(TableName=table_s, Item={'p': S(random_string())}, ReturnValues=rv)
    assert error_code(e) == 'ValidationException'


# DeleteItem ALL_OLD returns the deleted item; other modes are invalid.
def test_delete_return_values(dynamodb, dynamodb_noval, table_s, item):
    k, full = item
    with pytest.raises(ClientError) as e:
        dynamodb_noval.delete_item(TableName=table_s, Key=k, ReturnValues='ALL_NEW')
    assert error_code(e) == 'ValidationException'
    assert dynamodb.delete_item(TableName=table_s, Key=k, ReturnValues='ALL_OLD')['Attributes'] == full


# UpdateItem NONE returns no Attributes.
def test_update_none(dynamodb, table_s, item):
    assert 'Attributes' not in upd(dynamodb, table_s, item[0], 'NONE')


# ALL_OLD: the whole item before the update.
def test_update_all_old(dynamodb, table_s, item):
    k, full = item
    assert upd(dynamodb, table_s, k, 'ALL_OLD')['Attributes'] == full


# ALL_NEW: the whole item after the update.
def test_update_all_new(dynamodb, table_s, item):
    k, full = item
    assert upd(dynamodb, table_s, k, 'ALL_NEW')['Attributes'] == dict(full, a=N('2'), c=S('new'))


# UPDATED_OLD: only the updated attributes that existed, with their old values.
def test_update_updated_old(dynamodb, table_s, item):
    assert upd(dynamodb, table_s, item[0], 'UPDATED_OLD')['Attributes'] == {'a': N('1')}


# UPDATED_NEW: only the updated attributes, with their new values.
def test_update_updated_new(dynamodb, table_s, item):
    assert upd(dynamodb, table_s, item[0], 'UPDATED_NEW')['Attributes'] == {'a': N('2'), 'c': S('new')}


# UPDATED_OLD of a REMOVE returns the removed value; UPDATED_NEW of it returns nothing.
def test_updated_with_remove(dynamodb, table_s, item):
    k, _ = item
    r = dynamodb.update_item(TableName=table_s, Key=k, UpdateExpression='REMOVE b',
                             ReturnValues='UPDATED_OLD')
    assert r['Attributes'] == {'b': S('keep')}
    r = dynamodb.update_item(TableName=table_s, Key=k, UpdateExpression='REMOVE a',
                             ReturnValues='UPDATED_NEW')
    assert 'Attributes' not in r or r['Attributes'] == {}


# ALL_OLD on an upsert that created the item returns nothing.
def test_update_all_old_on_new_item(dynamodb, table_s):
    r = dynamodb.update_item(TableName=table_s, Key={'p': S(random_string())}, UpdateExpression='SET c = :c',
                             ExpressionAttributeValues={':c': S('new')}, ReturnValues='ALL_OLD')
    assert 'Attributes' not in r or r['Attributes'] == {}


# ReturnConsumedCapacity=TOTAL on a small write: 1 WCU, named by table.
def test_consumed_capacity_put_total(dynamodb, table_s):
    r = dynamodb.put_item(TableName=table_s, Item={'p': S(random_string())}, ReturnConsumedCapacity='TOTAL')
    assert r['ConsumedCapacity']['TableName'] == table_s
    assert r['ConsumedCapacity']['CapacityUnits'] == 1.0


# Writes are charged per started KB: a 1.5 KB item costs 2 WCU.
def test_consumed_capacity_put_size(dynamodb, table_s):
    r = dynamodb.put_item(TableName=table_s, Item={'p': S(random_string()), 'x': S('x' * 1500)},
                          ReturnConsumedCapacity='TOTAL')
    assert r['ConsumedCapacity']['CapacityUnits'] == 2.0


# Reads: 0.5 RCU eventually consistent, 1 RCU strongly consistent, for items up to 4 KB.
def test_consumed_capacity_get(dynamodb, table_s, item):
    k, _ = item
    r = dynamodb.get_item(TableName=table_s, Key=k, ReturnConsumedCapacity='TOTAL')
    assert r['ConsumedCapacity']['CapacityUnits'] == 0.5
    r = dynamodb.get_item(TableName=table_s, Key=k, ReturnConsumedCapacity='TOTAL', ConsistentRead=True)
    assert r['ConsumedCapacity']['CapacityUnits'] == 1.0


# NONE (the default) returns no ConsumedCapacity.
def test_consumed_capacity_none(dynamodb, table_s, item):
    assert 'ConsumedCapacity' not in dynamodb.get_item(TableName=table_s, Key=item[0])
    r = dynamodb.get_item(TableName=table_s, Key=item[0], ReturnConsumedCapacity='NONE')
    assert 'ConsumedCapacity' not in r


# INDEXES breaks the cost down per table and per GSI: a write to an indexed item costs 1 + 1.
def test_consumed_capacity_indexes(dynamodb, table_factory):
    name = table_factory.create(
        [key('p', 'HASH')], [attr('p', 'S'), attr('g', 'S')],
        GlobalSecondaryIndexes=[{'IndexName': 'gsi_i', 'KeySchema': [key('g', 'HASH')],
                                 'Projection': {'ProjectionType': 'ALL'}}])
    r = dynamodb.put_item(TableName=name, Item={'p': S('a'), 'g': S('b')}, ReturnConsumedCapacity='INDEXES')
    cc = r['ConsumedCapacity']
    assert cc['TableName'] == name
    assert cc['Table']['CapacityUnits'] == 1.0
    assert cc['GlobalSecondaryIndexes']['gsi_i']['CapacityUnits'] == 1.0
    assert cc['CapacityUnits'] == 2.0


# TOTAL on Query reports the capacity of the data read.
def test_consumed_capacity_query(dynamodb, table_ss):
    p = random_string()
    for i in range(3):
        dynamodb.put_item(TableName=table_ss, Item={'p': S(p), 'c': S(str(i))})
    r = dynamodb.query(TableName=table_ss, KeyConditionExpression='p = :p',
                       ExpressionAttributeValues={':p': S(p)}, ReturnConsumedCapacity='TOTAL')
    assert r['ConsumedCapacity']['TableName'] == table_ss
    assert r['ConsumedCapacity']['CapacityUnits'] == 0.5


# UPDATED_NEW of a nested update returns just the updated path inside its parents.
def test_updated_new_nested(dynamodb, table_s):
    k = {'p': S(random_string())}
    dynamodb.put_item(TableName=table_s, Item=dict(k, m={'M': {'a': N('1'), 'b': N('2')}}))
    r = dynamodb.update_item(TableName=table_s, Key=k, UpdateExpression='SET m.a = :v',
                             ExpressionAttributeValues={':v': N('5')}, ReturnValues='UPDATED_NEW')
    assert r['Attributes'] == {'m': {'M': {'a': N('5')}}}
