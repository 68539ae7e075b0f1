"""Scan: filters, paging, parallel segments."""

import pytest
from botocore.exceptions import ClientError

from util import error_code, full_scan


def S(v):
    return {'S': v}


def N(v):
    return {'N': v}


@pytest.fixture(scope='module')
def scan_table(session_tables, dynamodb):
    """A table of its own with 60 items k0..k59 (n = index)."""
    name = session_tables.create(tag='scan')
    for i in range(60):
        dynamodb.put_item(TableName=name, Item={'p': S('k%d' % i), 'n': N(str(i))})
    return name


def fails(fn, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    assert error_code(e) == 'ValidationException', e.value.response['Error']


# A full scan returns every item exactly once.
def test_scan_all(dynamodb, scan_table):
    items = full_scan(dynamodb, TableName=scan_table, ConsistentRead=True)
    assert sorted(int(i['n']['N']) for i in items) == list(range(60))


# Paging with Limit returns every item once and never more than Limit per page.
def test_scan_paging(dynamodb, scan_table):
    seen, kwargs = [], {}
    for _ in range(100):
        r = dynamodb.scan(TableName=scan_table, Limit=7, **kwargs)
        assert len(r['Items']) <= 7 and r['Count'] == len(r['Items'])
        seen += [i['p']['S'] for i in r['Items']]
        if 'LastEvaluatedKey' not in r:
            break
        assert set(r['LastEvaluatedKey']) == {'p'}
        kwargs['ExclusiveStartKey'] = r['LastEvaluatedKey']
    assert sorted(seen) == sorted('k%d' % i for i in range(60))


# A filter keeps matching items; ScannedCount counts everything read.
def test_scan_filter(dynamodb, scan_table):
    r = dynamodb.scan(TableName=scan_table, FilterExpression='n < :v', ExpressionAttributeValues={':v': N('10')})
    assert 'LastEvaluatedKey' not in r
    assert r['Count'] == 10 and r['ScannedCount'] == 60
    assert sorted(int(i['n']['N']) for i in r['Items']) == list(range(10))


# Select=COUNT with a filter.
def test_scan_select_count(dynamodb, scan_table):
    r = dynamodb.scan(TableName=scan_table, Select='COUNT', FilterExpression='n >= :v',
                      ExpressionAttributeValues={':v': N('50')})
    assert r['Count'] == 10 and 'Items' not in r


# Parallel scan: the segments together cover every item exactly once.
@pytest.mark.parametrize('total', [1, 2, 4, 7])
def test_parallel_scan_covers_all(dynamodb, scan_table, total):
    seen = []
    for seg in range(total):
        seen += [i['p']['S'] for i in full_scan(dynamodb, TableName=scan_table, Segment=seg,
                                                TotalSegments=total, Limit=9)]
    assert sorted(seen) == sorted('k%d' % i for i in range(60))


# With many segments some may be empty, but the union is still complete.
def test_parallel_scan_more_segments_than_items(dynamodb, scan_table):
    seen = []
    for seg in range(100):
        seen += [i['p']['S'] for i in full_scan(dynamodb, TableName=scan_table, Segment=seg, TotalSegments=100)]
    assert sorted(seen) == sorted('k%d' % i for i in range(60))


# Invalid segment parameters.
@pytest.mark.parametrize('params', [{'Segment': 3, 'TotalSegments': 3}, {'Segment': 0},
                                    {'TotalSegments': 2}, {'Segment': -1, 'TotalSegments': 2},
                                    {'Segment': 0, 'TotalSegments': 0},
                                    {'Segment': 0, 'TotalSegments': 1000001}])
def test_invalid_segments(dynamodb_noval, scan_table, params):
    fails(dynamodb_noval.scan, TableName=scan_table, **params)


# Scan Limit must be positive.
def test_scan_limit_zero(dynamodb_noval, scan_table):
    fails(dynamodb_noval.scan, TableName=scan_table, Limit=0)


# A scan on a missing table is ResourceNotFoundException.
def test_scan_missing_table(dynamodb):
    with pytest.raises(ClientError) as e:
        dynamodb.scan(TableName='rt_no_such_table_anywhere')
    assert error_code(e) == 'ResourceNotFoundException'
