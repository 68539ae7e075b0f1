"""Process lifecycle: graceful SIGTERM, restart on the same data dir, kill -9 when idle."""

import boto3

from runnel_server import RunnelServer, health
from util import client_config


def client(server):
    return boto3.client('dynamodb', endpoint_url=server.url, region_name='us-east-1', aws_access_key_id='test',
                        aws_secret_access_key='test', config=client_config())


def make_table(c, name='life'):
    c.create_table(TableName=name, KeySchema=[{'AttributeName': 'p', 'KeyType': 'HASH'}],
                   AttributeDefinitions=[{'AttributeName': 'p', 'AttributeType': 'S'}],
                   BillingMode='PAY_PER_REQUEST')


# SIGTERM exits 0, and tables and items are there after a restart on the same data dir.
def test_sigterm_then_restart(runnel_bin):
    server = RunnelServer(runnel_bin)
    try:
        server.start()
        c = client(server)
        make_table(c)
        c.put_item(TableName='life', Item={'p': {'S': 'a'}, 'v': {'N': '1'}})
        assert server.stop() == 0, server.log_tail()
        server.start()
        c = client(server)
        assert c.describe_table(TableName='life')['Table']['TableStatus'] == 'ACTIVE'
        assert c.get_item(TableName='life', Key={'p': {'S': 'a'}}, ConsistentRead=True)['Item']['v'] == {'N': '1'}
    finally:
        server.cleanup()


# kill -9 right after an acknowledged write (strict is the default durability) keeps the write.
def test_kill9_idle_keeps_acknowledged_write(runnel_bin):
    server = RunnelServer(runnel_bin)
    try:
        server.start()
        c = client(server)
        make_table(c)
        c.put_item(TableName='life', Item={'p': {'S': 'k'}})
        c.delete_item(TableName='life', Key={'p': {'S': 'k'}})
        c.put_item(TableName='life', Item={'p': {'S': 'k2'}})
        server.kill()
        server.start()
        c = client(server)
        assert 'Item' not in c.get_item(TableName='life', Key={'p': {'S': 'k'}}, ConsistentRead=True)
        assert 'Item' in c.get_item(TableName='life', Key={'p': {'S': 'k2'}}, ConsistentRead=True)
    finally:
        server.cleanup()


# --in-memory serves requests and reports healthy.
def test_in_memory_mode(runnel_bin):
    server = RunnelServer(runnel_bin, in_memory=True)
    try:
        server.start()
        status, body = health(server.url)
        assert status == 200 and body['services']['dynamodb'] == 'running'
        c = client(server)
        make_table(c)
        c.put_item(TableName='life', Item={'p': {'S': 'm'}})
        assert 'Item' in c.get_item(TableName='life', Key={'p': {'S': 'm'}})
        assert server.stop() == 0, server.log_tail()
    finally:
        server.cleanup()
