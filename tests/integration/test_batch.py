"""BatchWriteItem and BatchGetItem: limits, duplicates, mixing, missing tables."""

import pytest
from botocore.exceptions import ClientError

from util import error_code, random_string, unique_table_name


def S(v):
    return {'S': v}


def puts(keys, extra=None):
    return [{'PutRequest': {'Item': dict({'p': S(k)}, **(extra or {}))}} for k in keys]


def fails(code, fn, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    assert error_code(e) == code, e.value.response['Error']


# 25 puts in one batch are all written; UnprocessedItems is empty.
def test_batch_write_25(dynamodb, table_s):
    keys = [random_string() for _ in range(25)]
    r = dynamodb.batch_write_item(RequestItems={table_s: puts(keys)})
    assert r['UnprocessedItems'] == {}
    got = dynamodb.batch_get_item(RequestItems={table_s: {'Keys': [{'p': S(k)} for k in keys],
                                                          'ConsistentRead': True}})
    assert sorted(i['p']['S'] for i in got['Responses'][table_s]) == sorted(keys)


# 26 requests in one batch are rejected and nothing is written.
def test_batch_write_26(dynamodb_noval, table_s):
    keys = [random_string() for _ in range(26)]
    fails('ValidationException', dynamodb_noval.batch_write_item, RequestItems={table_s: puts(keys)})
    assert 'Item' not in dynamodb_noval.get_item(TableName=table_s, Key={'p': S(keys[0])}, ConsistentRead=True)


# The 25 limit counts requests across all tables of the batch.
def test_batch_write_26_across_tables(dynamodb_noval, table_s, table_ss):
    keys = [random_string() for _ in range(13)]
    fails('ValidationException', dynamodb_noval.batch_write_item, RequestItems={
        table_s: puts(keys),
        table_ss: [{'PutRequest': {'Item': {'p': S(k), 'c': S('c')}}} for k in keys]})


# Two requests for the same key in one batch are rejected.
def test_batch_write_duplicate_keys(dynamodb, table_s):
    k = random_string()
    fails('ValidationException', dynamodb.batch_write_item,
          RequestItems={table_s: puts([k]) + [{'DeleteRequest': {'Key': {'p': S(k)}}}]})
    fails('ValidationException', dynamodb.batch_write_item, RequestItems={table_s: puts([k, k])})


# Puts and deletes mix in one batch; deleting a missing item is fine.
def test_batch_write_put_delete_mix(dynamodb, table_s):
    old, new = random_string(), random_string()
    dynamodb.put_item(TableName=table_s, Item={'p': S(old)})
    r = dynamodb.batch_write_item(RequestItems={table_s: puts([new]) + [
        {'DeleteRequest': {'Key': {'p': S(old)}}}, {'DeleteRequest': {'Key': {'p': S(random_string())}}}]})
    assert r['UnprocessedItems'] == {}
    assert 'Item' not in dynamodb.get_item(TableName=table_s, Key={'p': S(old)}, ConsistentRead=True)
    assert 'Item' in dynamodb.get_item(TableName=table_s, Key={'p': S(new)}, ConsistentRead=True)


# A batch naming a missing table is ResourceNotFoundException.
def test_batch_write_missing_table(dynamodb):
    fails('ResourceNotFoundException', dynamodb.batch_write_item,
          RequestItems={unique_table_name('missing'): puts(['a'])})


# Items in a batch are validated like PutItem (key type, empty set).
def test_batch_write_invalid_item(dynamodb, dynamodb_noval, table_s):
    fails('ValidationException', dynamodb.batch_write_item,
          RequestItems={table_s: [{'PutRequest': {'Item': {'p': {'N': '1'}}}}]})
    fails('ValidationException', dynamodb_noval.batch_write_item,
          RequestItems={table_s: puts(['a'], {'x': {'SS': []}})})


# An empty request is invalid.
def test_batch_write_empty(dynamodb_noval, table_s):
    fails('ValidationException', dynamodb_noval.batch_write_item, RequestItems={})
    fails('ValidationException', dynamodb_noval.batch_write_item, RequestItems={table_s: []})


# A request entry must be exactly one of PutRequest / DeleteRequest.
def test_batch_write_both_put_and_delete(dynamodb_noval, table_s):
    fails('ValidationException', dynamodb_noval.batch_write_item, RequestItems={table_s: [
        {'PutRequest': {'Item': {'p': S('a')}}, 'DeleteRequest': {'Key': {'p': S('b')}}}]})


# BatchGetItem of 100 keys works; missing keys are simply absent from Responses.
def test_batch_get_100(dynamodb, table_s):
    keys = [random_string() for _ in range(100)]
    for i in range(0, 50, 25):
        dynamodb.batch_write_item(RequestItems={table_s: puts(keys[i:i + 25])})
    r = dynamodb.batch_get_item(RequestItems={table_s: {'Keys': [{'p': S(k)} for k in keys],
                                                        'ConsistentRead': True}})
    assert r['UnprocessedKeys'] == {}
    assert sorted(i['p']['S'] for i in r['Responses'][table_s]) == sorted(keys[:50])


# 101 keys are rejected.
def test_batch_get_101(dynamodb_noval, table_s):
    fails('ValidationException', dynamodb_noval.batch_get_item,
          RequestItems={table_s: {'Keys': [{'p': S(random_string())} for _ in range(101)]}})


# Duplicate keys in one BatchGetItem are rejected.
def test_batch_get_duplicates(dynamodb, table_s):
    fails('ValidationException', dynamodb.batch_get_item,
          RequestItems={table_s: {'Keys': [{'p': S('same')}, {'p': S('same')}]}})


# A missing table is ResourceNotFoundException.
def test_batch_get_missing_table(dynamodb):
    fails('ResourceNotFoundException', dynamodb.batch_get_item,
          RequestItems={unique_table_name('missing'): {'Keys': [{'p': S('a')}]}})


# BatchGetItem spans tables and honours ProjectionExpression per table.
def test_batch_get_two_tables_projection(dynamodb, table_s, table_ss):
    k = random_string()
    dynamodb.put_item(TableName=table_s, Item={'p': S(k), 'a': S('1'), 'b': S('2')})
    dynamodb.put_item(TableName=table_ss, Item={'p': S(k), 'c': S('c'), 'a': S('3')})
    r = dynamodb.batch_get_item(RequestItems={
        table_s: {'Keys': [{'p': S(k)}], 'ProjectionExpression': 'b', 'ConsistentRead': True},
        table_ss: {'Keys': [{'p': S(k), 'c': S('c')}], 'ConsistentRead': True}})
    assert r['Responses'][table_s] == [{'b': S('2')}]
    assert r['Responses'][table_ss] == [{'p': S(k), 'c': S('c'), 'a': S('3')}]


# Keys must match the table's key schema.
def test_batch_get_bad_key(dynamodb, table_ss):
    fails('ValidationException', dynamodb.batch_get_item,
          RequestItems={table_ss: {'Keys': [{'p': S('a')}]}})


# ReturnConsumedCapacity on batches returns a list, one entry per table.
def test_batch_consumed_capacity(dynamodb, table_s):
    r = dynamodb.batch_write_item(RequestItems={table_s: puts([random_string()])},
                                  ReturnConsumedCapacity='TOTAL')
    (cc,) = r['ConsumedCapacity']
    assert cc['TableName'] == table_s and cc['CapacityUnits'] == 1.0


# BatchGetItem returns at most 16 MB; the rest comes back in UnprocessedKeys for a retry.
def test_batch_get_16mb_unprocessed(dynamodb, table_factory):
    name = table_factory.create()
    blob = 'x' * (390 * 1024)
    keys = ['k%02d' % i for i in range(50)]  # ~19.5 MB in total
    for i in range(0, 50, 5):
        dynamodb.batch_write_item(RequestItems={name: puts(keys[i:i + 5], {'blob': S(blob)})})
    got = []
    r = dynamodb.batch_get_item(RequestItems={name: {'Keys': [{'p': S(k)} for k in keys]}})
    assert r['UnprocessedKeys'], 'all 19.5 MB returned in one response'
    got += [i['p']['S'] for i in r['Responses'].get(name, [])]
    assert len(got) <= 42  # 16 MB / 390 KB
    for _ in range(10):
        if not r['UnprocessedKeys']:
            break
        r = dynamodb.batch_get_item(RequestItems=r['UnprocessedKeys'])
        got += [i['p']['S'] for i in r['Responses'].get(name, [])]
    assert sorted(got) == keys
