"""Crash safety of DynamoDB Streams: kill -9 under write load loses no record of an acknowledged
write, invents none, duplicates none and keeps every key's records in the order of its writes.

Eight writer threads each own a few keys of a table with a NEW_AND_OLD_IMAGES stream and run
PutItem / UpdateItem / DeleteItem on them, on a server started with --durability strict. Every
write that changes an item sets a per-key increasing version number; a delete is recorded with
the version it removed. Each thread logs every acknowledged write in order, and the one write
that got no answer when the server was SIGKILLed mid-load (each thread stops at its first error,
so at most one write per thread, hence per key, is "in doubt"). The server is restarted on the
same data dir and the whole stream is read (every shard from TRIM_HORIZON). Then:
  * every acknowledged write has exactly one record, with the right event name and images;
  * a key's records, in SequenceNumber order, are its writes in the order they were made;
  * the only other record a key may have is its in-doubt write, as its last record;
  * the table holds, for every key, what its last record says (so an in-doubt write that was
    applied has its record, and one that has a record was applied); nothing else has a record;
  * writes after the restart get larger sequence numbers than every record from before.
Every loop is bounded in count and time.
"""

import random
import string
import threading
import time

import boto3
import pytest
from botocore.config import Config

from runnel_server import RunnelServer
from util import full_scan

THREADS = 8
KEYS_PER_THREAD = 6
LOAD_SECONDS = 3.0
MAX_OPS_PER_THREAD = 20000
MAX_PAGES = 5000          # GetRecords / DescribeStream calls while reading the stream
READ_TIMEOUT_S = 120.0    # reading the whole stream
TABLE = 'streams_durability'
VIEW = 'NEW_AND_OLD_IMAGES'


def client_kwargs(url, timeout):
    return dict(endpoint_url=url, region_name='us-east-1', aws_access_key_id='test',
                aws_secret_access_key='test',
                config=Config(retries={'max_attempts': 0}, connect_timeout=2, read_timeout=timeout))


def make_client(url, timeout=10):
    return boto3.client('dynamodb', **client_kwargs(url, timeout))


def make_streams_client(url, timeout=60):
    return boto3.client('dynamodbstreams', **client_kwargs(url, timeout))


class Write:
    """One write and the stream record it must produce."""

    def __init__(self, pk, event, old_image, new_image):
        self.pk, self.event = pk, event
        self.old_image, self.new_image = old_image, new_image   # full items, or None

    @staticmethod
    def version(image):
        return None if image is None else int(image['version']['N'])

    def describe(self):
        return '%s %s v%s->v%s' % (self.pk, self.event, self.version(self.old_image),
                                   self.version(self.new_image))

    def matches(self, record):
        d = record['dynamodb']
        return (record['eventName'] == self.event and d.get('OldImage') == self.old_image
                and d.get('NewImage') == self.new_image)


def describe_record(record):
    d = record['dynamodb']
    return '%s %s v%s->v%s seq %s' % (
        d['Keys']['pk']['S'], record['eventName'], Write.version(d.get('OldImage')),
        Write.version(d.get('NewImage')), d['SequenceNumber'])


class Writer(threading.Thread):
    def __init__(self, idx, url, stop, deadline):
        super().__init__(daemon=True)
        self.name_ = 'w%d' % idx
        self.client = make_client(url)
        self.stop, self.deadline = stop, deadline
        self.rng = random.Random(idx)
        self.keys = ['%s-k%d' % (self.name_, i) for i in range(KEYS_PER_THREAD)]
        self.items = {pk: None for pk in self.keys}   # pk -> current item (None: absent)
        self.versions = {pk: 0 for pk in self.keys}   # pk -> last version written
        self.acked = []       # every acknowledged Write, in order
        self.in_doubt = None  # the Write that got no answer
        self.ops = 0
        self.error = None

    def payload(self):
        return ''.join(self.rng.choice(string.ascii_letters) for _ in range(self.rng.randint(5, 200)))

    def next_write(self):
        pk = self.rng.choice(self.keys)
        old = self.items[pk]
        r = self.rng.random()
        if old is not None and r < 0.25:
            return Write(pk, 'REMOVE', old, None), \
                lambda: self.client.delete_item(TableName=TABLE, Key={'pk': {'S': pk}})
        self.versions[pk] += 1
        version = {'N': str(self.versions[pk])}
        payload = {'S': self.payload()}
        event = 'INSERT' if old is None else 'MODIFY'
        if r < 0.6:
            new = {'pk': {'S': pk}, 'writer': {'S': self.name_}, 'op': {'S': 'put'},
                   'version': version, 'payload': payload}
            return Write(pk, event, old, new), \
                lambda: self.client.put_item(TableName=TABLE, Item=new)
        # UpdateItem: of an existing item (MODIFY) or creating one (INSERT).
        new = dict(old or {'pk': {'S': pk}}, op={'S': 'update'}, version=version, payload=payload)
        return Write(pk, event, old, new), lambda: self.client.update_item(
            TableName=TABLE, Key={'pk': {'S': pk}},
            UpdateExpression='SET op = :o, version = :v, payload = :p',
            ExpressionAttributeValues={':o': {'S': 'update'}, ':v': version, ':p': payload})

    def run(self):
        while not self.stop.is_set() and time.monotonic() < self.deadline and self.ops < MAX_OPS_PER_THREAD:
            self.ops += 1
            write, op = self.next_write()
            try:
                op()
            except Exception as e:  # the crash: connection reset/refused, timeout
                self.in_doubt = write
                self.error = e
                return
            self.acked.append(write)
            self.items[write.pk] = write.new_image


@pytest.fixture
def strict_server(runnel_bin):
    server = RunnelServer(runnel_bin, durability='strict')
    server.start()
    yield server
    server.cleanup()


def all_shards(streams, arn):
    """DescribeStream's shards, following LastEvaluatedShardId (bounded)."""
    shards, kwargs = [], {'StreamArn': arn}
    for _ in range(MAX_PAGES):
        desc = streams.describe_stream(**kwargs)['StreamDescription']
        shards += desc['Shards']
        if not desc.get('LastEvaluatedShardId'):
            return desc, shards
        kwargs['ExclusiveStartShardId'] = desc['LastEvaluatedShardId']
    raise AssertionError('DescribeStream did not finish in %d pages' % MAX_PAGES)


def read_stream(streams, arn):
    """Every record of every shard from TRIM_HORIZON: a closed shard until NextShardIterator is
    absent, the open shard until two empty reads in a row (nothing writes meanwhile)."""
    deadline = time.monotonic() + READ_TIMEOUT_S
    desc, shards = all_shards(streams, arn)
    assert desc['StreamStatus'] == 'ENABLED', desc['StreamStatus']
    open_shards = [s['ShardId'] for s in shards if 'EndingSequenceNumber' not in s['SequenceNumberRange']]
    assert len(open_shards) == 1, 'expected exactly one open shard: %s' % shards
    records, calls = [], 0
    for shard in shards:
        is_open = shard['ShardId'] in open_shards
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard['ShardId'],
                                        ShardIteratorType='TRIM_HORIZON')['ShardIterator']
        last_seq, empties = None, 0
        while True:
            calls += 1
            assert calls <= MAX_PAGES, 'reading the stream took more than %d GetRecords calls' % MAX_PAGES
            assert time.monotonic() < deadline, 'reading the stream took more than %.0fs' % READ_TIMEOUT_S
            r = streams.get_records(ShardIterator=it, Limit=1000)
            for rec in r['Records']:
                seq = int(rec['dynamodb']['SequenceNumber'])
                assert last_seq is None or seq > last_seq, \
                    'sequence numbers not increasing in shard %s: %d after %d' % (shard['ShardId'], seq, last_seq)
                last_seq = seq
                records.append(rec)
            it = r.get('NextShardIterator')
            if not it:
                assert not is_open, 'the open shard %s ended (no NextShardIterator)' % shard['ShardId']
                break
            empties = 0 if r['Records'] else empties + 1
            if is_open and empties >= 2:
                break
    return records


def check_record_shape(rec):
    assert rec['eventSource'] == 'aws:dynamodb' and rec['eventVersion'] == '1.1', rec
    assert len(rec['eventID']) == 32 and all(c in '0123456789abcdef' for c in rec['eventID']), rec['eventID']
    d = rec['dynamodb']
    assert d['StreamViewType'] == VIEW and d['SizeBytes'] > 0, rec
    assert len(d['SequenceNumber']) == 21 and d['SequenceNumber'].isdigit(), d['SequenceNumber']
    assert set(d['Keys']) == {'pk'}, d['Keys']
    assert rec['eventName'] in ('INSERT', 'MODIFY', 'REMOVE'), rec
    assert ('NewImage' in d) == (rec['eventName'] != 'REMOVE'), rec
    assert ('OldImage' in d) == (rec['eventName'] != 'INSERT'), rec
    return d['Keys']['pk']['S']


@pytest.mark.slow
def test_kill9_under_load_keeps_exactly_the_acknowledged_stream_records(strict_server):
    admin = make_client(strict_server.url)
    admin.create_table(TableName=TABLE, BillingMode='PAY_PER_REQUEST',
                       KeySchema=[{'AttributeName': 'pk', 'KeyType': 'HASH'}],
                       AttributeDefinitions=[{'AttributeName': 'pk', 'AttributeType': 'S'}],
                       StreamSpecification={'StreamEnabled': True, 'StreamViewType': VIEW})
    arn = admin.describe_table(TableName=TABLE)['Table']['LatestStreamArn']

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

    acked = {pk: [] for w in writers for pk in w.keys}   # pk -> acknowledged Writes, in order
    for w in writers:
        for write in w.acked:
            acked[write.pk].append(write)
    in_doubt = {w.in_doubt.pk: w.in_doubt for w in writers if w.in_doubt}
    n_acked = sum(len(w.acked) for w in writers)
    assert n_acked >= 200, 'too little load to mean anything: %d acknowledged writes' % n_acked
    print('\nacknowledged writes: %d, writes in doubt: %d, deletes: %d'
          % (n_acked, len(in_doubt), sum(1 for w in writers for x in w.acked if x.event == 'REMOVE')))

    strict_server.start()  # same data dir, new port
    client = make_client(strict_server.url, timeout=60)
    streams = make_streams_client(strict_server.url)
    assert client.describe_table(TableName=TABLE)['Table']['LatestStreamArn'] == arn

    records = read_stream(streams, arn)
    assert len({r['eventID'] for r in records}) == len(records), 'duplicate eventIDs'
    assert len({r['dynamodb']['SequenceNumber'] for r in records}) == len(records), 'duplicate sequence numbers'
    by_key = {}
    for rec in records:
        pk = check_record_shape(rec)
        assert pk in acked, 'record for a key nobody wrote: %s' % describe_record(rec)
        by_key.setdefault(pk, []).append(rec)

    table = {item['pk']['S']: item for item in full_scan(client, TableName=TABLE, ConsistentRead=True)}
    assert set(table) <= set(acked), 'items nobody wrote: %s' % sorted(set(table) - set(acked))[:10]

    for pk, writes in acked.items():
        recs = sorted(by_key.get(pk, []), key=lambda r: int(r['dynamodb']['SequenceNumber']))
        got = [describe_record(r) for r in recs]
        want = [x.describe() for x in writes]
        # Every acknowledged write has its record, in write order, with nothing between them.
        for i, (write, rec) in enumerate(zip(writes, recs)):
            assert write.matches(rec), 'record %d of %s is not its write %d:\nwant ...%s\ngot  ...%s\n%s' \
                % (i, pk, i, want[max(0, i - 2):i + 3], got[max(0, i - 2):i + 3], rec)
        assert len(recs) >= len(writes), 'acknowledged writes without a record on %s: %s (last records: %s)' \
            % (pk, want[len(recs):][:5], got[-3:])
        # Past them, only the key's in-doubt write, as its last record.
        extra = recs[len(writes):]
        assert len(extra) <= 1, 'records for writes never made on %s: %s' % (pk, got[len(writes):])
        if extra:
            assert pk in in_doubt and in_doubt[pk].matches(extra[0]), \
                'record for a write never acknowledged nor in doubt on %s: %s (in doubt: %s)' \
                % (pk, got[-1], in_doubt[pk].describe() if pk in in_doubt else None)
        # The table holds what the key's last record says, both for an in-doubt write that was
        # applied (its record must exist) and one that was not (it must have no record).
        last_image = recs[-1]['dynamodb'].get('NewImage') if recs else None
        assert table.get(pk) == last_image, 'table and stream disagree on %s: item %s, last record %s' \
            % (pk, table.get(pk), got[-1] if got else None)

    # Writes after the restart: new records with larger sequence numbers, in write order.
    before = max(int(r['dynamodb']['SequenceNumber']) for r in records)
    for v in range(1, 6):
        client.put_item(TableName=TABLE, Item={'pk': {'S': 'after-restart'}, 'version': {'N': str(v)}})
    after = [r for r in read_stream(streams, arn) if r['dynamodb']['Keys']['pk']['S'] == 'after-restart']
    assert [r['eventName'] for r in after] == ['INSERT'] + ['MODIFY'] * 4
    assert [r['dynamodb']['NewImage']['version']['N'] for r in after] == ['1', '2', '3', '4', '5']
    seqs = [int(r['dynamodb']['SequenceNumber']) for r in after]
    assert seqs[0] > before and seqs == sorted(seqs) and len(set(seqs)) == 5, (before, seqs)
