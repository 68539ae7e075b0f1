"""DynamoDB Streams over time, each on a private server with its own stream flags: shard rollover
(by record count and by age), trimming by retention, forgetting disabled streams, TTL REMOVE
records, and records surviving a restart. runnel-only (the flags are runnel's); every wait is
bounded.
"""

import time

import boto3
import pytest
from botocore.exceptions import ClientError

from runnel_server import RunnelServer
from util import client_config, error_code, has_member, raw_request

MAX_CALLS = 100
SWEEP_WAIT_S = 10.0   # the sweep runs every 1 s; allow for a slow machine
TTL_WAIT_S = 15.0     # TTL sweep every 1 s, promised within ~10 s
TABLE = 'tbl'


def S(v):
    return {'S': v}


def N(v):
    return {'N': v}


class Private:
    """A private server plus its two clients."""

    def __init__(self, binary, extra_args):
        self.server = RunnelServer(binary, extra_args=extra_args)
        self.start()

    def start(self):
        self.server.start()
        kwargs = {'endpoint_url': self.server.url, 'region_name': 'us-east-1', 'aws_access_key_id': 'test',
                  'aws_secret_access_key': 'test', 'config': client_config()}
        self.ddb = boto3.client('dynamodb', **kwargs)
        self.streams = boto3.client('dynamodbstreams', **kwargs)

    def table(self, name=None, view='NEW_AND_OLD_IMAGES'):
        """A table with a stream; returns its stream ARN."""
        name = name or TABLE
        self.ddb.create_table(TableName=name, KeySchema=[{'AttributeName': 'p', 'KeyType': 'HASH'}],
                              AttributeDefinitions=[{'AttributeName': 'p', 'AttributeType': 'S'}],
                              BillingMode='PAY_PER_REQUEST',
                              StreamSpecification={'StreamEnabled': True, 'StreamViewType': view})
        return self.ddb.describe_table(TableName=name)['Table']['LatestStreamArn']

    def shards(self, arn, **kwargs):
        out = []
        kwargs['StreamArn'] = arn
        for _ in range(MAX_CALLS):
            d = self.streams.describe_stream(**kwargs)['StreamDescription']
            out += d['Shards']
            if 'LastEvaluatedShardId' not in d:
                return out
            kwargs['ExclusiveStartShardId'] = d['LastEvaluatedShardId']
        raise AssertionError('DescribeStream did not finish paging')

    def iterator(self, arn, shard_id, itype='TRIM_HORIZON', seq=None):
        kwargs = {'StreamArn': arn, 'ShardId': shard_id, 'ShardIteratorType': itype}
        if seq is not None:
            kwargs['SequenceNumber'] = seq
        return self.streams.get_shard_iterator(**kwargs)['ShardIterator']

    def drain(self, it):
        """(records, last NextShardIterator or None): read until an empty page or the shard's end."""
        records = []
        for _ in range(MAX_CALLS):
            r = self.streams.get_records(ShardIterator=it)
            records += r['Records']
            it = r.get('NextShardIterator')
            if it is None or not r['Records']:
                return records, it
        raise AssertionError('GetRecords did not drain')

    def read_all(self, arn):
        """Records of every shard, oldest shard first: [(shard id, [records])]."""
        return [(s['ShardId'], self.drain(self.iterator(arn, s['ShardId']))[0]) for s in self.shards(arn)]

    def list_streams(self, **kwargs):
        out = []
        for _ in range(MAX_CALLS):
            r = self.streams.list_streams(**kwargs)
            out += [s['StreamArn'] for s in r['Streams']]
            if 'LastEvaluatedStreamArn' not in r:
                return out
            kwargs['ExclusiveStartStreamArn'] = r['LastEvaluatedStreamArn']
        raise AssertionError('ListStreams did not finish paging')


@pytest.fixture
def private(runnel_bin):
    """private(extra_args) -> Private; every server started here is stopped afterwards."""
    started = []

    def start(extra_args=()):
        p = Private(runnel_bin, list(extra_args))
        started.append(p)
        return p
    yield start
    for p in started:
        p.server.cleanup()


def wait_for(check, timeout=SWEEP_WAIT_S, what='condition'):
    """Poll check() (truthy = done) every 0.2 s, bounded in time; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = check()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError('%s not reached within %ss' % (what, timeout))
        time.sleep(0.2)


def is_open(shard):
    return 'EndingSequenceNumber' not in shard['SequenceNumberRange']


def seq(record):
    return int(record['dynamodb']['SequenceNumber'])


def child_shards(p, arn, shard_id):
    filt = {'Type': 'CHILD_SHARDS', 'ShardId': shard_id}
    if has_member(p.streams, 'DescribeStream', 'ShardFilter'):
        return p.streams.describe_stream(StreamArn=arn, ShardFilter=filt)['StreamDescription']['Shards']
    r = raw_request(p.server.url, 'DynamoDBStreams_20120810.DescribeStream', {'StreamArn': arn, 'ShardFilter': filt})
    assert r.status == 200, r.body
    return r.json()['StreamDescription']['Shards']


def write_rollover_load(p, count=12, start=0):
    """count writes over three items (INSERTs then MODIFYs), each changing the item (v = start..);
    returns [(key, v)] in write order."""
    writes = []
    for i in range(start, start + count):
        k = 'k%d' % (i % 3)
        p.ddb.put_item(TableName=TABLE, Item={'p': S(k), 'v': N(str(i))})
        writes.append((k, i))
    return writes


# --- rollover -------------------------------------------------------------------------------

# A shard closes after N records: closed parents carry an EndingSequenceNumber, each child names
# its parent, exactly one shard stays open, and the shards hold the records in order, once each.
def test_rollover_by_record_count(private):
    p = private(['--stream-shard-max-records', '5'])
    arn = p.table()
    writes = write_rollover_load(p, 12)
    shards = p.shards(arn)
    assert len(shards) == 3, shards
    assert [is_open(s) for s in shards] == [False, False, True]
    assert 'ParentShardId' not in shards[0]
    for parent, child in zip(shards, shards[1:]):
        assert child['ParentShardId'] == parent['ShardId']
    per_shard = p.read_all(arn)
    assert [len(recs) for _, recs in per_shard] == [5, 5, 2]
    for s, (_, recs) in zip(shards, per_shard):
        rng = s['SequenceNumberRange']
        for r in recs:
            assert int(rng['StartingSequenceNumber']) <= seq(r)
            if 'EndingSequenceNumber' in rng:
                assert seq(r) <= int(rng['EndingSequenceNumber'])
    records = [r for _, recs in per_shard for r in recs]
    assert [(r['dynamodb']['Keys']['p']['S'], int(r['dynamodb']['NewImage']['v']['N'])) for r in records] == writes
    assert [r['eventName'] for r in records] == ['INSERT'] * 3 + ['MODIFY'] * 9
    assert [seq(r) for r in records] == sorted(seq(r) for r in records)
    assert len({r['eventID'] for r in records}) == 12


# A closed shard read to its end gives no NextShardIterator; the open one always does.
def test_rollover_closed_shard_ends(private):
    p = private(['--stream-shard-max-records', '5'])
    arn = p.table()
    write_rollover_load(p, 7)
    closed, open_ = p.shards(arn)
    records, nxt = p.drain(p.iterator(arn, closed['ShardId']))
    assert len(records) == 5 and nxt is None
    records, nxt = p.drain(p.iterator(arn, open_['ShardId']))
    assert len(records) == 2 and nxt is not None


# A sequence number outside a shard's range (here: one of its child's) is a ValidationException.
def test_sequence_number_outside_shard(private):
    p = private(['--stream-shard-max-records', '5'])
    arn = p.table()
    write_rollover_load(p, 7)
    parent, child = p.shards(arn)
    child_seq = p.drain(p.iterator(arn, child['ShardId']))[0][0]['dynamodb']['SequenceNumber']
    for itype in ('AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER'):
        with pytest.raises(ClientError) as e:
            p.iterator(arn, parent['ShardId'], itype, child_seq)
        assert error_code(e) == 'ValidationException'


# ShardFilter CHILD_SHARDS lists only the children of the given shard.
def test_rollover_child_shards_filter(private):
    p = private(['--stream-shard-max-records', '5'])
    arn = p.table()
    write_rollover_load(p, 12)
    shards = p.shards(arn)
    ids = [s['ShardId'] for s in shards]
    assert [c['ShardId'] for c in child_shards(p, arn, ids[0])] == [ids[1]]
    assert [c['ShardId'] for c in child_shards(p, arn, ids[1])] == [ids[2]]
    assert child_shards(p, arn, ids[2]) == []


# DescribeStream pages shards with Limit and ExclusiveStartShardId, oldest first.
def test_describe_stream_shard_paging(private):
    p = private(['--stream-shard-max-records', '5'])
    arn = p.table()
    write_rollover_load(p, 12)
    everything = p.shards(arn)
    first = p.streams.describe_stream(StreamArn=arn, Limit=1)['StreamDescription']
    assert first['Shards'] == everything[:1]
    assert first['LastEvaluatedShardId'] == everything[0]['ShardId']
    assert p.shards(arn, Limit=1) == everything


# A LATEST iterator on a shard that then closes still reaches the shard's end; later writes go
# to the child.
def test_rollover_latest_iterator_on_closing_shard(private):
    p = private(['--stream-shard-max-records', '5'])
    arn = p.table()
    write_rollover_load(p, 3)
    [shard] = p.shards(arn)
    it = p.iterator(arn, shard['ShardId'], 'LATEST')
    write_rollover_load(p, 4, start=3)  # 2 more in the first shard, then 2 in its child
    records, nxt = p.drain(it)
    assert len(records) == 2 and nxt is None
    child = p.shards(arn)[1]
    assert len(p.drain(p.iterator(arn, child['ShardId']))[0]) == 2


# An open shard older than --stream-shard-max-age is closed by the sweep and a child opened;
# the next write lands in the child.
def test_rollover_by_age(private):
    p = private(['--stream-shard-max-age', '1'])
    arn = p.table()
    p.ddb.put_item(TableName=TABLE, Item={'p': S('a')})
    first = p.shards(arn)[0]['ShardId']
    shards = wait_for(lambda: [s for s in p.shards(arn) if s['ShardId'] == first and not is_open(s)]
                      and p.shards(arn), what='age rollover')
    assert shards[0]['ShardId'] == first and not is_open(shards[0])
    assert sum(is_open(s) for s in shards) == 1 and is_open(shards[-1])
    assert shards[1]['ParentShardId'] == first
    p.ddb.put_item(TableName=TABLE, Item={'p': S('b')})
    records = [r['dynamodb']['Keys']['p']['S'] for _, recs in p.read_all(arn) for r in recs]
    assert records == ['a', 'b']
    assert [r['dynamodb']['Keys']['p']['S'] for r in p.drain(p.iterator(arn, first))[0]] == ['a']


# --- trimming -------------------------------------------------------------------------------

# Records older than --stream-retention are trimmed: TRIM_HORIZON then starts after them, an
# iterator obtained before the trim and AT_SEQUENCE_NUMBER of a trimmed record are
# TrimmedDataAccessException.
def test_trim_by_retention(private):
    p = private(['--stream-retention', '2'])
    arn = p.table()
    for k in ['a', 'b', 'c']:
        p.ddb.put_item(TableName=TABLE, Item={'p': S(k)})
    shard = p.shards(arn)[0]['ShardId']
    old_it = p.iterator(arn, shard)
    old = p.drain(old_it)[0]
    assert len(old) == 3
    wait_for(lambda: p.drain(p.iterator(arn, shard))[0] == [], what='trim of the old records')
    p.ddb.put_item(TableName=TABLE, Item={'p': S('new')})
    fresh = p.drain(p.iterator(arn, shard))[0]
    assert [r['dynamodb']['Keys']['p']['S'] for r in fresh] == ['new']
    assert seq(fresh[0]) > seq(old[-1])
    with pytest.raises(ClientError) as e:
        p.streams.get_records(ShardIterator=old_it)
    assert error_code(e) == 'TrimmedDataAccessException'
    with pytest.raises(ClientError) as e:
        p.iterator(arn, shard, 'AT_SEQUENCE_NUMBER', old[0]['dynamodb']['SequenceNumber'])
    assert error_code(e) == 'TrimmedDataAccessException'


# Closed shards whose records were all trimmed disappear from DescribeStream.
def test_trim_removes_empty_closed_shards(private):
    p = private(['--stream-retention', '2', '--stream-shard-max-records', '2'])
    arn = p.table()
    for k in ['a', 'b', 'c', 'd', 'e']:
        p.ddb.put_item(TableName=TABLE, Item={'p': S(k)})
    before = p.shards(arn)
    assert len(before) == 3
    last = before[-1]['ShardId']
    wait_for(lambda: [s['ShardId'] for s in p.shards(arn)] == [last], what='removal of trimmed shards')
    with pytest.raises(ClientError) as e:
        p.iterator(arn, before[0]['ShardId'])
    assert error_code(e) == 'ResourceNotFoundException'


# A disabled stream (and a deleted table's stream) is forgotten once older than the retention;
# an enabled stream is kept.
def test_disabled_stream_forgotten(private):
    p = private(['--stream-retention', '2'])
    kept = p.table('kept')
    disabled = p.table('disabled')
    deleted = p.table('deleted')
    p.ddb.put_item(TableName='disabled', Item={'p': S('a')})
    p.ddb.update_table(TableName='disabled', StreamSpecification={'StreamEnabled': False})
    p.ddb.delete_table(TableName='deleted')
    assert {kept, disabled, deleted} <= set(p.list_streams())
    wait_for(lambda: p.list_streams() == [kept], what='forgetting the disabled streams')
    for arn in (disabled, deleted):
        with pytest.raises(ClientError) as e:
            p.streams.describe_stream(StreamArn=arn)
        assert error_code(e) == 'ResourceNotFoundException'
    assert p.streams.describe_stream(StreamArn=kept)['StreamDescription']['StreamStatus'] == 'ENABLED'


# --- TTL ------------------------------------------------------------------------------------

# A TTL expiry is a REMOVE record marked as done by the service.
def test_ttl_expiry_record(private):
    p = private()
    arn = p.table()
    p.ddb.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={'Enabled': True, 'AttributeName': 'ttl'})
    p.ddb.put_item(TableName=TABLE, Item={'p': S('b')})
    p.ddb.delete_item(TableName=TABLE, Key={'p': S('b')})  # a user's delete, for comparison
    item = {'p': S('a'), 'ttl': N(str(int(time.time()) - 60)), 'v': S('x')}
    p.ddb.put_item(TableName=TABLE, Item=item)
    shard = p.shards(arn)[0]['ShardId']

    def records():
        recs = p.drain(p.iterator(arn, shard))[0]
        return recs if len(recs) == 4 else None
    recs = wait_for(records, timeout=TTL_WAIT_S, what='TTL REMOVE record')
    assert [(r['eventName'], r['dynamodb']['Keys']['p']['S']) for r in recs] == [
        ('INSERT', 'b'), ('REMOVE', 'b'), ('INSERT', 'a'), ('REMOVE', 'a')]
    ttl = recs[3]
    assert ttl['dynamodb']['Keys'] == {'p': S('a')}
    assert ttl['dynamodb']['OldImage'] == item
    assert 'NewImage' not in ttl['dynamodb']
    assert ttl['userIdentity'] == {'PrincipalId': 'dynamodb.amazonaws.com', 'Type': 'Service'}
    assert 'userIdentity' not in recs[1]  # a user's delete has none


# --- restart --------------------------------------------------------------------------------

# Streams, shards and records survive a clean restart; new records follow the old ones.
def test_records_survive_restart(private):
    p = private(['--stream-shard-max-records', '3'])
    arn = p.table()
    for i in range(5):
        p.ddb.put_item(TableName=TABLE, Item={'p': S('k%d' % i)})
    shards_before = p.shards(arn)
    records_before = p.read_all(arn)
    label = p.ddb.describe_table(TableName=TABLE)['Table']['LatestStreamLabel']
    assert p.server.stop() == 0
    p.start()
    assert p.ddb.describe_table(TableName=TABLE)['Table']['LatestStreamLabel'] == label
    assert p.list_streams() == [arn]
    assert p.shards(arn) == shards_before
    assert p.read_all(arn) == records_before
    p.ddb.put_item(TableName=TABLE, Item={'p': S('after')})
    records = [r for _, recs in p.read_all(arn) for r in recs]
    assert [r['dynamodb']['Keys']['p']['S'] for r in records] == ['k0', 'k1', 'k2', 'k3', 'k4', 'after']
    assert seq(records[-1]) > seq(records[-2])
    assert len({r['eventID'] for r in records}) == 6


# An iterator older than its lifetime (AWS: 15 minutes; here --stream-iterator-ttl 1) is refused
# with ExpiredIteratorException, and a fresh one from GetShardIterator works again.
def test_iterator_expires(private):
    p = private(['--stream-iterator-ttl', '1'])
    arn = p.table()
    p.ddb.put_item(TableName=TABLE, Item={'p': S('a')})
    shard = p.shards(arn)[0]['ShardId']
    it = p.iterator(arn, shard)
    time.sleep(1.5)
    with pytest.raises(ClientError) as e:
        p.streams.get_records(ShardIterator=it)
    assert error_code(e) == 'ExpiredIteratorException'
    assert len(p.streams.get_records(ShardIterator=p.iterator(arn, shard))['Records']) == 1
