"""ConditionExpression on PutItem / UpdateItem / DeleteItem, and every condition function."""

import pytest
from botocore.exceptions import ClientError

from util import error_code, has_member, random_string


def S(v):
    return {'S': v}


def N(v):
    return {'N': v}


ITEM = {'n': N('5'), 's': S('hello world'), 'ss': {'SS': ['x', 'y']}, 'l': {'L': [S('a'), N('1')]},
        'm': {'M': {'k': S('v')}}, 'b': {'B': b'\x01\x02'}, 'z': {'NULL': True}, 't': {'BOOL': True}}


@pytest.fixture
def key(dynamodb, table_s):
    k = {'p': S(random_string())}
    dynamodb.put_item(TableName=table_s, Item=dict(k, **ITEM))
    return k


def check(dynamodb, table, key, cond, values=None, names=None):
    """True if an UpdateItem guarded by `cond` applied, False on ConditionalCheckFailed."""
    args = {'TableName': table, 'Key': key, 'UpdateExpression': 'SET touched = :touched',
            'ConditionExpression': cond,
            'ExpressionAttributeValues': dict(values or {}, **{':touched': S(random_string())})}
    if names:
        args['ExpressionAttributeNames'] = names
    try:
        dynamodb.update_item(**args)
        return True
    except ClientError as e:
        if error_code_of(e) == 'ConditionalCheckFailedException':
            return False
        raise


def error_code_of(e):
    return e.response['Error']['Code']


# The comparators, on numbers and strings.
@pytest.mark.parametrize('cond,values,expected', [
    ('n = :v', {':v': N('5')}, True), ('n = :v', {':v': N('5.0')}, True),
    ('n <> :v', {':v': N('5')}, False), ('n < :v', {':v': N('6')}, True),
    ('n <= :v', {':v': N('5')}, True), ('n > :v', {':v': N('5')}, False),
    ('n >= :v', {':v': N('5')}, True), ('s < :v', {':v': S('hi')}, True),
    ('n BETWEEN :a AND :b', {':a': N('1'), ':b': N('5')}, True),
    ('n BETWEEN :a AND :b', {':a': N('6'), ':b': N('9')}, False),
    ('n IN (:a, :b)', {':a': N('1'), ':b': N('5')}, True),
    ('n IN (:a, :b)', {':a': N('1'), ':b': N('2')}, False),
    ('n = :v', {':v': S('5')}, False),  # different types never compare equal
    ('n < :v', {':v': S('9')}, False),  # nor order
    ('absent = :v', {':v': N('5')}, False),
    ('absent <> :v', {':v': N('5')}, True),
])
def test_comparators(dynamodb, table_s, key, cond, values, expected):
    assert check(dynamodb, table_s, key, cond, values) == expected


# Boolean logic with AND, OR, NOT and parentheses (NOT binds tighter than AND, AND than OR).
@pytest.mark.parametrize('cond,expected', [
    ('n = :five AND s = :s', True), ('n = :one AND s = :s', False),
    ('n = :one OR s = :s', True), ('NOT n = :one', True),
    ('n = :one AND s = :s OR n = :five', True), ('n = :one AND (s = :s OR n = :five)', False),
    ('NOT (n = :five AND s = :s)', False),
])
def test_logic(dynamodb, table_s, key, cond, expected):
    values = {':five': N('5'), ':one': N('1'), ':s': S('hello world')}
    used = {k: v for k, v in values.items() if k in cond}
    assert check(dynamodb, table_s, key, cond, used) == expected


# The condition functions.
@pytest.mark.parametrize('cond,values,expected', [
    ('attribute_exists(n)', None, True), ('attribute_exists(nope)', None, False),
    ('attribute_not_exists(nope)', None, True), ('attribute_exists(m.k)', None, True),
    ('attribute_exists(l[1])', None, True), ('attribute_exists(l[5])', None, False),
    ('attribute_type(n, :t)', {':t': S('N')}, True), ('attribute_type(ss, :t)', {':t': S('SS')}, True),
    ('attribute_type(z, :t)', {':t': S('NULL')}, True), ('attribute_type(n, :t)', {':t': S('S')}, False),
    ('begins_with(s, :v)', {':v': S('hello')}, True), ('begins_with(s, :v)', {':v': S('world')}, False),
    ('begins_with(b, :v)', {':v': {'B': b'\x01'}}, True),
    ('contains(s, :v)', {':v': S('o w')}, True), ('contains(ss, :v)', {':v': S('y')}, True),
    ('contains(ss, :v)', {':v': S('q')}, False), ('contains(l, :v)', {':v': N('1')}, True),
    ('size(s) = :v', {':v': N('11')}, True), ('size(l) = :v', {':v': N('2')}, True),
    ('size(ss) > :v', {':v': N('1')}, True), ('size(m) = :v', {':v': N('1')}, True),
    ('size(b) = :v', {':v': N('2')}, True), ('size(nope) = :v', {':v': N('0')}, False),
])
def test_functions(dynamodb, table_s, key, cond, values, expected):
    assert check(dynamodb, table_s, key, cond, values) == expected


# attribute_type with an unknown type name is a ValidationException.
def test_attribute_type_bad_type(dynamodb, table_s, key):
    with pytest.raises(ClientError) as e:
        check(dynamodb, table_s, key, 'attribute_type(n, :t)', {':t': S('NUMBER')})
    assert error_code(e) == 'ValidationException'


# A failed PutItem condition is ConditionalCheckFailedException and writes nothing.
def test_put_condition_fails(dynamodb, table_s, key):
    with pytest.raises(ClientError) as e:
        dynamodb.put_item(TableName=table_s, Item=dict(key, new=S('x')),
                          ConditionExpression='attribute_not_exists(p)')
    assert error_code(e) == 'ConditionalCheckFailedException'
    assert 'new' not in dynamodb.get_item(TableName=table_s, Key=key, ConsistentRead=True)['Item']


# attribute_not_exists on a new key lets the put through (the create-only idiom).
def test_put_if_absent(dynamodb, table_s):
    k = {'p': S(random_string())}
    dynamodb.put_item(TableName=table_s, Item=k, ConditionExpression='attribute_not_exists(p)')
    assert dynamodb.get_item(TableName=table_s, Key=k, ConsistentRead=True)['Item'] == k


# A conditional delete only deletes when the condition holds.
def test_delete_condition(dynamodb, table_s, key):
    with pytest.raises(ClientError) as e:
        dynamodb.delete_item(TableName=table_s, Key=key, ConditionExpression='n = :v',
                             ExpressionAttributeValues={':v': N('6')})
    assert error_code(e) == 'ConditionalCheckFailedException'
    dynamodb.delete_item(TableName=table_s, Key=key, ConditionExpression='n = :v',
                         ExpressionAttributeValues={':v': N('5')})
    assert 'Item' not in dynamodb.get_item(TableName=table_s, Key=key, ConsistentRead=True)


# A condition on a missing item sees no attributes: attribute_exists fails, and so does any comparison.
def test_condition_on_missing_item(dynamodb, table_s):
    k = {'p': S(random_string())}
    assert not check(dynamodb, table_s, k, 'attribute_exists(p)')
    assert not check(dynamodb, table_s, k, 'n = :v', {':v': N('5')})
    assert 'Item' not in dynamodb.get_item(TableName=table_s, Key=k, ConsistentRead=True)


# ReturnValuesOnConditionCheckFailure=ALL_OLD puts the current item in the error (boto3 >= 1.28).
def test_return_values_on_condition_failure(dynamodb, table_s, key):
    if not has_member(dynamodb, 'PutItem', 'ReturnValuesOnConditionCheckFailure'):
        pytest.skip('this botocore predates ReturnValuesOnConditionCheckFailure (see test_wire.py)')
    with pytest.raises(ClientError) as e:
        dynamodb.put_item(TableName=table_s, Item=key, ConditionExpression='attribute_not_exists(p)',
                          ReturnValuesOnConditionCheckFailure='ALL_OLD')
    assert error_code(e) == 'ConditionalCheckFailedException'
    assert e.value.response['Item'] == dict(key, **ITEM)
    with pytest.raises(ClientError) as e:
        dynamodb.update_item(TableName=table_s, Key=key, UpdateExpression='SET a = :v',
                             ConditionExpression='n = :v', ExpressionAttributeValues={':v': N('0')},
                             ReturnValuesOnConditionCheckFailure='ALL_OLD')
    assert e.value.response['Item']['n'] == N('5')


# Without ALL_OLD the error carries no item.
def test_condition_failure_without_item(dynamodb, table_s, key):
    with pytest.raises(ClientError) as e:
        dynamodb.put_item(TableName=table_s, Item=key, ConditionExpression='attribute_not_exists(p)')
    assert 'Item' not in e.value.response


# A condition that uses a key attribute with a comparison works on PutItem (optimistic locking).
def test_optimistic_locking(dynamodb, table_s):
    k = {'p': S(random_string())}
    dynamodb.put_item(TableName=table_s, Item=dict(k, v=N('1')))
    dynamodb.put_item(TableName=table_s, Item=dict(k, v=N('2')), ConditionExpression='v = :old',
                      ExpressionAttributeValues={':old': N('1')})
    with pytest.raises(ClientError) as e:
        dynamodb.put_item(TableName=table_s, Item=dict(k, v=N('3')), ConditionExpression='v = :old',
                          ExpressionAttributeValues={':old': N('1')})
    assert error_code(e) == 'ConditionalCheckFailedException'


# Functions used wrongly in conditions are ValidationExceptions (size alone is not a condition).
@pytest.mark.parametrize('cond', ['size(s)', 'n', 'attribute_exists(:v)', 'begins_with(s)',
                                  'unknown_fn(s)', 'n = ', 'n BETWEEN :v', '(n = :v'])
def test_bad_conditions(dynamodb, table_s, key, cond):
    with pytest.raises(ClientError) as e:
        check(dynamodb, table_s, key, cond, {':v': N('1')} if ':v' in cond else None)
    assert error_code(e) == 'ValidationException'
