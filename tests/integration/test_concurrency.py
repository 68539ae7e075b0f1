"""Concurrent read-modify-write on one item must be serialised: no lost updates, one winner."""

import threading

import boto3
from botocore.exceptions import ClientError

from util import client_config, random_string

THREADS = 8


def clients(target, n):
    kwargs = {'region_name': target.region, 'config': client_config()}
    if not target.is_aws:
        kwargs.update(endpoint_url=target.url, aws_access_key_id='test', aws_secret_access_key='test')
    return [boto3.client('dynamodb', **kwargs) for _ in range(n)]


def run_threads(fns, timeout=60):
    threads = [threading.Thread(target=f, daemon=True) for f in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), 'threads did not finish'


# 8 threads x 40 atomic ADDs on one counter: every increment is counted.
def test_concurrent_add_no_lost_updates(target, dynamodb, table_s):
    key = {'p': {'S': random_string()}}
    errors = []

    def work(c):
        def f():
            try:
                for _ in range(40):
                    c.update_item(TableName=table_s, Key=key, UpdateExpression='ADD n :one',
                                  ExpressionAttributeValues={':one': {'N': '1'}})
            except Exception as e:  # reported below; a thread must not die silently
                errors.append(e)
        return f
    run_threads([work(c) for c in clients(target, THREADS)])
    assert not errors, errors[:3]
    got = dynamodb.get_item(TableName=table_s, Key=key, ConsistentRead=True)['Item']['n']
    assert got == {'N': str(THREADS * 40)}


# SET n = n + 1 guarded by a condition on the old value (optimistic locking): the number of
# successful updates equals the final value.
def test_concurrent_conditional_increments(target, dynamodb, table_s):
    key = {'p': {'S': random_string()}}
    dynamodb.put_item(TableName=table_s, Item=dict(key, n={'N': '0'}))
    wins, errors = [], []

    def work(c):
        def f():
            for _ in range(20):
                cur = c.get_item(TableName=table_s, Key=key, ConsistentRead=True)['Item']['n']
                try:
                    c.update_item(TableName=table_s, Key=key, UpdateExpression='SET n = n + :one',
                                  ConditionExpression='n = :cur',
                                  ExpressionAttributeValues={':one': {'N': '1'}, ':cur': cur})
                    wins.append(1)
                except ClientError as e:
                    if e.response['Error']['Code'] != 'ConditionalCheckFailedException':
                        errors.append(e)
                except Exception as e:
                    errors.append(e)
        return f
    run_threads([work(c) for c in clients(target, THREADS)])
    assert not errors, errors[:3]
    got = dynamodb.get_item(TableName=table_s, Key=key, ConsistentRead=True)['Item']['n']
    assert got == {'N': str(len(wins))}


# Many threads race to create the same item with attribute_not_exists: exactly one wins.
def test_concurrent_create_one_winner(target, dynamodb, table_s):
    key = {'p': {'S': random_string()}}
    wins, errors = [], []

    def work(c, i):
        def f():
            try:
                c.put_item(TableName=table_s, Item=dict(key, who={'N': str(i)}),
                           ConditionExpression='attribute_not_exists(p)')
                wins.append(i)
            except ClientError as e:
                if e.response['Error']['Code'] != 'ConditionalCheckFailedException':
                    errors.append(e)
        return f
    run_threads([work(c, i) for i, c in enumerate(clients(target, THREADS))])
    assert not errors, errors[:3]
    assert len(wins) == 1
    got = dynamodb.get_item(TableName=table_s, Key=key, ConsistentRead=True)['Item']
    assert got['who'] == {'N': str(wins[0])}


# Concurrent transactions moving value between two items keep the sum constant.
def test_concurrent_transfers_keep_sum(target, dynamodb, table_s):
    a, b = {'p': {'S': random_string()}}, {'p': {'S': random_string()}}
    dynamodb.put_item(TableName=table_s, Item=dict(a, bal={'N': '1000'}))
    dynamodb.put_item(TableName=table_s, Item=dict(b, bal={'N': '1000'}))
    errors = []

    def work(c, src, dst):
        def f():
            for _ in range(15):
                try:
                    c.transact_write_items(TransactItems=[
                        {'Update': {'TableName': table_s, 'Key': src, 'UpdateExpression': 'SET bal = bal - :x',
                                    'ConditionExpression': 'bal >= :x', 'ExpressionAttributeValues': {':x': {'N': '7'}}}},
                        {'Update': {'TableName': table_s, 'Key': dst, 'UpdateExpression': 'SET bal = bal + :x',
                                    'ExpressionAttributeValues': {':x': {'N': '7'}}}}])
                except ClientError as e:
                    # Conflicts are legitimate under contention; anything else is a bug.
                    if e.response['Error']['Code'] not in ('TransactionCanceledException',
                                                           'TransactionConflictException'):
                        errors.append(e)
                except Exception as e:
                    errors.append(e)
        return f
    cs = clients(target, THREADS)
    run_threads([work(c, a, b) if i % 2 else work(c, b, a) for i, c in enumerate(cs)])
    assert not errors, errors[:3]
    got_a = int(dynamodb.get_item(TableName=table_s, Key=a, ConsistentRead=True)['Item']['bal']['N'])
    got_b = int(dynamodb.get_item(TableName=table_s, Key=b, ConsistentRead=True)['Item']['bal']['N'])
    assert got_a + got_b == 2000
