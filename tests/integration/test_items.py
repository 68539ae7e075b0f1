"""PutItem / GetItem / DeleteItem basics and item validation (keys, sizes, sets, empty values)."""

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from util import error_code, random_string, unique_table_name


def S(v):
    return {'S': v}


def N(v):
    return {'N': v}


def get(client, table, key, **kw):
    return client.get_item(TableName=table, Key=key, ConsistentRead=True, **kw).get('Item')


def fails(code, fn, *args, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(*args, **kwargs)
    assert error_code(e) == code, e.value.response['Error']
    return e


# Every attribute value type survives a put/get round trip unchanged.
def test_all_types_roundtrip(dynamodb, table_s):
    p = random_string()
    item = {'p': S(p), 's': S('hello ünïcödé'), 'n': N('-12.5'), 'b': {'B': b'\x00\x01\xfe'},
            'ss': {'SS': ['a', 'b']}, 'ns': {'NS': ['1', '2.5']}, 'bs': {'BS': [b'x', b'y']},
            'm': {'M': {'k': S('v'), 'deep': {'M': {'l': {'L': [N('1'), {'NULL': True}]}}}}},
            'l': {'L': [S('a'), N('1'), {'BOOL': False}]}, 't': {'BOOL': True}, 'z': {'NULL': True},
            'es': S(''), 'eb': {'B': b''}, 'el': {'L': []}, 'em': {'M': {}}}
    dynamodb.put_item(TableName=table_s, Item=item)
    got = get(dynamodb, table_s, {'p': S(p)})
    # Sets are unordered.
    for k in ('ss', 'ns', 'bs'):
        t = list(item[k])[0]
        assert sorted(got[k][t]) == sorted(item[k][t])
        del got[k], item[k]
    assert got == item


# GetItem of a missing key returns no Item member at all.
def test_get_missing_item(dynamodb, table_s):
    r = dynamodb.get_item(TableName=table_s, Key={'p': S(random_string())}, ConsistentRead=True)
    assert 'Item' not in r


# PutItem replaces the whole item; attributes not in the new item are gone.
def test_put_replaces(dynamodb, table_s):
    p = random_string()
    dynamodb.put_item(TableName=table_s, Item={'p': S(p), 'a': S('1'), 'b': S('2')})
    dynamodb.put_item(TableName=table_s, Item={'p': S(p), 'c': S('3')})
    assert get(dynamodb, table_s, {'p': S(p)}) == {'p': S(p), 'c': S('3')}


# DeleteItem removes the item; deleting a missing item is not an error.
def test_delete_item(dynamodb, table_s):
    p = random_string()
    dynamodb.put_item(TableName=table_s, Item={'p': S(p)})
    dynamodb.delete_item(TableName=table_s, Key={'p': S(p)})
    assert get(dynamodb, table_s, {'p': S(p)}) is None
    dynamodb.delete_item(TableName=table_s, Key={'p': S(p)})


# Hash+range items are addressed by both keys.
def test_hash_range_items_distinct(dynamodb, table_ss):
    p = random_string()
    dynamodb.put_item(TableName=table_ss, Item={'p': S(p), 'c': S('1'), 'v': S('one')})
    dynamodb.put_item(TableName=table_ss, Item={'p': S(p), 'c': S('2'), 'v': S('two')})
    assert get(dynamodb, table_ss, {'p': S(p), 'c': S('1')})['v'] == S('one')
    assert get(dynamodb, table_ss, {'p': S(p), 'c': S('2')})['v'] == S('two')


# Operations on a missing table: ResourceNotFoundException.
def test_missing_table(dynamodb):
    name = unique_table_name('missing')
    fails('ResourceNotFoundException', dynamodb.put_item, TableName=name, Item={'p': S('a')})
    fails('ResourceNotFoundException', dynamodb.get_item, TableName=name, Key={'p': S('a')})
    fails('ResourceNotFoundException', dynamodb.delete_item, TableName=name, Key={'p': S('a')})


# An item without its hash key (or range key) is invalid.
def test_put_missing_key_attribute(dynamodb, table_s, table_ss):
    fails('ValidationException', dynamodb.put_item, TableName=table_s, Item={'x': S('a')})
    fails('ValidationException', dynamodb.put_item, TableName=table_ss, Item={'p': S('a')})


# A key value of the wrong type is invalid (p is S).
def test_put_wrong_key_type(dynamodb, table_s, table_sn):
    fails('ValidationException', dynamodb.put_item, TableName=table_s, Item={'p': N('1')})
    fails('ValidationException', dynamodb.put_item, TableName=table_sn,
          Item={'p': S('a'), 'c': S('notanumber')})


# GetItem's Key must be exactly the key: missing, extra or mistyped attributes are invalid.
def test_get_bad_keys(dynamodb, table_ss):
    fails('ValidationException', dynamodb.get_item, TableName=table_ss, Key={'p': S('a')})
    fails('ValidationException', dynamodb.get_item, TableName=table_ss,
          Key={'p': S('a'), 'c': S('b'), 'x': S('c')})
    fails('ValidationException', dynamodb.get_item, TableName=table_ss, Key={'p': S('a'), 'c': N('1')})


# Empty strings and binaries are fine outside keys but invalid as key values.
def test_empty_key_values(dynamodb, table_s, table_factory):
    fails('ValidationException', dynamodb.put_item, TableName=table_s, Item={'p': S('')})
    fails('ValidationException', dynamodb.get_item, TableName=table_s, Key={'p': S('')})
    name = table_factory.create(attribute_definitions=[{'AttributeName': 'p', 'AttributeType': 'B'}])
    fails('ValidationException', dynamodb.put_item, TableName=name, Item={'p': {'B': b''}})


# Empty sets are invalid anywhere.
@pytest.mark.parametrize('empty', [{'SS': []}, {'NS': []}, {'BS': []}])
def test_empty_set(dynamodb_noval, table_s, empty):
    fails('ValidationException', dynamodb_noval.put_item, TableName=table_s,
          Item={'p': S(random_string()), 'x': empty})


# Sets must not contain duplicates.
def test_duplicate_in_set(dynamodb, table_s):
    fails('ValidationException', dynamodb.put_item, TableName=table_s,
          Item={'p': S(random_string()), 'x': {'SS': ['a', 'a']}})
    fails('ValidationException', dynamodb.put_item, TableName=table_s,
          Item={'p': S(random_string()), 'x': {'NS': ['1', '1']}})


# An attribute value must have exactly one type.
def test_value_with_two_types(dynamodb_noval, table_s):
    fails('ValidationException', dynamodb_noval.put_item, TableName=table_s,
          Item={'p': S(random_string()), 'x': {'S': 'a', 'N': '1'}})


# Items up to 400 KB are stored; larger ones are rejected and nothing is written.
def test_item_size_limit(dynamodb, table_s):
    p = random_string()
    dynamodb.put_item(TableName=table_s, Item={'p': S(p), 'x': S('a' * (400 * 1024 - 1000))})
    assert len(get(dynamodb, table_s, {'p': S(p)})['x']['S']) == 400 * 1024 - 1000
    q = random_string()
    fails('ValidationException', dynamodb.put_item, TableName=table_s,
          Item={'p': S(q), 'x': S('a' * (400 * 1024 + 1))})
    assert get(dynamodb, table_s, {'p': S(q)}) is None


# Attribute names count towards the 400 KB too.
def test_item_size_counts_names(dynamodb, table_s):
    name = 'n' * 1000
    item = {'p': S(random_string())}
    for i in range(410):
        item['%s%03d' % (name[:-3], i)] = S('')
    fails('ValidationException', dynamodb.put_item, TableName=table_s, Item=item)


# An UpdateItem that would grow the item past 400 KB fails and leaves it unchanged.
def test_update_past_size_limit(dynamodb, table_s):
    p = random_string()
    dynamodb.put_item(TableName=table_s, Item={'p': S(p), 'a': S('a' * 300000)})
    fails('ValidationException', dynamodb.update_item, TableName=table_s, Key={'p': S(p)},
          UpdateExpression='SET b = :v', ExpressionAttributeValues={':v': S('b' * 200000)})
    assert 'b' not in get(dynamodb, table_s, {'p': S(p)})


# Hash keys are at most 2048 bytes and range keys 1024 bytes.
def test_key_length_limits(dynamodb, table_s, table_ss):
    dynamodb.put_item(TableName=table_s, Item={'p': S('k' * 2048)})
    fails('ValidationException', dynamodb.put_item, TableName=table_s, Item={'p': S('k' * 2049)})
    dynamodb.put_item(TableName=table_ss, Item={'p': S(random_string()), 'c': S('c' * 1024)})
    fails('ValidationException', dynamodb.put_item, TableName=table_ss,
          Item={'p': S(random_string()), 'c': S('c' * 1025)})


# Documents nest at most 32 levels.
def test_nesting_depth(dynamodb, table_s):
    def nested(depth):
        v = S('leaf')
        for _ in range(depth):
            v = {'M': {'a': v}}
        return v
    dynamodb.put_item(TableName=table_s, Item={'p': S(random_string()), 'x': nested(30)})
    fails('ValidationException', dynamodb.put_item, TableName=table_s,
          Item={'p': S(random_string()), 'x': nested(40)})


# Binary values round-trip byte for byte.
def test_binary_values(dynamodb, table_s):
    p = random_string()
    blob = bytes(range(256)) * 4
    dynamodb.put_item(TableName=table_s, Item={'p': S(p), 'b': {'B': blob}})
    assert get(dynamodb, table_s, {'p': S(p)})['b']['B'] == blob


# The high-level resource API works too (Decimal numbers, sets, batch_writer).
def test_resource_api(dynamodb_resource, table_s):
    t = dynamodb_resource.Table(table_s)
    p = random_string()
    t.put_item(Item={'p': p, 'n': Decimal('3.25'), 'tags': {'x', 'y'}, 'm': {'a': [1, 'b']}})
    got = t.get_item(Key={'p': p}, ConsistentRead=True)['Item']
    assert got == {'p': p, 'n': Decimal('3.25'), 'tags': {'x', 'y'}, 'm': {'a': [Decimal(1), 'b']}}
    keys = [random_string() for _ in range(30)]
    with t.batch_writer() as bw:
        for k in keys:
            bw.put_item(Item={'p': k})
    for k in keys[:3]:
        assert t.get_item(Key={'p': k}, ConsistentRead=True)['Item'] == {'p': k}


# An attribute name may not be empty.
def test_empty_attribute_name(dynamodb_noval, table_s):
    fails('ValidationException', dynamodb_noval.put_item, TableName=table_s,
          Item={'p': S(random_string()), '': S('x')})


# An attribute value with no type at all is invalid.
def test_value_without_type(dynamodb_noval, table_s):
    fails('ValidationException', dynamodb_noval.put_item, TableName=table_s,
          Item={'p': S(random_string()), 'x': {}})
