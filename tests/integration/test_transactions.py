"""TransactWriteItems / TransactGetItems: atomicity, cancellation reasons, idempotency tokens."""

import uuid

import pytest
from botocore.exceptions import ClientError

from util import error_code, random_string, unique_table_name


def S(v):
    return {'S': v}


def N(v):
    return {'N': v}


def get(client, table, key):
    return client.get_item(TableName=table, Key=key, ConsistentRead=True).get('Item')


def fails(code, fn, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    assert error_code(e) == code, e.value.response['Error']
    return e.value.response


# Put, Update, Delete and ConditionCheck in one transaction all apply.
def test_all_actions(dynamodb, table_s, table_ss):
    a, b, c, d = (random_string() for _ in range(4))
    dynamodb.put_item(TableName=table_s, Item={'p': S(b), 'n': N('1')})
    dynamodb.put_item(TableName=table_s, Item={'p': S(c)})
    dynamodb.put_item(TableName=table_ss, Item={'p': S(d), 'c': S('x'), 'ok': {'BOOL': True}})
    dynamodb.transact_write_items(TransactItems=[
        {'Put': {'TableName': table_s, 'Item': {'p': S(a), 'v': S('new')}}},
        {'Update': {'TableName': table_s, 'Key': {'p': S(b)}, 'UpdateExpression': 'SET n = n + :one',
                    'ExpressionAttributeValues': {':one': N('1')}}},
        {'Delete': {'TableName': table_s, 'Key': {'p': S(c)}}},
        {'ConditionCheck': {'TableName': table_ss, 'Key': {'p': S(d), 'c': S('x')},
                            'ConditionExpression': 'ok = :t', 'ExpressionAttributeValues': {':t': {'BOOL': True}}}},
    ])
    assert get(dynamodb, table_s, {'p': S(a)})['v'] == S('new')
    assert get(dynamodb, table_s, {'p': S(b)})['n'] == N('2')
    assert get(dynamodb, table_s, {'p': S(c)}) is None


# One failed condition cancels everything; the reasons align with the input order.
def test_atomic_cancel(dynamodb, table_s):
    a, b = random_string(), random_string()
    dynamodb.put_item(TableName=table_s, Item={'p': S(b), 'n': N('1')})
    resp = fails('TransactionCanceledException', dynamodb.transact_write_items, TransactItems=[
        {'Put': {'TableName': table_s, 'Item': {'p': S(a)}}},
        {'Update': {'TableName': table_s, 'Key': {'p': S(b)}, 'UpdateExpression': 'SET n = :v',
                    'ConditionExpression': 'n = :old', 'ExpressionAttributeValues': {':v': N('9'), ':old': N('0')}}},
    ])
    assert [r['Code'] for r in resp['CancellationReasons']] == ['None', 'ConditionalCheckFailed']
    assert 'ConditionalCheckFailed' in resp['Error']['Message']
    assert get(dynamodb, table_s, {'p': S(a)}) is None
    assert get(dynamodb, table_s, {'p': S(b)})['n'] == N('1')


# A failing ConditionCheck alone cancels the other writes.
def test_condition_check_cancels(dynamodb, table_s):
    a = random_string()
    resp = fails('TransactionCanceledException', dynamodb.transact_write_items, TransactItems=[
        {'ConditionCheck': {'TableName': table_s, 'Key': {'p': S(random_string())},
                            'ConditionExpression': 'attribute_exists(p)'}},
        {'Put': {'TableName': table_s, 'Item': {'p': S(a)}}},
    ])
    assert [r['Code'] for r in resp['CancellationReasons']] == ['ConditionalCheckFailed', 'None']
    assert get(dynamodb, table_s, {'p': S(a)}) is None


# ReturnValuesOnConditionCheckFailure=ALL_OLD puts the current item in that reason.
def test_cancel_reason_carries_item(dynamodb, table_s):
    b = random_string()
    dynamodb.put_item(TableName=table_s, Item={'p': S(b), 'n': N('1')})
    resp = fails('TransactionCanceledException', dynamodb.transact_write_items, TransactItems=[
        {'Put': {'TableName': table_s, 'Item': {'p': S(random_string())}}},
        {'Delete': {'TableName': table_s, 'Key': {'p': S(b)}, 'ConditionExpression': 'n = :z',
                    'ExpressionAttributeValues': {':z': N('0')}, 'ReturnValuesOnConditionCheckFailure': 'ALL_OLD'}},
    ])
    reasons = resp['CancellationReasons']
    assert reasons[1]['Code'] == 'ConditionalCheckFailed'
    assert reasons[1]['Item'] == {'p': S(b), 'n': N('1')}
    assert 'Item' not in reasons[0]


# Two actions on the same item in one transaction are rejected.
def test_same_item_twice(dynamodb, table_s):
    k = random_string()
    fails('ValidationException', dynamodb.transact_write_items, TransactItems=[
        {'Put': {'TableName': table_s, 'Item': {'p': S(k)}}},
        {'Update': {'TableName': table_s, 'Key': {'p': S(k)}, 'UpdateExpression': 'SET a = :v',
                    'ExpressionAttributeValues': {':v': S('x')}}},
    ])
    assert get(dynamodb, table_s, {'p': S(k)}) is None


# A ConditionCheck needs a ConditionExpression.
def test_condition_check_without_condition(dynamodb_noval, table_s):
    fails('ValidationException', dynamodb_noval.transact_write_items, TransactItems=[
        {'ConditionCheck': {'TableName': table_s, 'Key': {'p': S('a')}}}])


# At most 100 actions.
def test_too_many_actions(dynamodb_noval, table_s):
    fails('ValidationException', dynamodb_noval.transact_write_items, TransactItems=[
        {'Put': {'TableName': table_s, 'Item': {'p': S(random_string())}}} for _ in range(101)])


# An empty transaction is invalid.
def test_empty_transaction(dynamodb_noval):
    fails('ValidationException', dynamodb_noval.transact_write_items, TransactItems=[])


# A missing table is ResourceNotFoundException.
def test_missing_table(dynamodb):
    fails('ResourceNotFoundException', dynamodb.transact_write_items, TransactItems=[
        {'Put': {'TableName': unique_table_name('missing'), 'Item': {'p': S('a')}}}])


# The same ClientRequestToken and request again: success, applied once.
def test_idempotent_token(dynamodb, table_s):
    k = {'p': S(random_string())}
    dynamodb.put_item(TableName=table_s, Item=dict(k, n=N('0')))
    req = dict(ClientRequestToken=str(uuid.uuid4()), TransactItems=[
        {'Update': {'TableName': table_s, 'Key': k, 'UpdateExpression': 'SET n = n + :one',
                    'ExpressionAttributeValues': {':one': N('1')}}}])
    dynamodb.transact_write_items(**req)
    dynamodb.transact_write_items(**req)
    assert get(dynamodb, table_s, k)['n'] == N('1')


# Without a token (boto3 generates a fresh one each call) both calls apply.
def test_no_token_applies_twice(dynamodb, table_s):
    k = {'p': S(random_string())}
    dynamodb.put_item(TableName=table_s, Item=dict(k, n=N('0')))
    items = [{'Update': {'TableName': table_s, 'Key': k, 'UpdateExpression': 'SET n = n + :one',
                         'ExpressionAttributeValues': {':one': N('1')}}}]
    dynamodb.transact_write_items(TransactItems=items)
    dynamodb.transact_write_items(TransactItems=items)
    assert get(dynamodb, table_s, k)['n'] == N('2')


# The same token with a different request is IdempotentParameterMismatchException.
def test_token_mismatch(dynamodb, table_s):
    token = str(uuid.uuid4())
    dynamodb.transact_write_items(ClientRequestToken=token, TransactItems=[
        {'Put': {'TableName': table_s, 'Item': {'p': S(random_string())}}}])
    other = random_string()
    fails('IdempotentParameterMismatchException', dynamodb.transact_write_items, ClientRequestToken=token,
          TransactItems=[{'Put': {'TableName': table_s, 'Item': {'p': S(other)}}}])
    assert get(dynamodb, table_s, {'p': S(other)}) is None


# Tokens longer than 36 characters are invalid.
def test_token_too_long(dynamodb_noval, table_s):
    fails('ValidationException', dynamodb_noval.transact_write_items, ClientRequestToken='x' * 37,
          TransactItems=[{'Put': {'TableName': table_s, 'Item': {'p': S(random_string())}}}])


# TransactGetItems returns items in request order; a missing item is an empty entry.
def test_transact_get(dynamodb, table_s, table_ss):
    a, b = random_string(), random_string()
    dynamodb.put_item(TableName=table_s, Item={'p': S(a), 'v': S('1'), 'w': S('2')})
    dynamodb.put_item(TableName=table_ss, Item={'p': S(b), 'c': S('c')})
    r = dynamodb.transact_get_items(TransactItems=[
        {'Get': {'TableName': table_ss, 'Key': {'p': S(b), 'c': S('c')}}},
        {'Get': {'TableName': table_s, 'Key': {'p': S(random_string())}}},
        {'Get': {'TableName': table_s, 'Key': {'p': S(a)}, 'ProjectionExpression': 'w'}},
    ])
    resp = r['Responses']
    assert len(resp) == 3
    assert resp[0]['Item'] == {'p': S(b), 'c': S('c')}
    assert 'Item' not in resp[1]
    assert resp[2]['Item'] == {'w': S('2')}


# TransactGetItems also rejects two reads of one item and missing tables.
def test_transact_get_errors(dynamodb, table_s):
    fails('ValidationException', dynamodb.transact_get_items, TransactItems=[
        {'Get': {'TableName': table_s, 'Key': {'p': S('a')}}},
        {'Get': {'TableName': table_s, 'Key': {'p': S('a')}}}])
    fails('ResourceNotFoundException', dynamodb.transact_get_items, TransactItems=[
        {'Get': {'TableName': unique_table_name('missing'), 'Key': {'p': S('a')}}}])


# Items in a transaction are validated and nothing is written. The docs allow either answer here
# (a ValidationException up front, or a cancellation with a ValidationError reason).
def test_invalid_item_in_transaction(dynamodb, table_s):
    a = random_string()
    with pytest.raises(ClientError) as e:
        dynamodb.transact_write_items(TransactItems=[
            {'Put': {'TableName': table_s, 'Item': {'p': S(a)}}},
            {'Put': {'TableName': table_s, 'Item': {'p': N('1')}}}])
    code = error_code(e)
    assert code in ('ValidationException', 'TransactionCanceledException'), code
    if code == 'TransactionCanceledException':
        assert [r['Code'] for r in e.value.response['CancellationReasons']] == ['None', 'ValidationError']
    assert get(dynamodb, table_s, {'p': S(a)}) is None


# The items of one transaction may total at most 4 MB (documented limit; a ValidationException).
def test_transaction_over_4mb(dynamodb, table_s):
    blob = 'x' * (100 * 1024)
    keys = [random_string() for _ in range(45)]  # ~4.5 MB
    fails('ValidationException', dynamodb.transact_write_items, TransactItems=[
        {'Put': {'TableName': table_s, 'Item': {'p': S(k), 'blob': S(blob)}}} for k in keys])
    assert get(dynamodb, table_s, {'p': S(keys[0])}) is None
