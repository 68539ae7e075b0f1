"""Query and Scan through GSIs and LSIs: projections, paging keys, consistency rules."""

import pytest
from botocore.exceptions import ClientError

from util import attr, error_code, eventually, full_query, key, random_string


def S(v):
    return {'S': v}


def N(v):
    return {'N': v}


@pytest.fixture(scope='module')
def itable(session_tables):
    """p/c table with GSIs (ALL on g+r, KEYS_ONLY on g, INCLUDE on h) and an LSI on l."""
    return session_tables.create(
        [key('p', 'HASH'), key('c', 'RANGE')],
        [attr('p', 'S'), attr('c', 'S'), attr('g', 'S'), attr('r', 'N'), attr('h', 'S'), attr('l', 'N')],
        tag='idx',
        GlobalSecondaryIndexes=[
            {'IndexName': 'g_all', 'KeySchema': [key('g', 'HASH'), key('r', 'RANGE')],
             'Projection': {'ProjectionType': 'ALL'}},
            {'IndexName': 'g_keys', 'KeySchema': [key('g', 'HASH')],
             'Projection': {'ProjectionType': 'KEYS_ONLY'}},
            {'IndexName': 'h_incl', 'KeySchema': [key('h', 'HASH')],
             'Projection': {'ProjectionType': 'INCLUDE', 'NonKeyAttributes': ['x']}},
        ],
        LocalSecondaryIndexes=[
            {'IndexName': 'l_lsi', 'KeySchema': [key('p', 'HASH'), key('l', 'RANGE')],
             'Projection': {'ProjectionType': 'ALL'}},
        ])


@pytest.fixture(scope='module')
def data(dynamodb, itable):
    """Items in two base partitions sharing one GSI partition g; some lack the index keys."""
    g, p1, p2 = random_string(), random_string(), random_string()
    items = []
    for i in range(6):
        items.append({'p': S(p1 if i % 2 else p2), 'c': S('c%d' % i), 'g': S(g), 'r': N(str(i)),
                      'h': S(g + 'h'), 'l': N(str(10 - i)), 'x': S('x%d' % i), 'y': S('y%d' % i)})
    items.append({'p': S(p1), 'c': S('nokeys'), 'y': S('unindexed')})
    for it in items:
        dynamodb.put_item(TableName=itable, Item=it)
    return {'g': g, 'p1': p1, 'p2': p2, 'items': items}


def gsi_query(client, table, index, cond, values, **kw):
    """Query a GSI, retrying for a while (GSIs are eventually consistent on AWS)."""
    def run():
        return full_query(client, TableName=table, IndexName=index, KeyConditionExpression=cond,
                          ExpressionAttributeValues=values, **kw)
    return run


def fails(fn, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    assert error_code(e) == 'ValidationException', e.value.response['Error']


# A GSI query finds items across base partitions, ordered by the index sort key.
def test_gsi_query_all(dynamodb, itable, data):
    run = gsi_query(dynamodb, itable, 'g_all', 'g = :g', {':g': S(data['g'])})

    def check():
        got = run()
        assert [i['r']['N'] for i in got] == ['0', '1', '2', '3', '4', '5']
        assert got[0] == data['items'][0]
    eventually(check)


# Range conditions and descending order work on the index sort key.
def test_gsi_range_condition(dynamodb, itable, data):
    def check():
        got = full_query(dynamodb, TableName=itable, IndexName='g_all', ScanIndexForward=False,
                         KeyConditionExpression='g = :g AND r BETWEEN :a AND :b',
                         ExpressionAttributeValues={':g': S(data['g']), ':a': N('1'), ':b': N('3')})
        assert [i['r']['N'] for i in got] == ['3', '2', '1']
    eventually(check)


# KEYS_ONLY returns the table key and the index key, nothing else.
def test_gsi_keys_only(dynamodb, itable, data):
    def check():
        got = gsi_query(dynamodb, itable, 'g_keys', 'g = :g', {':g': S(data['g'])})()
        assert len(got) == 6
        assert all(set(i) == {'p', 'c', 'g'} for i in got)
    eventually(check)


# INCLUDE returns keys plus the listed attributes.
def test_gsi_include(dynamodb, itable, data):
    def check():
        got = gsi_query(dynamodb, itable, 'h_incl', 'h = :h', {':h': S(data['g'] + 'h')})()
        assert len(got) == 6
        assert all(set(i) == {'p', 'c', 'h', 'x'} for i in got)
    eventually(check)


# Items without the index key attributes are not in the index (sparse index).
def test_gsi_sparse(dynamodb, itable, data):
    def check():
        got = dynamodb.scan(TableName=itable, IndexName='g_all', FilterExpression='p = :p',
                            ExpressionAttributeValues={':p': S(data['p1'])})
        assert 'nokeys' not in [i['c']['S'] for i in got['Items']]
    eventually(check)


# LastEvaluatedKey of an index query holds the table key and the index key.
def test_gsi_last_evaluated_key(dynamodb, itable, data):

    def caught_up():
        assert len(gsi_query(dynamodb, itable, 'g_all', 'g = :g', {':g': S(data['g'])})()) == 6
    eventually(caught_up)
    r = dynamodb.query(TableName=itable, IndexName='g_all', KeyConditionExpression='g = :g',
                       ExpressionAttributeValues={':g': S(data['g'])}, Limit=2)
    assert set(r['LastEvaluatedKey']) == {'p', 'c', 'g', 'r'}
    assert r['LastEvaluatedKey']['r'] == N('1')
    r2 = dynamodb.query(TableName=itable, IndexName='g_all', KeyConditionExpression='g = :g',
                        ExpressionAttributeValues={':g': S(data['g'])}, Limit=2,
                        ExclusiveStartKey=r['LastEvaluatedKey'])
    assert [i['r']['N'] for i in r2['Items']] == ['2', '3']


# GSIs do not support strongly consistent reads.
def test_gsi_consistent_read(dynamodb, itable, data):
    fails(dynamodb.query, TableName=itable, IndexName='g_all', KeyConditionExpression='g = :g',
          ExpressionAttributeValues={':g': S(data['g'])}, ConsistentRead=True)
    fails(dynamodb.scan, TableName=itable, IndexName='g_all', ConsistentRead=True)


# Select=ALL_ATTRIBUTES on a GSI that does not project everything is invalid.
def test_gsi_select_all_attributes_not_projected(dynamodb, itable, data):
    fails(dynamodb.query, TableName=itable, IndexName='g_keys', KeyConditionExpression='g = :g',
          ExpressionAttributeValues={':g': S(data['g'])}, Select='ALL_ATTRIBUTES')


# An unknown index name is a ValidationException.
def test_unknown_index(dynamodb, itable, data):
    fails(dynamodb.query, TableName=itable, IndexName='nope', KeyConditionExpression='g = :g',
          ExpressionAttributeValues={':g': S(data['g'])})


# The key condition must use the index's keys, not the table's.
def test_gsi_query_with_table_key(dynamodb, itable, data):
    fails(dynamodb.query, TableName=itable, IndexName='g_all', KeyConditionExpression='p = :p',
          ExpressionAttributeValues={':p': S(data['p1'])})


# A write that changes the index key moves the item in the index; a delete removes it.
def test_gsi_follows_updates(dynamodb, itable):
    g1, g2, p = random_string(), random_string(), random_string()
    k = {'p': S(p), 'c': S('c')}
    dynamodb.put_item(TableName=itable, Item=dict(k, g=S(g1), r=N('1')))
    dynamodb.update_item(TableName=itable, Key=k, UpdateExpression='SET g = :g',
                         ExpressionAttributeValues={':g': S(g2)})

    def moved():
        assert gsi_query(dynamodb, itable, 'g_all', 'g = :g', {':g': S(g1)})() == []
        assert [i['p'] for i in gsi_query(dynamodb, itable, 'g_all', 'g = :g', {':g': S(g2)})()] == [S(p)]
    eventually(moved)
    dynamodb.update_item(TableName=itable, Key=k, UpdateExpression='REMOVE r')

    def dropped():
        assert gsi_query(dynamodb, itable, 'g_all', 'g = :g', {':g': S(g2)})() == []
    eventually(dropped)


# Index key attributes must have the declared type, or the write is rejected.
def test_index_key_type_enforced(dynamodb, itable):
    for bad in ({'g': N('1')}, {'r': S('x')}, {'l': S('x')}, {'g': S('')}):
        fails(dynamodb.put_item, TableName=itable, Item=dict({'p': S(random_string()), 'c': S('c')}, **bad))


# An LSI query orders a partition by the LSI sort key and allows strong consistency.
def test_lsi_query(dynamodb, itable, data):
    got = full_query(dynamodb, TableName=itable, IndexName='l_lsi', KeyConditionExpression='p = :p AND l > :l',
                     ExpressionAttributeValues={':p': S(data['p2']), ':l': N('5')}, ConsistentRead=True)
    # p2 holds i = 0, 2, 4 -> l = 10, 8, 6
    assert [i['l']['N'] for i in got] == ['6', '8', '10']
    assert [i['c']['S'] for i in got] == ['c4', 'c2', 'c0']


# LastEvaluatedKey of an LSI query holds p, c and l.
def test_lsi_last_evaluated_key(dynamodb, itable, data):
    r = dynamodb.query(TableName=itable, IndexName='l_lsi', KeyConditionExpression='p = :p',
                       ExpressionAttributeValues={':p': S(data['p2'])}, Limit=1, ConsistentRead=True)
    assert r['LastEvaluatedKey'] == {'p': S(data['p2']), 'c': S('c4'), 'l': N('6')}


# Scanning an index returns only indexed items.
def test_scan_index(dynamodb, itable, data):
    def check():
        got = dynamodb.scan(TableName=itable, IndexName='g_keys', FilterExpression='g = :g',
                            ExpressionAttributeValues={':g': S(data['g'])})
        assert got['Count'] == 6
    eventually(check)


# Every write path keeps the GSI in step: BatchWriteItem put/delete and TransactWriteItems.
def test_gsi_follows_batch_and_transaction_writes(dynamodb, itable):
    g = random_string()
    k1, k2, k3 = ({'p': S(random_string()), 'c': S('c')} for _ in range(3))
    dynamodb.batch_write_item(RequestItems={itable: [
        {'PutRequest': {'Item': dict(k1, g=S(g), r=N('1'))}},
        {'PutRequest': {'Item': dict(k2, g=S(g), r=N('2'))}}]})
    dynamodb.transact_write_items(TransactItems=[
        {'Put': {'TableName': itable, 'Item': dict(k3, g=S(g), r=N('3'))}},
        {'Delete': {'TableName': itable, 'Key': k1}}])
    dynamodb.batch_write_item(RequestItems={itable: [{'DeleteRequest': {'Key': k2}}]})

    def check():
        got = gsi_query(dynamodb, itable, 'g_all', 'g = :g', {':g': S(g)})()
        assert [i['r']['N'] for i in got] == ['3']
    eventually(check)


# An UpdateItem that gives an index key the wrong type is rejected.
def test_index_key_type_enforced_on_update(dynamodb, itable):
    k = {'p': S(random_string()), 'c': S('c')}
    fails(dynamodb.update_item, TableName=itable, Key=k, UpdateExpression='SET g = :v',
          ExpressionAttributeValues={':v': N('1')})
    assert 'Item' not in dynamodb.get_item(TableName=itable, Key=k, ConsistentRead=True)


# ALL_PROJECTED_ATTRIBUTES needs an IndexName.
def test_all_projected_without_index(dynamodb, itable, data):
    fails(dynamodb.query, TableName=itable, KeyConditionExpression='p = :p', Select='ALL_PROJECTED_ATTRIBUTES',
          ExpressionAttributeValues={':p': S(data['p1'])})


# Paging one item at a time through index entries that share the same index key (ties broken by
# the table key) returns each item exactly once.
def test_gsi_paging_with_equal_index_keys(dynamodb, itable, data):
    def check():
        seen, kwargs = [], {}
        for _ in range(20):
            r = dynamodb.query(TableName=itable, IndexName='g_keys', KeyConditionExpression='g = :g',
                               ExpressionAttributeValues={':g': S(data['g'])}, Limit=1, **kwargs)
            seen += [(i['p']['S'], i['c']['S']) for i in r['Items']]
            if 'LastEvaluatedKey' not in r:
                break
            assert set(r['LastEvaluatedKey']) == {'p', 'c', 'g'}
            kwargs['ExclusiveStartKey'] = r['LastEvaluatedKey']
        assert len(seen) == 6 and len(set(seen)) == 6
    eventually(check)


# The same on an LSI whose sort key value repeats within the partition.
def test_lsi_paging_with_equal_index_keys(dynamodb, itable):
    p = random_string()
    for i in range(5):
        dynamodb.put_item(TableName=itable, Item={'p': S(p), 'c': S('c%d' % i), 'l': N('7')})
    seen, kwargs = [], {}
    for _ in range(20):
        r = dynamodb.query(TableName=itable, IndexName='l_lsi', KeyConditionExpression='p = :p',
                           ExpressionAttributeValues={':p': S(p)}, Limit=2, ConsistentRead=True, **kwargs)
        seen += [i['c']['S'] for i in r['Items']]
        if 'LastEvaluatedKey' not in r:
            break
        kwargs['ExclusiveStartKey'] = r['LastEvaluatedKey']
    assert sorted(seen) == ['c%d' % i for i in range(5)] and len(seen) == 5


# Scanning an index with Limit pages through it with index keys in LastEvaluatedKey.
def test_scan_index_paging(dynamodb, itable, data):
    def check():
        seen, kwargs = [], {}
        for _ in range(100):
            r = dynamodb.scan(TableName=itable, IndexName='g_all', Limit=2, **kwargs)
            seen += [(i['p']['S'], i['c']['S']) for i in r['Items']]
            if 'LastEvaluatedKey' not in r:
                break
            assert {'p', 'c', 'g', 'r'} <= set(r['LastEvaluatedKey'])
            kwargs['ExclusiveStartKey'] = r['LastEvaluatedKey']
        assert len(seen) == len(set(seen))
        assert sum(1 for p, c in seen if p in (data['p1'], data['p2']) and c != 'nokeys') == 6
    eventually(check)
