"""CreateTable: key shapes, indexes, billing modes, tags, and every kind of invalid input."""

import pytest
from botocore.exceptions import ClientError

from util import attr, error_code, key, unique_table_name

HASH_P = [key('p', 'HASH')]
HASH_P_RANGE_C = [key('p', 'HASH'), key('c', 'RANGE')]


def gsi(name, key_schema, projection=None):
    return {'IndexName': name, 'KeySchema': key_schema,
            'Projection': projection or {'ProjectionType': 'ALL'}}


def create_fails(client, code='ValidationException', **kwargs):
    """CreateTable must fail with `code`. A table wrongly created is deleted again (but never one
    that existed before: the duplicate-name test passes a shared table)."""
    kwargs.setdefault('TableName', unique_table_name('bad'))
    if 'ProvisionedThroughput' not in kwargs:
        kwargs.setdefault('BillingMode', 'PAY_PER_REQUEST')
    try:
        client.create_table(**kwargs)
    except ClientError as e:
        assert e.response['Error']['Code'] == code, e.response['Error']
        return e
    client.delete_table(TableName=kwargs['TableName'])
    pytest.fail('CreateTable succeeded; expected %s' % code)


# The simplest table: hash key only. The response describes the new table.
def test_create_hash_only(dynamodb):
    name = unique_table_name()
    try:
        r = dynamodb.create_table(TableName=name, KeySchema=HASH_P,
                                  AttributeDefinitions=[attr('p', 'S')],
                                  BillingMode='PAY_PER_REQUEST')
        d = r['TableDescription']
        assert d['TableName'] == name
        assert d['TableStatus'] in ('CREATING', 'ACTIVE')
        assert d['KeySchema'] == HASH_P
    finally:
        dynamodb.delete_table(TableName=name)


# Hash + range key tables keep the key order HASH, RANGE.
def test_create_hash_range(dynamodb, table_factory):
    name = table_factory.create(HASH_P_RANGE_C, [attr('p', 'S'), attr('c', 'S')])
    assert dynamodb.describe_table(TableName=name)['Table']['KeySchema'] == HASH_P_RANGE_C


# Each key type (S, N, B) works for the hash and range key and round-trips an item.
@pytest.mark.parametrize('ktype,value', [('S', {'S': 'abc'}), ('N', {'N': '42'}),
                                         ('B', {'B': b'\x00\xffbin'})])
def test_create_key_types(dynamodb, table_factory, ktype, value):
    name = table_factory.create(HASH_P_RANGE_C, [attr('p', ktype), attr('c', ktype)])
    item = {'p': value, 'c': value, 'x': {'S': 'y'}}
    dynamodb.put_item(TableName=name, Item=item)
    got = dynamodb.get_item(TableName=name, Key={'p': value, 'c': value}, ConsistentRead=True)
    assert got['Item'] == item


# A table can have GSIs with each projection type; describe echoes them.
def test_create_with_gsis_and_projections(dynamodb, table_factory):
    name = table_factory.create(
        HASH_P, [attr('p', 'S'), attr('a', 'S'), attr('b', 'N')],
        GlobalSecondaryIndexes=[
            gsi('all', [key('a', 'HASH')]),
            gsi('keys', [key('a', 'HASH'), key('b', 'RANGE')], {'ProjectionType': 'KEYS_ONLY'}),
            gsi('incl', [key('b', 'HASH')],
                {'ProjectionType': 'INCLUDE', 'NonKeyAttributes': ['x', 'y']}),
        ])
    d = dynamodb.describe_table(TableName=name)['Table']
    by_name = {g['IndexName']: g for g in d['GlobalSecondaryIndexes']}
    assert set(by_name) == {'all', 'keys', 'incl'}
    assert by_name['all']['Projection'] == {'ProjectionType': 'ALL'}
    assert by_name['keys']['Projection'] == {'ProjectionType': 'KEYS_ONLY'}
    assert by_name['keys']['KeySchema'] == [key('a', 'HASH'), key('b', 'RANGE')]
    assert by_name['incl']['Projection']['ProjectionType'] == 'INCLUDE'
    assert sorted(by_name['incl']['Projection']['NonKeyAttributes']) == ['x', 'y']


# An LSI shares the table's hash key and adds another sort key.
def test_create_with_lsi(dynamodb, table_factory):
    name = table_factory.create(
        HASH_P_RANGE_C, [attr('p', 'S'), attr('c', 'S'), attr('l', 'N')],
        LocalSecondaryIndexes=[gsi('lsi', [key('p', 'HASH'), key('l', 'RANGE')],
                                   {'ProjectionType': 'KEYS_ONLY'})])
    d = dynamodb.describe_table(TableName=name)['Table']
    (lsi,) = d['LocalSecondaryIndexes']
    assert lsi['IndexName'] == 'lsi'
    assert lsi['KeySchema'] == [key('p', 'HASH'), key('l', 'RANGE')]
    assert lsi['Projection'] == {'ProjectionType': 'KEYS_ONLY'}


# PROVISIONED tables keep their capacity numbers.
def test_create_provisioned(dynamodb, table_factory):
    name = table_factory.create(ProvisionedThroughput={'ReadCapacityUnits': 3,
                                                       'WriteCapacityUnits': 4})
    d = dynamodb.describe_table(TableName=name)['Table']
    assert d['ProvisionedThroughput']['ReadCapacityUnits'] == 3
    assert d['ProvisionedThroughput']['WriteCapacityUnits'] == 4
    # BillingModeSummary may be absent for tables that never chose a mode; if present it's PROVISIONED.
    assert d.get('BillingModeSummary', {'BillingMode': 'PROVISIONED'})['BillingMode'] == 'PROVISIONED'


# On-demand tables report PAY_PER_REQUEST and zero provisioned capacity.
def test_create_pay_per_request(dynamodb, table_factory):
    name = table_factory.create()
    d = dynamodb.describe_table(TableName=name)['Table']
    assert d['BillingModeSummary']['BillingMode'] == 'PAY_PER_REQUEST'
    assert d['ProvisionedThroughput']['ReadCapacityUnits'] == 0
    assert d['ProvisionedThroughput']['WriteCapacityUnits'] == 0


# Tags given at creation are listed by ListTagsOfResource on the table ARN.
def test_create_with_tags(dynamodb, table_factory):
    name = table_factory.create(Tags=[{'Key': 'team', 'Value': 'infra'},
                                      {'Key': 'env', 'Value': 'test'}])
    arn = dynamodb.describe_table(TableName=name)['Table']['TableArn']
    tags = dynamodb.list_tags_of_resource(ResourceArn=arn)['Tags']
    assert sorted(tags, key=lambda t: t['Key']) == [{'Key': 'env', 'Value': 'test'},
                                                    {'Key': 'team', 'Value': 'infra'}]


# Creating a table that already exists is ResourceInUseException, not a silent success.
def test_create_duplicate(dynamodb, table_s):
    create_fails(dynamodb, 'ResourceInUseException', TableName=table_s, KeySchema=HASH_P,
                 AttributeDefinitions=[attr('p', 'S')])


# Names are 3-255 characters of [a-zA-Z0-9_.-].
@pytest.mark.parametrize('bad', ['ab', 'x' * 256, 'has space', 'semi;colon', 'slash/name', 'ümlaut'])
def test_create_invalid_name(dynamodb_noval, bad):
    create_fails(dynamodb_noval, TableName=bad, KeySchema=HASH_P,
                 AttributeDefinitions=[attr('p', 'S')])


# Names of exactly 3 and 255 characters, with every allowed symbol, are fine.
def test_create_name_edges(dynamodb, table_factory):
    table_factory.create(TableName='a.' + unique_table_name()[:20] + '-_Z9')
    long_name = (unique_table_name() + 'x' * 255)[:255]
    table_factory.create(TableName=long_name)


# AttributeDefinitions must list exactly the key attributes: an extra one is rejected.
def test_create_extra_attribute_definition(dynamodb):
    create_fails(dynamodb, KeySchema=HASH_P, AttributeDefinitions=[attr('p', 'S'), attr('x', 'S')])


# ... and so is a key attribute with no definition.
def test_create_missing_attribute_definition(dynamodb):
    create_fails(dynamodb, KeySchema=HASH_P_RANGE_C, AttributeDefinitions=[attr('p', 'S')])


# Key attributes may only be S, N or B.
def test_create_bad_attribute_type(dynamodb_noval):
    create_fails(dynamodb_noval, KeySchema=HASH_P, AttributeDefinitions=[attr('p', 'BOOL')])


# The key schema is HASH, or HASH then RANGE: a RANGE-only or double-HASH schema is invalid.
@pytest.mark.parametrize('schema', [[key('p', 'RANGE')],
                                    [key('p', 'HASH'), key('c', 'HASH')],
                                    [key('c', 'RANGE'), key('p', 'HASH')],
                                    [key('p', 'HASH'), key('c', 'RANGE'), key('d', 'RANGE')]])
def test_create_bad_key_schema(dynamodb_noval, schema):
    defs = [attr(k['AttributeName'], 'S') for k in schema]
    create_fails(dynamodb_noval, KeySchema=schema, AttributeDefinitions=defs)


# BillingMode defaults to PROVISIONED, which needs ProvisionedThroughput.
def test_create_provisioned_without_throughput(dynamodb_noval):
    name = unique_table_name('bad')
    with pytest.raises(ClientError) as e:
        dynamodb_noval.create_table(TableName=name, KeySchema=HASH_P,
                                    AttributeDefinitions=[attr('p', 'S')])
    assert error_code(e) == 'ValidationException'


# PAY_PER_REQUEST forbids ProvisionedThroughput.
def test_create_on_demand_with_throughput(dynamodb):
    create_fails(dynamodb, KeySchema=HASH_P, AttributeDefinitions=[attr('p', 'S')],
                 BillingMode='PAY_PER_REQUEST',
                 ProvisionedThroughput={'ReadCapacityUnits': 1, 'WriteCapacityUnits': 1})


# A GSI of a PROVISIONED table needs its own ProvisionedThroughput.
def test_create_provisioned_gsi_without_throughput(dynamodb):
    create_fails(dynamodb, KeySchema=HASH_P, AttributeDefinitions=[attr('p', 'S'), attr('a', 'S')],
                 ProvisionedThroughput={'ReadCapacityUnits': 1, 'WriteCapacityUnits': 1},
                 GlobalSecondaryIndexes=[gsi('gsi_a', [key('a', 'HASH')])])


# Two indexes can not share a name.
def test_create_duplicate_index_names(dynamodb):
    create_fails(dynamodb, KeySchema=HASH_P, AttributeDefinitions=[attr('p', 'S'), attr('a', 'S')],
                 GlobalSecondaryIndexes=[gsi('gsi_a', [key('a', 'HASH')]), gsi('gsi_a', [key('a', 'HASH')])])


# An index key attribute needs an AttributeDefinition too.
def test_create_gsi_key_not_defined(dynamodb):
    create_fails(dynamodb, KeySchema=HASH_P, AttributeDefinitions=[attr('p', 'S')],
                 GlobalSecondaryIndexes=[gsi('gsi_a', [key('a', 'HASH')])])


# KEYS_ONLY projections can not name NonKeyAttributes.
def test_create_keys_only_with_non_key_attributes(dynamodb):
    create_fails(dynamodb, KeySchema=HASH_P, AttributeDefinitions=[attr('p', 'S'), attr('a', 'S')],
                 GlobalSecondaryIndexes=[gsi('gsi_a', [key('a', 'HASH')],
                                             {'ProjectionType': 'KEYS_ONLY',
                                              'NonKeyAttributes': ['x']})])


# LSIs need a table with a sort key.
def test_create_lsi_on_hash_only_table(dynamodb):
    create_fails(dynamodb, KeySchema=HASH_P, AttributeDefinitions=[attr('p', 'S'), attr('l', 'S')],
                 LocalSecondaryIndexes=[gsi('lsi', [key('p', 'HASH'), key('l', 'RANGE')])])


# An LSI must use the table's hash key.
def test_create_lsi_other_hash_key(dynamodb):
    create_fails(dynamodb, KeySchema=HASH_P_RANGE_C,
                 AttributeDefinitions=[attr('p', 'S'), attr('c', 'S'), attr('l', 'S')],
                 LocalSecondaryIndexes=[gsi('lsi', [key('l', 'HASH'), key('c', 'RANGE')])])


# An LSI must have a sort key.
def test_create_lsi_without_range(dynamodb):
    create_fails(dynamodb, KeySchema=HASH_P_RANGE_C,
                 AttributeDefinitions=[attr('p', 'S'), attr('c', 'S')],
                 LocalSecondaryIndexes=[gsi('lsi', [key('p', 'HASH')])])


# At most 5 LSIs per table (documented limit; AWS reports it as a ValidationException).
def test_create_too_many_lsis(dynamodb):
    names = ['lsi%d' % i for i in range(6)]
    create_fails(dynamodb, KeySchema=HASH_P_RANGE_C,
                 AttributeDefinitions=[attr('p', 'S'), attr('c', 'S')] + [attr(n, 'S') for n in names],
                 LocalSecondaryIndexes=[gsi(n, [key('p', 'HASH'), key(n, 'RANGE')]) for n in names])


# A binary key value given as raw bytes comes back as the same bytes (base64 on the wire).
def test_binary_key_roundtrip_base64(dynamodb, table_factory):
    name = table_factory.create(HASH_P, [attr('p', 'B')])
    raw = bytes(range(256))
    dynamodb.put_item(TableName=name, Item={'p': {'B': raw}})
    got = dynamodb.get_item(TableName=name, Key={'p': {'B': raw}}, ConsistentRead=True)['Item']
    assert got['p']['B'] == raw
