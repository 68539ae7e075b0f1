"""Query on the base table: key conditions, order, Limit and paging, filters, Select, 1 MB pages."""

import pytest
from botocore.exceptions import ClientError

from util import error_code, full_query, random_string


def S(v):
    return {'S': v}


def N(v):
    return {'N': v}


@pytest.fixture(scope='module')
def numbered(dynamodb, table_sn):
    """One partition of table_sn with sort keys 1..10 and attribute even=true/false."""
    p = random_string()
    for i in range(1, 11):
        dynamodb.put_item(TableName=table_sn, Item={'p': S(p), 'c': N(str(i)),
                                                     'even': {'BOOL': i % 2 == 0}, 'v': N(str(i * 10))})
    return p


@pytest.fixture(scope='module')
def words(dynamodb, table_ss):
    """One partition of table_ss with string sort keys."""
    p = random_string()
    for c in ['apple', 'apricot', 'banana', 'blueberry', 'cherry', 'ap']:
        dynamodb.put_item(TableName=table_ss, Item={'p': S(p), 'c': S(c)})
    return p


def sort_keys(client, table, p, cond, values=None, **kw):
    vals = {':p': S(p)}
    vals.update(values or {})
    items = full_query(client, TableName=table, KeyConditionExpression='p = :p' + cond,
                       ExpressionAttributeValues=vals, ConsistentRead=True, **kw)
    return [i['c'].get('N') or i['c'].get('S') for i in items]


def fails(fn, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    assert error_code(e) == 'ValidationException', e.value.response['Error']


# Each sort-key comparison, on numbers (compared numerically, not as strings: 10 > 9).
@pytest.mark.parametrize('cond,values,expected', [
    ('', {}, [str(i) for i in range(1, 11)]),
    (' AND c = :a', {':a': N('3')}, ['3']),
    (' AND c < :a', {':a': N('3')}, ['1', '2']),
    (' AND c <= :a', {':a': N('3')}, ['1', '2', '3']),
    (' AND c > :a', {':a': N('8')}, ['9', '10']),
    (' AND c >= :a', {':a': N('8')}, ['8', '9', '10']),
    (' AND c BETWEEN :a AND :b', {':a': N('4'), ':b': N('6')}, ['4', '5', '6']),
    (' AND c BETWEEN :a AND :b', {':a': N('2.5'), ':b': N('3.5')}, ['3']),
])
def test_number_key_conditions(dynamodb, table_sn, numbered, cond, values, expected):
    assert sort_keys(dynamodb, table_sn, numbered, cond, values) == expected


# begins_with and comparisons on string sort keys (byte order).
@pytest.mark.parametrize('cond,values,expected', [
    (' AND begins_with(c, :a)', {':a': S('ap')}, ['ap', 'apple', 'apricot']),
    (' AND begins_with(c, :a)', {':a': S('b')}, ['banana', 'blueberry']),
    (' AND c > :a', {':a': S('b')}, ['banana', 'blueberry', 'cherry']),
    (' AND c BETWEEN :a AND :b', {':a': S('apple'), ':b': S('banana')}, ['apple', 'apricot', 'banana']),
])
def test_string_key_conditions(dynamodb, table_ss, words, cond, values, expected):
    assert sort_keys(dynamodb, table_ss, words, cond, values) == expected


# The condition may name the sort key first and use placeholders for names.
def test_key_condition_forms(dynamodb, table_sn, numbered):
    r = dynamodb.query(TableName=table_sn, KeyConditionExpression='#c > :a AND #p = :p',
                       ExpressionAttributeNames={'#c': 'c', '#p': 'p'},
                       ExpressionAttributeValues={':a': N('8'), ':p': S(numbered)}, ConsistentRead=True)
    assert [i['c']['N'] for i in r['Items']] == ['9', '10']


# ScanIndexForward=false returns the partition in descending sort-key order.
def test_scan_index_forward_false(dynamodb, table_sn, numbered):
    got = sort_keys(dynamodb, table_sn, numbered, '', ScanIndexForward=False)
    assert got == [str(i) for i in range(10, 0, -1)]


# Limit + LastEvaluatedKey pages through the partition; each page resumes after the last key.
def test_limit_paging(dynamodb, table_sn, numbered):
    pages, kwargs = [], {}
    for _ in range(20):
        r = dynamodb.query(TableName=table_sn, KeyConditionExpression='p = :p', Limit=3,
                           ExpressionAttributeValues={':p': S(numbered)}, ConsistentRead=True, **kwargs)
        pages.append([i['c']['N'] for i in r['Items']])
        if 'LastEvaluatedKey' not in r:
            break
        assert r['LastEvaluatedKey'] == {'p': S(numbered), 'c': N(pages[-1][-1])}
        kwargs['ExclusiveStartKey'] = r['LastEvaluatedKey']
    assert pages == [['1', '2', '3'], ['4', '5', '6'], ['7', '8', '9'], ['10']]


# Paging backwards works too.
def test_limit_paging_descending(dynamodb, table_sn, numbered):
    r = dynamodb.query(TableName=table_sn, KeyConditionExpression='p = :p', Limit=4, ScanIndexForward=False,
                       ExpressionAttributeValues={':p': S(numbered)}, ConsistentRead=True)
    assert [i['c']['N'] for i in r['Items']] == ['10', '9', '8', '7']
    r = dynamodb.query(TableName=table_sn, KeyConditionExpression='p = :p', Limit=4, ScanIndexForward=False,
                       ExpressionAttributeValues={':p': S(numbered)}, ConsistentRead=True,
                       ExclusiveStartKey=r['LastEvaluatedKey'])
    assert [i['c']['N'] for i in r['Items']] == ['6', '5', '4', '3']


# When Limit stops the query exactly at the last item, DynamoDB still returns a
# LastEvaluatedKey (it stopped because of Limit), and the next page is empty.
def test_limit_exact_end(dynamodb, table_sn, numbered):
    r = dynamodb.query(TableName=table_sn, KeyConditionExpression='p = :p', Limit=10,
                       ExpressionAttributeValues={':p': S(numbered)}, ConsistentRead=True)
    assert len(r['Items']) == 10
    assert r['LastEvaluatedKey'] == {'p': S(numbered), 'c': N('10')}
    r = dynamodb.query(TableName=table_sn, KeyConditionExpression='p = :p', Limit=10,
                       ExpressionAttributeValues={':p': S(numbered)}, ConsistentRead=True,
                       ExclusiveStartKey=r['LastEvaluatedKey'])
    assert r['Items'] == [] and r['Count'] == 0 and 'LastEvaluatedKey' not in r


# A FilterExpression drops items after they are read: Count < ScannedCount.
def test_filter_counts(dynamodb, table_sn, numbered):
    r = dynamodb.query(TableName=table_sn, KeyConditionExpression='p = :p', FilterExpression='even = :t',
                       ExpressionAttributeValues={':p': S(numbered), ':t': {'BOOL': True}},
                       ConsistentRead=True)
    assert [i['c']['N'] for i in r['Items']] == ['2', '4', '6', '8', '10']
    assert r['Count'] == 5 and r['ScannedCount'] == 10


# Limit counts items read before the filter, so a page can hold fewer (even zero) matches.
def test_limit_applies_before_filter(dynamodb, table_sn, numbered):
    r = dynamodb.query(TableName=table_sn, KeyConditionExpression='p = :p', FilterExpression='v > :v',
                       ExpressionAttributeValues={':p': S(numbered), ':v': N('75')}, Limit=5,
                       ConsistentRead=True)
    assert r['Count'] == 0 and r['ScannedCount'] == 5 and r['Items'] == []
    assert r['LastEvaluatedKey']['c'] == N('5')


# The filter can not use key attributes.
def test_filter_on_key_attribute(dynamodb, table_sn, numbered):
    fails(dynamodb.query, TableName=table_sn, KeyConditionExpression='p = :p', FilterExpression='c > :a',
          ExpressionAttributeValues={':p': S(numbered), ':a': N('1')})


# Select=COUNT returns only counts.
def test_select_count(dynamodb, table_sn, numbered):
    r = dynamodb.query(TableName=table_sn, KeyConditionExpression='p = :p AND c > :a', Select='COUNT',
                       ExpressionAttributeValues={':p': S(numbered), ':a': N('4')}, ConsistentRead=True)
    assert r['Count'] == 6 and r['ScannedCount'] == 6
    assert 'Items' not in r


# ProjectionExpression limits the returned attributes; SPECIFIC_ATTRIBUTES needs a projection.
def test_projection_and_select(dynamodb, table_sn, numbered):
    r = dynamodb.query(TableName=table_sn, KeyConditionExpression='p = :p AND c = :c',
                       ProjectionExpression='v', ExpressionAttributeValues={':p': S(numbered), ':c': N('2')},
                       ConsistentRead=True)
    assert r['Items'] == [{'v': N('20')}]
    fails(dynamodb.query, TableName=table_sn, KeyConditionExpression='p = :p', Select='SPECIFIC_ATTRIBUTES',
          ExpressionAttributeValues={':p': S(numbered)})
    fails(dynamodb.query, TableName=table_sn, KeyConditionExpression='p = :p', Select='COUNT',
          ProjectionExpression='v', ExpressionAttributeValues={':p': S(numbered)})


# A partition with no items is an empty result, not an error.
def test_empty_partition(dynamodb, table_sn):
    r = dynamodb.query(TableName=table_sn, KeyConditionExpression='p = :p',
                       ExpressionAttributeValues={':p': S(random_string())})
    assert r['Items'] == [] and r['Count'] == 0 and r['ScannedCount'] == 0


# Invalid key conditions.
@pytest.mark.parametrize('cond,values', [
    ('c = :a', {':a': N('1')}),                                  # no hash key condition
    ('p > :p', {':p': S('x')}),                                  # hash key needs '='
    ('p = :p OR c = :a', {':p': S('x'), ':a': N('1')}),          # only AND
    ('p = :p AND c <> :a', {':p': S('x'), ':a': N('1')}),        # no <> on keys
    ('p = :p AND v = :a', {':p': S('x'), ':a': N('1')}),         # not a key attribute
    ('p = :p AND begins_with(c, :a)', {':p': S('x'), ':a': N('1')}),  # begins_with needs S/B
    ('p = :p AND c = :a AND c > :a', {':p': S('x'), ':a': N('1')}),   # two sort-key conditions
    ('p = :p AND c IN (:a)', {':p': S('x'), ':a': N('1')}),      # no IN
    ('p = :p AND c = :a', {':p': S('x'), ':a': S('1')}),         # wrong key type
    ('p = :p AND attribute_exists(c)', {':p': S('x')}),
])
def test_invalid_key_conditions(dynamodb, table_sn, cond, values):
    fails(dynamodb.query, TableName=table_sn, KeyConditionExpression=cond, ExpressionAttributeValues=values)


# A query with no key condition at all is invalid.
def test_missing_key_condition(dynamodb_noval, table_sn):
    fails(dynamodb_noval.query, TableName=table_sn)


# Limit must be at least 1.
def test_limit_zero(dynamodb_noval, table_sn):
    fails(dynamodb_noval.query, TableName=table_sn, KeyConditionExpression='p = :p', Limit=0,
          ExpressionAttributeValues={':p': S('x')})


# ExclusiveStartKey must be a key of this table.
def test_bad_exclusive_start_key(dynamodb, table_sn):
    fails(dynamodb.query, TableName=table_sn, KeyConditionExpression='p = :p',
          ExpressionAttributeValues={':p': S('x')}, ExclusiveStartKey={'p': S('x')})


# A page stops at 1 MB of data read: 15 items of ~100 KB come back in at least two pages.
def test_one_megabyte_pages(dynamodb, table_ss):
    p = random_string()
    blob = 'x' * (100 * 1024)
    for i in range(15):
        dynamodb.put_item(TableName=table_ss, Item={'p': S(p), 'c': S('%02d' % i), 'blob': S(blob)})
    r = dynamodb.query(TableName=table_ss, KeyConditionExpression='p = :p',
                       ExpressionAttributeValues={':p': S(p)}, ConsistentRead=True)
    assert 8 <= r['Count'] <= 11
    assert 'LastEvaluatedKey' in r
    assert r['LastEvaluatedKey']['c'] == r['Items'][-1]['c']
    rest = full_query(dynamodb, TableName=table_ss, KeyConditionExpression='p = :p',
                      ExpressionAttributeValues={':p': S(p)}, ConsistentRead=True,
                      ExclusiveStartKey=r['LastEvaluatedKey'])
    assert [i['c']['S'] for i in r['Items'] + rest] == ['%02d' % i for i in range(15)]


# The 1 MB cap counts data read even when the filter discards it (ScannedCount is capped too).
def test_one_megabyte_pages_with_filter(dynamodb, table_ss):
    p = random_string()
    blob = 'x' * (100 * 1024)
    for i in range(15):
        dynamodb.put_item(TableName=table_ss, Item={'p': S(p), 'c': S('%02d' % i), 'blob': S(blob)})
    r = dynamodb.query(TableName=table_ss, KeyConditionExpression='p = :p', FilterExpression='attribute_exists(nope)',
                       ExpressionAttributeValues={':p': S(p)}, ConsistentRead=True)
    assert r['Count'] == 0 and 8 <= r['ScannedCount'] <= 11 and 'LastEvaluatedKey' in r


# Number sort keys order numerically across signs, fractions and exponents.
def test_number_sort_order(dynamodb, table_sn):
    p = random_string()
    values = ['-1e10', '-10', '-2.5', '-0.001', '0', '1e-5', '0.5', '3', '10', '1e3', '9.99e125']
    for v in reversed(values):
        dynamodb.put_item(TableName=table_sn, Item={'p': S(p), 'c': N(v)})
    got = sort_keys(dynamodb, table_sn, p, '')
    assert [float(x) for x in got] == [float(v) for v in values]
    got = sort_keys(dynamodb, table_sn, p, ' AND c BETWEEN :a AND :b', {':a': N('-3'), ':b': N('0.5')})
    assert [float(x) for x in got] == [-2.5, -0.001, 0, 1e-5, 0.5]


# String sort keys order by UTF-8 bytes (so 'Z' < 'a' < 'é' < '中').
def test_string_sort_order_utf8(dynamodb, table_ss):
    p = random_string()
    values = ['A', 'Z', 'a', 'aa', 'b', 'é', '中']
    for v in reversed(values):
        dynamodb.put_item(TableName=table_ss, Item={'p': S(p), 'c': S(v)})
    assert sort_keys(dynamodb, table_ss, p, '') == values


# Binary sort keys order as unsigned bytes.
def test_binary_sort_order(dynamodb, table_factory):
    name = table_factory.create([{'AttributeName': 'p', 'KeyType': 'HASH'}, {'AttributeName': 'c', 'KeyType': 'RANGE'}],
                                [{'AttributeName': 'p', 'AttributeType': 'S'}, {'AttributeName': 'c', 'AttributeType': 'B'}])
    values = [b'\x00', b'\x00\x00', b'\x01', b'\x7f', b'\x80', b'\xff', b'\xff\x00']
    for v in reversed(values):
        dynamodb.put_item(TableName=name, Item={'p': S('x'), 'c': {'B': v}})
    items = full_query(dynamodb, TableName=name, KeyConditionExpression='p = :p',
                       ExpressionAttributeValues={':p': S('x')}, ConsistentRead=True)
    assert [i['c']['B'] for i in items] == values
    items = full_query(dynamodb, TableName=name, KeyConditionExpression='p = :p AND begins_with(c, :b)',
                       ExpressionAttributeValues={':p': S('x'), ':b': {'B': b'\xff'}}, ConsistentRead=True)
    assert [i['c']['B'] for i in items] == [b'\xff', b'\xff\x00']
