"""The pre-expression ("legacy") parameters still used by old SDK code, and the rule against mixing."""

import pytest
from botocore.exceptions import ClientError

from util import error_code, random_string


def S(v):
    return {'S': v}


def N(v):
    return {'N': v}


def fails(code, fn, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    assert error_code(e) == code, e.value.response['Error']


def get(client, table, key):
    return client.get_item(TableName=table, Key=key, ConsistentRead=True).get('Item')


@pytest.fixture(scope='module')
def part(dynamodb, table_sn):
    p = random_string()
    for i in range(1, 7):
        dynamodb.put_item(TableName=table_sn, Item={'p': S(p), 'c': N(str(i)), 'color': S('red' if i % 2 else 'blue'),
                                                     'n': N(str(i * 10))})
    return p


# Expected with Exists=false is put-if-absent.
def test_expected_exists_false(dynamodb, table_s):
    k = {'p': S(random_string())}
    dynamodb.put_item(TableName=table_s, Item=k, Expected={'p': {'Exists': False}})
    fails('ConditionalCheckFailedException', dynamodb.put_item, TableName=table_s, Item=k,
          Expected={'p': {'Exists': False}})


# Expected with Value (implies Exists=true) and with ComparisonOperator.
def test_expected_value_and_operator(dynamodb, table_s):
    k = {'p': S(random_string())}
    dynamodb.put_item(TableName=table_s, Item=dict(k, n=N('5')))
    dynamodb.put_item(TableName=table_s, Item=dict(k, n=N('6')), Expected={'n': {'Value': N('5')}})
    dynamodb.put_item(TableName=table_s, Item=dict(k, n=N('7')),
                      Expected={'n': {'ComparisonOperator': 'GT', 'AttributeValueList': [N('5')]}})
    fails('ConditionalCheckFailedException', dynamodb.put_item, TableName=table_s, Item=k,
          Expected={'n': {'ComparisonOperator': 'LT', 'AttributeValueList': [N('0')]}})
    assert get(dynamodb, table_s, k)['n'] == N('7')


# ConditionalOperator=OR combines Expected entries.
def test_expected_conditional_operator_or(dynamodb, table_s):
    k = {'p': S(random_string())}
    dynamodb.put_item(TableName=table_s, Item=dict(k, a=N('1')))
    dynamodb.delete_item(TableName=table_s, Key=k, ConditionalOperator='OR',
                         Expected={'a': {'Value': N('2')}, 'b': {'Exists': False}})
    assert get(dynamodb, table_s, k) is None


# AttributeUpdates: PUT, ADD (number and set) and DELETE.
def test_attribute_updates(dynamodb, table_s):
    k = {'p': S(random_string())}
    dynamodb.put_item(TableName=table_s, Item=dict(k, n=N('1'), s={'SS': ['a', 'b']}, gone=S('x')))
    dynamodb.update_item(TableName=table_s, Key=k, AttributeUpdates={
        'v': {'Action': 'PUT', 'Value': S('put')}, 'n': {'Action': 'ADD', 'Value': N('2')},
        's': {'Action': 'ADD', 'Value': {'SS': ['c']}}, 'gone': {'Action': 'DELETE'}})
    got = get(dynamodb, table_s, k)
    assert got['v'] == S('put') and got['n'] == N('3') and 'gone' not in got
    assert sorted(got['s']['SS']) == ['a', 'b', 'c']
    dynamodb.update_item(TableName=table_s, Key=k, AttributeUpdates={
        's': {'Action': 'DELETE', 'Value': {'SS': ['a']}}})
    assert sorted(get(dynamodb, table_s, k)['s']['SS']) == ['b', 'c']


# Query with KeyConditions (EQ + BETWEEN), QueryFilter and AttributesToGet.
def test_query_key_conditions(dynamodb, table_sn, part):
    r = dynamodb.query(TableName=table_sn, ConsistentRead=True, KeyConditions={
        'p': {'ComparisonOperator': 'EQ', 'AttributeValueList': [S(part)]},
        'c': {'ComparisonOperator': 'BETWEEN', 'AttributeValueList': [N('2'), N('5')]}},
        QueryFilter={'color': {'ComparisonOperator': 'EQ', 'AttributeValueList': [S('red')]}},
        AttributesToGet=['c', 'n'])
    assert r['Items'] == [{'c': N('3'), 'n': N('30')}, {'c': N('5'), 'n': N('50')}]
    assert r['ScannedCount'] == 4


# KeyConditions with BEGINS_WITH / GT and ConditionalOperator=OR in the QueryFilter.
def test_query_filter_or(dynamodb, table_sn, part):
    r = dynamodb.query(TableName=table_sn, ConsistentRead=True, ConditionalOperator='OR', KeyConditions={
        'p': {'ComparisonOperator': 'EQ', 'AttributeValueList': [S(part)]},
        'c': {'ComparisonOperator': 'GT', 'AttributeValueList': [N('0')]}},
        QueryFilter={'n': {'ComparisonOperator': 'LE', 'AttributeValueList': [N('10')]},
                     'color': {'ComparisonOperator': 'EQ', 'AttributeValueList': [S('blue')]}})
    assert [i['c']['N'] for i in r['Items']] == ['1', '2', '4', '6']


# Scan with ScanFilter.
def test_scan_filter(dynamodb, table_sn, part):
    r = dynamodb.scan(TableName=table_sn, ScanFilter={
        'p': {'ComparisonOperator': 'EQ', 'AttributeValueList': [S(part)]},
        'n': {'ComparisonOperator': 'GE', 'AttributeValueList': [N('50')]}})
    assert sorted(i['c']['N'] for i in r['Items']) == ['5', '6']


# GetItem with AttributesToGet.
def test_get_attributes_to_get(dynamodb, table_sn, part):
    r = dynamodb.get_item(TableName=table_sn, Key={'p': S(part), 'c': N('1')}, AttributesToGet=['color'],
                          ConsistentRead=True)
    assert r['Item'] == {'color': S('red')}


# Mixing a legacy parameter with its expression counterpart is a ValidationException.
def test_mix_expected_and_condition(dynamodb, table_s):
    fails('ValidationException', dynamodb.put_item, TableName=table_s, Item={'p': S(random_string())},
          Expected={'p': {'Exists': False}}, ConditionExpression='attribute_not_exists(p)')


def test_mix_attribute_updates_and_update_expression(dynamodb, table_s):
    fails('ValidationException', dynamodb.update_item, TableName=table_s, Key={'p': S(random_string())},
          AttributeUpdates={'a': {'Action': 'PUT', 'Value': S('x')}}, UpdateExpression='SET b = :v',
          ExpressionAttributeValues={':v': S('y')})


def test_mix_attribute_updates_and_condition_expression(dynamodb, table_s):
    fails('ValidationException', dynamodb.update_item, TableName=table_s, Key={'p': S(random_string())},
          AttributeUpdates={'a': {'Action': 'PUT', 'Value': S('x')}}, ConditionExpression='attribute_exists(p)')


def test_mix_key_conditions_and_expression(dynamodb, table_sn, part):
    fails('ValidationException', dynamodb.query, TableName=table_sn,
          KeyConditions={'p': {'ComparisonOperator': 'EQ', 'AttributeValueList': [S(part)]}},
          KeyConditionExpression='p = :p', ExpressionAttributeValues={':p': S(part)})


def test_mix_query_filter_and_filter_expression(dynamodb, table_sn, part):
    fails('ValidationException', dynamodb.query, TableName=table_sn, KeyConditionExpression='p = :p',
          QueryFilter={'n': {'ComparisonOperator': 'GT', 'AttributeValueList': [N('1')]}},
          FilterExpression='n > :one', ExpressionAttributeValues={':p': S(part), ':one': N('1')})


def test_mix_scan_filter_and_filter_expression(dynamodb, table_sn):
    fails('ValidationException', dynamodb.scan, TableName=table_sn,
          ScanFilter={'n': {'ComparisonOperator': 'GT', 'AttributeValueList': [N('1')]}},
          FilterExpression='n > :one', ExpressionAttributeValues={':one': N('1')})


def test_mix_attributes_to_get_and_projection(dynamodb, table_sn, part):
    fails('ValidationException', dynamodb.get_item, TableName=table_sn, Key={'p': S(part), 'c': N('1')},
          AttributesToGet=['n'], ProjectionExpression='color')


# A legacy condition with the wrong number of operands is invalid.
def test_legacy_wrong_operand_count(dynamodb, table_sn, part):
    fails('ValidationException', dynamodb.query, TableName=table_sn, KeyConditions={
        'p': {'ComparisonOperator': 'EQ', 'AttributeValueList': [S(part)]},
        'c': {'ComparisonOperator': 'BETWEEN', 'AttributeValueList': [N('1')]}})


# AttributeUpdates can not touch key attributes either.
def test_attribute_updates_on_key(dynamodb, table_s):
    fails('ValidationException', dynamodb.update_item, TableName=table_s, Key={'p': S(random_string())},
          AttributeUpdates={'p': {'Action': 'PUT', 'Value': S('other')}})


# Expected with a ComparisonOperator that needs no operand (NOT_NULL / NULL).
def test_expected_not_null(dynamodb, table_s):
    k = {'p': S(random_string())}
    dynamodb.put_item(TableName=table_s, Item=dict(k, a=S('x')))
    dynamodb.put_item(TableName=table_s, Item=dict(k, a=S('y')),
                      Expected={'a': {'ComparisonOperator': 'NOT_NULL'}, 'b': {'ComparisonOperator': 'NULL'}})
    fails('ConditionalCheckFailedException', dynamodb.put_item, TableName=table_s, Item=k,
          Expected={'a': {'ComparisonOperator': 'NULL'}})
