"""Tables are isolated per account (from the access key) and per region (from the SigV4 scope)."""

import pytest
from botocore.exceptions import ClientError

from util import attr, error_code, key


def assert_invisible(client, name):
    with pytest.raises(ClientError) as e:
        client.describe_table(TableName=name)
    assert error_code(e) == 'ResourceNotFoundException'
    with pytest.raises(ClientError) as e:
        client.get_item(TableName=name, Key={'p': {'S': 'x'}})
    assert error_code(e) == 'ResourceNotFoundException'
    assert name not in client.list_tables(ExclusiveStartTableName=name[:-1], Limit=5)['TableNames']


# Another account (12-digit access key) can not see the default account's table.
def test_other_account_does_not_see_table(make_client, table_s, runnel_only):
    assert_invisible(make_client(access_key='111111111111'), table_s)


# Another region of the same account can not see it either.
def test_other_region_does_not_see_table(make_client, table_s):
    assert_invisible(make_client(region='eu-west-1'), table_s)


# Any non-12-digit key maps to account 000000000000, so two such keys share tables.
def test_non_numeric_keys_share_default_account(make_client, table_s, runnel_only):
    other = make_client(access_key='AKIAEXAMPLEOTHERKEY')
    assert other.describe_table(TableName=table_s)['Table']['TableName'] == table_s


# The same table name can exist in two accounts with separate contents.
def test_same_name_in_two_accounts(dynamodb, make_client, table_factory, runnel_only):
    name = table_factory.create()
    other = make_client(access_key='222222222222')
    other.create_table(TableName=name, KeySchema=[key('p', 'HASH')],
                       AttributeDefinitions=[attr('p', 'S')], BillingMode='PAY_PER_REQUEST')
    try:
        dynamodb.put_item(TableName=name, Item={'p': {'S': 'k'}, 'who': {'S': 'default'}})
        other.put_item(TableName=name, Item={'p': {'S': 'k'}, 'who': {'S': 'other'}})
        mine = dynamodb.get_item(TableName=name, Key={'p': {'S': 'k'}}, ConsistentRead=True)
        theirs = other.get_item(TableName=name, Key={'p': {'S': 'k'}}, ConsistentRead=True)
        assert mine['Item']['who'] == {'S': 'default'}
        assert theirs['Item']['who'] == {'S': 'other'}
        assert other.describe_table(TableName=name)['Table']['TableArn'].split(':')[4] == '222222222222'
    finally:
        other.delete_table(TableName=name)
    # Deleting the other account's table left ours alone.
    assert dynamodb.describe_table(TableName=name)['Table']['TableName'] == name


# The same name in two regions is two tables.
def test_same_name_in_two_regions(dynamodb, make_client, table_factory):
    name = table_factory.create()
    eu = make_client(region='eu-west-1')
    eu.create_table(TableName=name, KeySchema=[key('p', 'HASH')],
                    AttributeDefinitions=[attr('p', 'S')], BillingMode='PAY_PER_REQUEST')
    try:
        eu.get_waiter('table_exists').wait(TableName=name, WaiterConfig={'Delay': 1, 'MaxAttempts': 300})
        eu.put_item(TableName=name, Item={'p': {'S': 'k'}})
        assert 'Item' not in dynamodb.get_item(TableName=name, Key={'p': {'S': 'k'}}, ConsistentRead=True)
        assert ':eu-west-1:' in eu.describe_table(TableName=name)['Table']['TableArn']
    finally:
        eu.delete_table(TableName=name)
