"""Placeholders, reserved words and ProjectionExpression."""

import pytest
from botocore.exceptions import ClientError

from util import error_code, random_string


def S(v):
    return {'S': v}


def N(v):
    return {'N': v}


@pytest.fixture
def key(dynamodb, table_s):
    k = {'p': S(random_string())}
    dynamodb.put_item(TableName=table_s, Item=dict(k, a=S('A'), b=N('1'), name=S('reserved'),
                                                   m={'M': {'x': S('X'), 'y': {'L': [N('0'), N('1')]}}},
                                                   l={'L': [S('l0'), {'M': {'z': S('Z')}}]}))
    return k


def fails(fn, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    assert error_code(e) == 'ValidationException', e.value.response['Error']


# A value placeholder given but not used in any expression is an error.
def test_unused_value(dynamodb, table_s, key):
    fails(dynamodb.update_item, TableName=table_s, Key=key, UpdateExpression='SET a = :v',
          ExpressionAttributeValues={':v': S('x'), ':unused': S('y')})


# A name placeholder given but not used is an error.
def test_unused_name(dynamodb, table_s, key):
    fails(dynamodb.get_item, TableName=table_s, Key=key, ProjectionExpression='a',
          ExpressionAttributeNames={'#unused': 'b'})


# A value placeholder used but not defined is an error.
def test_missing_value(dynamodb, table_s, key):
    fails(dynamodb.update_item, TableName=table_s, Key=key, UpdateExpression='SET a = :v')


# A name placeholder used but not defined is an error.
def test_missing_name(dynamodb, table_s, key):
    fails(dynamodb.get_item, TableName=table_s, Key=key, ProjectionExpression='#n')


# Placeholders used across two expressions of one request count as used.
def test_placeholders_shared_between_expressions(dynamodb, table_s, key):
    dynamodb.update_item(TableName=table_s, Key=key, UpdateExpression='SET #a = :v',
                         ConditionExpression='#a <> :v', ExpressionAttributeNames={'#a': 'a'},
                         ExpressionAttributeValues={':v': S('new')})


# Reserved words can not be used bare in any expression.
@pytest.mark.parametrize('word', ['name', 'status', 'data', 'count', 'timestamp', 'user', 'NAME'])
def test_reserved_word_in_projection(dynamodb, table_s, key, word):
    fails(dynamodb.get_item, TableName=table_s, Key=key, ProjectionExpression=word)


# ... including in update and condition expressions.
def test_reserved_word_in_update_and_condition(dynamodb, table_s, key):
    fails(dynamodb.update_item, TableName=table_s, Key=key, UpdateExpression='SET name = :v',
          ExpressionAttributeValues={':v': S('x')})
    fails(dynamodb.put_item, TableName=table_s, Item=key, ConditionExpression='attribute_exists(status)')


# With a placeholder the reserved word works.
def test_reserved_word_with_placeholder(dynamodb, table_s, key):
    r = dynamodb.get_item(TableName=table_s, Key=key, ProjectionExpression='#n',
                          ExpressionAttributeNames={'#n': 'name'}, ConsistentRead=True)
    assert r['Item'] == {'name': S('reserved')}


# ExpressionAttributeValues without any expression is an error.
def test_values_without_expression(dynamodb, table_s, key):
    fails(dynamodb.put_item, TableName=table_s, Item=key, ExpressionAttributeValues={':v': S('x')})


# An empty ExpressionAttributeValues / Names map is an error.
def test_empty_maps(dynamodb, table_s, key):
    fails(dynamodb.update_item, TableName=table_s, Key=key, UpdateExpression='SET a = b',
          ExpressionAttributeValues={})
    fails(dynamodb.update_item, TableName=table_s, Key=key, UpdateExpression='SET a = b',
          ExpressionAttributeNames={})


# Placeholder names must start with ':' / '#'.
def test_badly_named_placeholders(dynamodb, table_s, key):
    fails(dynamodb.update_item, TableName=table_s, Key=key, UpdateExpression='SET a = :v',
          ExpressionAttributeValues={':v': S('x'), 'v2': S('y')})


# ProjectionExpression returns only the named attributes, including nested paths and list indexes.
def test_projection_paths(dynamodb, table_s, key):
    r = dynamodb.get_item(TableName=table_s, Key=key, ConsistentRead=True,
                          ProjectionExpression='a, m.x, m.y[1], l[1].z, nothere')
    assert r['Item'] == {'a': S('A'), 'm': {'M': {'x': S('X'), 'y': {'L': [N('1')]}}},
                         'l': {'L': [{'M': {'z': S('Z')}}]}}


# A projection of only missing attributes returns an empty Item (the item exists).
def test_projection_nothing_matches(dynamodb, table_s, key):
    r = dynamodb.get_item(TableName=table_s, Key=key, ConsistentRead=True, ProjectionExpression='zz')
    assert r['Item'] == {}


# Overlapping or duplicate projection paths are an error.
@pytest.mark.parametrize('proj', ['a, a', 'm, m.x', 'm.x, m'])
def test_projection_overlap(dynamodb, table_s, key, proj):
    fails(dynamodb.get_item, TableName=table_s, Key=key, ProjectionExpression=proj)


# Malformed projections are errors.
@pytest.mark.parametrize('proj', ['', 'a,', 'a b', 'm.', 'l[', 'l[-1]', ':v'])
def test_projection_syntax(dynamodb_noval, table_s, key, proj):
    fails(dynamodb_noval.get_item, TableName=table_s, Key=key, ProjectionExpression=proj)


# A name placeholder can stand for one path component, even one containing a dot.
def test_name_placeholder_is_one_component(dynamodb, table_s):
    k = {'p': S(random_string())}
    dynamodb.put_item(TableName=table_s, Item=dict(k, **{'a.b': S('dotted'), 'a': {'M': {'b': S('nested')}}}))
    r = dynamodb.get_item(TableName=table_s, Key=k, ConsistentRead=True, ProjectionExpression='#ab',
                          ExpressionAttributeNames={'#ab': 'a.b'})
    assert r['Item'] == {'a.b': S('dotted')}
    r = dynamodb.get_item(TableName=table_s, Key=k, ConsistentRead=True, ProjectionExpression='#a.#b',
                          ExpressionAttributeNames={'#a': 'a', '#b': 'b'})
    assert r['Item'] == {'a': {'M': {'b': S('nested')}}}


# ExpressionAttributeNames without any expression is an error too.
def test_names_without_expression(dynamodb, table_s, key):
    fails(dynamodb.get_item, TableName=table_s, Key=key, ExpressionAttributeNames={'#a': 'a'})


# An expression longer than 4 KB is rejected.
def test_expression_too_long(dynamodb, table_s, key):
    proj = ', '.join('attr%04d' % i for i in range(500))  # ~5 KB
    fails(dynamodb.get_item, TableName=table_s, Key=key, ProjectionExpression=proj)


# IN takes at most 100 operands.
def test_in_too_many_operands(dynamodb, table_s, key):
    values = {':v%d' % i: N(str(i)) for i in range(101)}
    fails(dynamodb.put_item, TableName=table_s, Item=key,
          ConditionExpression='b IN (%s)' % ', '.join(values), ExpressionAttributeValues=values)
    values = {':v%d' % i: N(str(i)) for i in range(100)}
    dynamodb.put_item(TableName=table_s, Item=key,
                      ConditionExpression='b IN (%s)' % ', '.join(values), ExpressionAttributeValues=values)
