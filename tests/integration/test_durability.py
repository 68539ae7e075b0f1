"""Crash safety: kill -9 under write load loses no acknowledged write and leaves no torn one.

Eight writer threads put new items and update earlier ones (each item carries a checksum over
its key, version and payload) into a table with a GSI, on a server started with
--durability strict. After a few seconds the server is SIGKILLed mid-load and restarted on the
same data dir. Then:
  * every acknowledged put is there, at least at its acknowledged version, with its GSI entry;
  * every item present is self-consistent (checksum matches), and was written by us;
  * the GSI holds exactly the base table's items, with the same contents (projection ALL).
Each thread stops at its first error, so at most one write per thread is "in doubt".
Every loop is bounded in count and time.
"""

import hashlib
import random
import string
import threading
import time

import boto3
import pytest
from botocore.config import Config

from runnel_server import RunnelServer
from util import full_query, full_scan

THREADS = 8
LOAD_SECONDS = 3.0
MAX_OPS_PER_THREAD = 20000
TABLE = 'durability'


def checksum(pk, version, payload):
    return hashlib.sha256(('%s|%d|%s' % (pk, version, payload)).encode()).hexdigest()[:24]


def make_client(url, timeout=10):
    return boto3.client('dynamodb', endpoint_url=url, region_name='us-east-1', aws_access_key_id='test',
                        aws_secret_access_key='test',
                        config=Config(retries={'max_attempts': 0}, connect_timeout=2, read_timeout=timeout))


class Writer(threading.Thread):
    def __init__(self, idx, url, stop, deadline):
        super().__init__(daemon=True)
        self.name_ = 'w%d' % idx
        self.client = make_client(url)
        self.stop, self.deadline = stop, deadline
        self.rng = random.Random(idx)
        self.acked = {}       # pk -> (version, checksum) of the last acknowledged write
        self.in_doubt = None  # (pk, version, checksum) of the write that got no answer
        self.ops = 0
        self.error = None

    def item(self, pk, seq, version):
        payload = ''.join(self.rng.choice(string.ascii_letters) for _ in range(self.rng.randint(20, 1500)))
        return {'pk': {'S': pk}, 'writer': {'S': self.name_}, 'seq': {'N': str(seq)},
                'version': {'N': str(version)}, 'payload': {'S': payload},
                'checksum': {'S': checksum(pk, version, payload)}}

    def run(self):
        seq = 0
        while not self.stop.is_set() and time.monotonic() < self.deadline and self.ops < MAX_OPS_PER_THREAD:
            self.ops += 1
            if self.acked and self.ops % 4 == 0:
                pk = self.rng.choice(list(self.acked))
                version = self.acked[pk][0] + 1
                it = self.item(pk, 0, version)
                op = lambda: self.client.update_item(  # noqa: E731
                    TableName=TABLE, Key={'pk': it['pk']},
                    UpdateExpression='SET version = :v, payload = :p, checksum = :c',
                    ExpressionAttributeValues={':v': it['version'], ':p': it['payload'], ':c': it['checksum']})
            else:
                seq += 1
                pk = '%s-%d' % (self.name_, seq)
                version = 1
                it = self.item(pk, seq, version)
                op = lambda: self.client.put_item(TableName=TABLE, Item=it)  # noqa: E731
            try:
                op()
            except Exception as e:  # the crash: connection reset/refused, timeout
                self.in_doubt = (pk, version, it['checksum']['S'])
                self.error = e
                return
            self.acked[pk] = (version, it['checksum']['S'])


@pytest.fixture
def strict_server(runnel_bin):
    server = RunnelServer(runnel_bin, durability='strict')
    server.start()
    yield server
    server.cleanup()


def check_item(item):
    """An item read back is whole: its checksum matches its key, version and payload."""
    pk, version = item['pk']['S'], int(item['version']['N'])
    assert item['checksum']['S'] == checksum(pk, version, item['payload']['S']), 'torn item %s' % pk
    assert item['writer']['S'] == pk.split('-')[0]
    return pk, version


@pytest.mark.slow
def test_kill9_under_load_loses_no_acknowledged_write(strict_server):
    admin = make_client(strict_server.url)
    admin.create_table(TableName=TABLE, BillingMode='PAY_PER_REQUEST',
                       KeySchema=[{'AttributeName': 'pk', 'KeyType': 'HASH'}],
                       AttributeDefinitions=[{'AttributeName': 'pk', 'AttributeType': 'S'},
                                             {'AttributeName': 'writer', 'AttributeType': 'S'},
                                             {'AttributeName': 'seq', 'AttributeType': 'N'}],
                       GlobalSecondaryIndexes=[{
                           'IndexName': 'by_writer', 'Projection': {'ProjectionType': 'ALL'},
                           'KeySchema': [{'AttributeName': 'writer', 'KeyType': 'HASH'},
                                         {'AttributeName': 'seq', 'KeyType': 'RANGE'}]}])

    stop = threading.Event()
    deadline = time.monotonic() + LOAD_SECONDS + 10
    writers = [Writer(i, strict_server.url, stop, deadline) for i in range(THREADS)]
    for w in writers:
        w.start()
    time.sleep(LOAD_SECONDS)
    assert all(w.is_alive() for w in writers), [repr(w.error) for w in writers if not w.is_alive()]
    strict_server.kill()  # SIGKILL while every writer has a request in flight or about to send one
    stop.set()
    for w in writers:
        w.join(timeout=20)
    assert not any(w.is_alive() for w in writers), 'writer threads did not stop'

    acked = {pk: v for w in writers for pk, v in w.acked.items()}
    in_doubt = {w.in_doubt[0]: w.in_doubt[1:] for w in writers if w.in_doubt}
    assert len(acked) >= 50, 'too little load to mean anything: %d acknowledged puts' % len(acked)
    print('\nacknowledged items: %d, writes in doubt: %d, ops: %d'
          % (len(acked), len(in_doubt), sum(w.ops for w in writers)))

    strict_server.start()  # same data dir, new port
    client = make_client(strict_server.url, timeout=60)

    # Every item present is whole and one of ours; collect them.
    base = {}
    for item in full_scan(client, TableName=TABLE, ConsistentRead=True):
        pk, version = check_item(item)
        assert pk in acked or pk in in_doubt, 'phantom item %s' % pk
        base[pk] = item

    # Every acknowledged write survived, at its acknowledged version or (if an update of it was
    # in doubt) one version later.
    for pk, (version, csum) in acked.items():
        assert pk in base, 'acknowledged put lost: %s' % pk
        got = int(base[pk]['version']['N'])
        if got == version:
            assert base[pk]['checksum']['S'] == csum
        else:
            assert pk in in_doubt and got == in_doubt[pk][0] == version + 1, \
                'acknowledged update lost or unknown version: %s acked v%d, found v%d' % (pk, version, got)

    # Items checked one by one with GetItem too (not only through Scan).
    for pk in random.Random(1).sample(sorted(acked), min(200, len(acked))):
        got = client.get_item(TableName=TABLE, Key={'pk': {'S': pk}}, ConsistentRead=True)['Item']
        assert got == base[pk]

    # The GSI holds exactly the base items, with identical contents.
    for w in writers:
        indexed = full_query(client, TableName=TABLE, IndexName='by_writer',
                             KeyConditionExpression='writer = :w', ExpressionAttributeValues={':w': {'S': w.name_}})
        by_pk = {i['pk']['S']: i for i in indexed}
        assert len(by_pk) == len(indexed), 'duplicate GSI entries for %s' % w.name_
        mine = {pk: it for pk, it in base.items() if it['writer']['S'] == w.name_}
        missing = sorted(set(mine) - set(by_pk))
        extra = sorted(set(by_pk) - set(mine))
        assert not missing, 'base items missing from the GSI: %s' % missing[:10]
        assert not extra, 'GSI entries without a base item: %s' % extra[:10]
        for pk, it in by_pk.items():
            check_item(it)
            assert it == mine[pk], 'GSI entry differs from base item %s' % pk

    # The recovered server takes writes again.
    client.put_item(TableName=TABLE, Item={'pk': {'S': 'after-restart'}})
    assert 'Item' in client.get_item(TableName=TABLE, Key={'pk': {'S': 'after-restart'}}, ConsistentRead=True)
