"""UpdateItem's UpdateExpression: every clause (SET, REMOVE, ADD, DELETE) and its errors."""

import pytest
from botocore.exceptions import ClientError

from util import error_code, random_string


def S(v):
    return {'S': v}


def N(v):
    return {'N': v}


@pytest.fixture
def item(dynamodb, table_s):
    """A fresh item; returns (update(expr, values=None, names=None, **kw), read())."""
    p = random_string()
    key = {'p': S(p)}
    dynamodb.put_item(TableName=table_s, Item={
        'p': S(p), 'n': N('10'), 's': S('str'), 'l': {'L': [S('a'), S('b'), S('c')]},
        'm': {'M': {'x': N('1'), 'inr': {'M': {'y': S('deep')}}}},
        'ss': {'SS': ['a', 'b', 'c']}, 'ns': {'NS': ['1', '2']}})

    def update(expr, values=None, names=None, **kw):
        args = {'TableName': table_s, 'Key': key, 'UpdateExpression': expr}
        if values:
            args['ExpressionAttributeValues'] = values
        if names:
            args['ExpressionAttributeNames'] = names
        args.update(kw)
        return dynamodb.update_item(**args)

    def read():
        return dynamodb.get_item(TableName=table_s, Key=key, ConsistentRead=True).get('Item')
    return update, read


def update_fails(update, code, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        update(*args, **kwargs)
    assert error_code(e) == code, e.value.response['Error']


# SET a plain value, and several attributes in one clause.
def test_set_values(item):
    update, read = item
    update('SET a = :a, b = :b', {':a': S('A'), ':b': N('2')})
    got = read()
    assert got['a'] == S('A') and got['b'] == N('2')


# SET x = y copies another attribute's value.
def test_set_from_attribute(item):
    update, read = item
    update('SET cp = s')
    assert read()['cp'] == S('str')


# SET with + and - does exact decimal arithmetic.
def test_set_arithmetic(item):
    update, read = item
    update('SET n = n + :d', {':d': N('5')})
    assert read()['n'] == N('15')
    update('SET n = n - :d', {':d': N('20')})
    assert read()['n'] == N('-5')
    update('SET r = :a - :b', {':a': N('1'), ':b': N('0.25')})
    assert read()['r'] == N('0.75')


# Arithmetic on a missing attribute or a non-number is a ValidationException.
def test_set_arithmetic_errors(item):
    update, read = item
    update_fails(update, 'ValidationException', 'SET n = absent + :d', {':d': N('1')})
    update_fails(update, 'ValidationException', 'SET n = s + :d', {':d': N('1')})
    assert read()['n'] == N('10')


# if_not_exists keeps an existing value and fills a missing one.
def test_if_not_exists(item):
    update, read = item
    update('SET n = if_not_exists(n, :z), fresh = if_not_exists(fresh, :z)', {':z': N('0')})
    got = read()
    assert got['n'] == N('10') and got['fresh'] == N('0')
    update('SET c = if_not_exists(c, :z) + :one', {':z': N('0'), ':one': N('1')})
    assert read()['c'] == N('1')


# list_append appends or prepends depending on argument order.
def test_list_append(item):
    update, read = item
    update('SET l = list_append(l, :t)', {':t': {'L': [S('d')]}})
    update('SET l = list_append(:h, l)', {':h': {'L': [S('z')]}})
    assert read()['l'] == {'L': [S('z'), S('a'), S('b'), S('c'), S('d')]}


# list_append with a non-list operand is a ValidationException.
def test_list_append_not_list(item):
    update, _ = item
    update_fails(update, 'ValidationException', 'SET l = list_append(l, :v)', {':v': S('x')})


# SET on a nested map path and on a list index.
def test_set_nested(item):
    update, read = item
    update('SET m.inr.y = :v, m.newkey = :w, l[1] = :b', {':v': S('set'), ':w': N('3'), ':b': S('B')})
    got = read()
    assert got['m']['M']['inr']['M']['y'] == S('set')
    assert got['m']['M']['newkey'] == N('3')
    assert got['l'] == {'L': [S('a'), S('B'), S('c')]}


# SET beyond the end of a list appends at the end.
def test_set_list_index_past_end(item):
    update, read = item
    update('SET l[10] = :v', {':v': S('end')})
    assert read()['l'] == {'L': [S('a'), S('b'), S('c'), S('end')]}


# SET through a missing intermediate map is a ValidationException.
def test_set_missing_parent(item):
    update, _ = item
    update_fails(update, 'ValidationException', 'SET nomap.x = :v', {':v': S('x')})
    update_fails(update, 'ValidationException', 'SET s.x = :v', {':v': S('x')})


# REMOVE top-level attributes, a nested map key, and a list element (later elements shift).
def test_remove(item):
    update, read = item
    update('REMOVE s, m.inr, l[0], nothere')
    got = read()
    assert 's' not in got
    assert got['m'] == {'M': {'x': N('1')}}
    assert got['l'] == {'L': [S('b'), S('c')]}


# ADD to a number adds; ADD to a missing attribute creates it.
def test_add_number(item):
    update, read = item
    update('ADD n :d, newn :d', {':d': N('2.5')})
    got = read()
    assert got['n'] == N('12.5') and got['newn'] == N('2.5')


# ADD to a set is a union; ADD creates missing sets.
def test_add_set(item):
    update, read = item
    update('ADD ss :v, newset :w', {':v': {'SS': ['c', 'd']}, ':w': {'NS': ['7']}})
    got = read()
    assert sorted(got['ss']['SS']) == ['a', 'b', 'c', 'd']
    assert got['newset'] == {'NS': ['7']}


# ADD works only on numbers and sets, with a matching operand type.
def test_add_errors(item):
    update, read = item
    update_fails(update, 'ValidationException', 'ADD s :d', {':d': N('1')})
    update_fails(update, 'ValidationException', 'ADD l :d', {':d': {'L': [S('x')]}})
    update_fails(update, 'ValidationException', 'ADD ss :d', {':d': {'NS': ['1']}})
    update_fails(update, 'ValidationException', 'ADD n :d', {':d': S('1')})
    assert read()['n'] == N('10')


# DELETE removes elements from a set; removing the last element removes the attribute.
def test_delete_from_set(item):
    update, read = item
    update('DELETE ss :v', {':v': {'SS': ['a', 'zz']}})
    assert sorted(read()['ss']['SS']) == ['b', 'c']
    update('DELETE ns :v', {':v': {'NS': ['1', '2']}})
    assert 'ns' not in read()


# DELETE needs a set operand of the same type.
def test_delete_errors(item):
    update, _ = item
    update_fails(update, 'ValidationException', 'DELETE ss :v', {':v': S('a')})
    update_fails(update, 'ValidationException', 'DELETE n :v', {':v': {'NS': ['1']}})


# All four clauses in one expression, in any order.
def test_all_clauses(item):
    update, read = item
    update('REMOVE s ADD n :one DELETE ss :a SET z = :z', {':one': N('1'), ':a': {'SS': ['a']},
                                                          ':z': S('zz')})
    got = read()
    assert 's' not in got and got['n'] == N('11') and got['z'] == S('zz')
    assert sorted(got['ss']['SS']) == ['b', 'c']


# A clause keyword may appear only once.
def test_repeated_clause(item):
    update, _ = item
    update_fails(update, 'ValidationException', 'SET a = :v SET b = :v', {':v': S('x')})


# Two actions on overlapping paths are rejected.
def test_overlapping_paths(item):
    update, _ = item
    update_fails(update, 'ValidationException', 'SET a = :v REMOVE a', {':v': S('x')})
    update_fails(update, 'ValidationException', 'SET m = :v, m.x = :v', {':v': S('x')})


# Key attributes can not be changed or removed by an update.
def test_update_key_attribute(item):
    update, _ = item
    update_fails(update, 'ValidationException', 'SET p = :v', {':v': S('other')})
    update_fails(update, 'ValidationException', 'REMOVE p')
    update_fails(update, 'ValidationException', 'ADD p :v', {':v': S('x')})


# UpdateItem upserts: a missing item is created with the key plus the SET values.
def test_upsert(dynamodb, table_ss):
    p = random_string()
    dynamodb.update_item(TableName=table_ss, Key={'p': S(p), 'c': S('c')},
                         UpdateExpression='SET a = :v', ExpressionAttributeValues={':v': N('1')})
    got = dynamodb.get_item(TableName=table_ss, Key={'p': S(p), 'c': S('c')}, ConsistentRead=True)
    assert got['Item'] == {'p': S(p), 'c': S('c'), 'a': N('1')}


# An UpdateItem without an UpdateExpression creates an item holding just the key.
def test_update_without_expression_creates_key_only_item(dynamodb, table_s):
    p = random_string()
    dynamodb.update_item(TableName=table_s, Key={'p': S(p)})
    assert dynamodb.get_item(TableName=table_s, Key={'p': S(p)}, ConsistentRead=True)['Item'] == {'p': S(p)}


# Syntax errors are ValidationExceptions.
@pytest.mark.parametrize('expr', ['SET', 'SET a', 'SET a = ', 'FOO a = :v', 'SET a = :v,', 'REMOVE',
                                  'SET a = :v + ', 'ADD a', 'SET a[x] = :v'])
def test_syntax_errors(item, expr):
    update, _ = item
    update_fails(update, 'ValidationException', expr, {':v': S('x')} if ':v' in expr else None)


# Names with placeholders work for reserved words and odd characters.
def test_name_placeholders(item):
    update, read = item
    update('SET #st = :v, #dot = :v', {':v': S('x')}, {'#st': 'status', '#dot': 'a.b'})
    got = read()
    assert got['status'] == S('x') and got['a.b'] == S('x')


# SET of a whole map/list value, then modify inside it.
def test_set_document_then_modify(item):
    update, read = item
    update('SET doc = :d', {':d': {'M': {'list': {'L': [N('1')]}, 'k': S('v')}}})
    update('SET doc.#l[1] = :two, doc.k = :k2', {':two': N('2'), ':k2': S('w')}, {'#l': 'list'})
    assert read()['doc'] == {'M': {'list': {'L': [N('1'), N('2')]}, 'k': S('w')}}
