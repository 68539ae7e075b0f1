"""ListTables: sorted names, Limit, ExclusiveStartTableName / LastEvaluatedTableName paging."""

import pytest
from botocore.exceptions import ClientError

from util import error_code, random_string, unique_table_name


@pytest.fixture(scope='module')
def three_tables(session_tables):
    tag = 'ls' + random_string(4)
    return sorted(session_tables.create(TableName=unique_table_name(tag)) for _ in range(3))


def all_table_names(client, limit):
    """Page through ListTables with the given Limit (bounded)."""
    names, kwargs = [], {'Limit': limit}
    for _ in range(10000):
        r = client.list_tables(**kwargs)
        assert len(r['TableNames']) <= limit
        names += r['TableNames']
        if 'LastEvaluatedTableName' not in r:
            return names
        assert r['LastEvaluatedTableName'] == r['TableNames'][-1]
        kwargs['ExclusiveStartTableName'] = r['LastEvaluatedTableName']
    raise AssertionError('ListTables never ended')


# Paging with Limit=1 visits every table once, in ascending name order.
def test_paging_limit_1(dynamodb, three_tables):
    names = all_table_names(dynamodb, 1)
    assert names == sorted(names)
    assert len(names) == len(set(names))
    assert set(three_tables) <= set(names)


# Without Limit the names are sorted and include ours.
def test_list_default(dynamodb, three_tables):
    r = dynamodb.list_tables()
    names = r['TableNames']
    assert names == sorted(names)
    if 'LastEvaluatedTableName' not in r:  # at most 100 per page
        assert set(three_tables) <= set(names)


# ExclusiveStartTableName starts strictly after that name.
def test_exclusive_start(dynamodb, three_tables):
    r = dynamodb.list_tables(ExclusiveStartTableName=three_tables[0], Limit=2)
    assert r['TableNames'][0] == three_tables[1]
    assert three_tables[0] not in r['TableNames']


# ExclusiveStartTableName need not be an existing table.
def test_exclusive_start_nonexistent(dynamodb, three_tables):
    r = dynamodb.list_tables(ExclusiveStartTableName=three_tables[0] + '-', Limit=1)
    assert r['TableNames'] == [three_tables[1]]


# A page that exactly fills Limit reports LastEvaluatedTableName when more tables follow.
def test_last_evaluated_present(dynamodb, three_tables):
    r = dynamodb.list_tables(ExclusiveStartTableName=three_tables[0][:-1], Limit=1)
    assert r['TableNames'] == [three_tables[0]]
    assert r['LastEvaluatedTableName'] == three_tables[0]


# Limit is 1..100.
@pytest.mark.parametrize('limit', [0, 101])
def test_bad_limit(dynamodb_noval, limit):
    with pytest.raises(ClientError) as e:
        dynamodb_noval.list_tables(Limit=limit)
    assert error_code(e) == 'ValidationException'
