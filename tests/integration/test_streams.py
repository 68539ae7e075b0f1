"""DynamoDB Streams: enabling streams on tables, ListStreams, DescribeStream, GetShardIterator,
GetRecords, the records every write path produces, and the API's errors.

Rollover, trimming, TTL records and restarts need servers with their own flags:
see test_streams_lifecycle.py.
"""

import datetime
import re
import time

import pytest
from botocore.exceptions import ClientError

from util import attr, error_code, has_member, key, raw_request, unique_table_name, wait_active

VIEW_TYPES = ['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES']
LABEL_RE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$')
SHARD_ID_RE = re.compile(r'^shardId-\d{20}-[0-9a-f]{8}$')
SEQ_RE = re.compile(r'^\d{21}$')
EVENT_ID_RE = re.compile(r'^[0-9a-f]{32}$')
MAX_CALLS = 100  # bound on GetRecords / paging loops


def S(v):
    return {'S': v}


def N(v):
    return {'N': v}


def spec(view):
    return {'StreamEnabled': True, 'StreamViewType': view}


@pytest.fixture(scope='session')
def streams(make_client):
    return make_client('dynamodbstreams')


@pytest.fixture(scope='session')
def streams_noval(make_client):
    """A streams client without botocore's parameter validation, so the server sees invalid input."""
    return make_client('dynamodbstreams', validate=False)


def stream_table(dynamodb, table_factory, view='NEW_AND_OLD_IMAGES', range_key=False, tag='st'):
    """A new table with a stream; returns (table name, stream ARN)."""
    keys, attrs = [key('p', 'HASH')], [attr('p', 'S')]
    if range_key:
        keys.append(key('c', 'RANGE'))
        attrs.append(attr('c', 'N'))
    name = table_factory.create(keys, attrs, tag=tag, StreamSpecification=spec(view))
    return name, dynamodb.describe_table(TableName=name)['Table']['LatestStreamArn']


def set_stream(dynamodb, name, view=None):
    """Enable (view given) or disable the table's stream; returns DescribeTable afterwards."""
    ss = spec(view) if view else {'StreamEnabled': False}
    dynamodb.update_table(TableName=name, StreamSpecification=ss)
    return wait_active(dynamodb, name)


def shards(streams, arn):
    """All shards of a stream, following LastEvaluatedShardId."""
    out, kwargs = [], {'StreamArn': arn}
    for _ in range(MAX_CALLS):
        d = streams.describe_stream(**kwargs)['StreamDescription']
        out += d['Shards']
        if 'LastEvaluatedShardId' not in d:
            return out
        kwargs['ExclusiveStartShardId'] = d['LastEvaluatedShardId']
    raise AssertionError('DescribeStream did not finish paging')


def open_shard(streams, arn):
    open_ = [s for s in shards(streams, arn) if 'EndingSequenceNumber' not in s['SequenceNumberRange']]
    assert len(open_) == 1, open_
    return open_[0]['ShardId']


def iterator(streams, arn, shard_id, itype='TRIM_HORIZON', seq=None):
    kwargs = {'StreamArn': arn, 'ShardId': shard_id, 'ShardIteratorType': itype}
    if seq is not None:
        kwargs['SequenceNumber'] = seq
    return streams.get_shard_iterator(**kwargs)['ShardIterator']


def drain(streams, it, limit=None):
    """GetRecords from an iterator until a page is empty or NextShardIterator is absent.

    Returns (records, the last NextShardIterator or None)."""
    records = []
    for _ in range(MAX_CALLS):
        r = streams.get_records(ShardIterator=it, **({'Limit': limit} if limit else {}))
        records += r['Records']
        it = r.get('NextShardIterator')
        if it is None or not r['Records']:
            return records, it
    raise AssertionError('GetRecords did not drain in %d calls' % MAX_CALLS)


def read_stream(streams, arn):
    """Every record of the stream: each shard, oldest first, from TRIM_HORIZON."""
    records = []
    for s in shards(streams, arn):
        records += drain(streams, iterator(streams, arn, s['ShardId']))[0]
    return records


def summary(records, attr_name='p'):
    """(eventName, key value) per record, in stream order."""
    return [(r['eventName'], r['dynamodb']['Keys'][attr_name]['S']) for r in records]


# --- enabling streams -----------------------------------------------------------------------

# CreateTable with a StreamSpecification echoes it and names the new stream, for every view type.
@pytest.mark.parametrize('view', VIEW_TYPES)
def test_create_table_with_stream(dynamodb, streams, table_factory, view):
    name = unique_table_name('st')
    r = dynamodb.create_table(TableName=name, KeySchema=[key('p', 'HASH')], AttributeDefinitions=[attr('p', 'S')],
                              BillingMode='PAY_PER_REQUEST', StreamSpecification=spec(view))
    table_factory.names.append(name)
    td = r['TableDescription']
    assert td['StreamSpecification'] == spec(view)
    d = wait_active(dynamodb, name)
    assert d['StreamSpecification'] == spec(view)
    assert d['LatestStreamArn'] == td['LatestStreamArn']
    assert d['LatestStreamLabel'] == td['LatestStreamLabel']
    sd = streams.describe_stream(StreamArn=d['LatestStreamArn'])['StreamDescription']
    assert sd['StreamViewType'] == view
    assert sd['StreamStatus'] == 'ENABLED'


# UpdateTable can enable a stream on an existing table, for every view type.
@pytest.mark.parametrize('view', VIEW_TYPES)
def test_update_table_enables_stream(dynamodb, streams, table_factory, view):
    name = table_factory.create()
    assert 'LatestStreamArn' not in dynamodb.describe_table(TableName=name)['Table']
    d = set_stream(dynamodb, name, view)
    assert d['StreamSpecification'] == spec(view)
    sd = streams.describe_stream(StreamArn=d['LatestStreamArn'])['StreamDescription']
    assert sd['StreamViewType'] == view
    assert sd['StreamStatus'] == 'ENABLED'


# LatestStreamArn is <table ARN>/stream/<label>, and the label is the UTC enable time with ms.
def test_latest_stream_arn_and_label(dynamodb, table_factory):
    before = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    name, arn = stream_table(dynamodb, table_factory)
    d = dynamodb.describe_table(TableName=name)['Table']
    label = d['LatestStreamLabel']
    assert LABEL_RE.match(label), label
    assert arn == '%s/stream/%s' % (d['TableArn'], label)
    assert re.match(r'^arn:aws:dynamodb:us-east-1:\d{12}:table/%s/stream/' % re.escape(name), arn), arn
    when = datetime.datetime.strptime(label, '%Y-%m-%dT%H:%M:%S.%f')
    assert abs((when - before).total_seconds()) < 300, (label, before)


# Every enable makes a new stream: re-enabling after a disable gives a new, later label and ARN,
# even when the cycles follow each other within the same millisecond.
def test_reenable_gives_new_stream(dynamodb, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    arns = [arn]
    labels = [dynamodb.describe_table(TableName=name)['Table']['LatestStreamLabel']]
    for view in ['KEYS_ONLY', 'NEW_IMAGE', 'NEW_IMAGE']:
        set_stream(dynamodb, name, None)
        d = set_stream(dynamodb, name, view)
        arns.append(d['LatestStreamArn'])
        labels.append(d['LatestStreamLabel'])
        assert d['StreamSpecification'] == spec(view)
    assert len(set(arns)) == len(arns), arns
    assert labels == sorted(labels) and len(set(labels)) == len(labels), labels


# Enabling a stream on a table that already has one is a ValidationException.
def test_enable_when_enabled(dynamodb, table_factory):
    name, _ = stream_table(dynamodb, table_factory)
    with pytest.raises(ClientError) as e:
        dynamodb.update_table(TableName=name, StreamSpecification=spec('KEYS_ONLY'))
    assert error_code(e) == 'ValidationException'
    assert 'Table already has an enabled stream' in e.value.response['Error']['Message']


# Disabling a stream on a table that has none is a ValidationException.
def test_disable_when_disabled(dynamodb, table_factory):
    name = table_factory.create()
    with pytest.raises(ClientError) as e:
        dynamodb.update_table(TableName=name, StreamSpecification={'StreamEnabled': False})
    assert error_code(e) == 'ValidationException'
    assert 'Table already has no stream enabled' in e.value.response['Error']['Message']


# --- ListStreams ----------------------------------------------------------------------------

# ListStreams by table names the table's stream with its label.
def test_list_streams_by_table(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    label = dynamodb.describe_table(TableName=name)['Table']['LatestStreamLabel']
    r = streams.list_streams(TableName=name)
    assert r['Streams'] == [{'StreamArn': arn, 'TableName': name, 'StreamLabel': label}]
    assert 'LastEvaluatedStreamArn' not in r


# Disabled streams stay listed; a table's streams come in creation order.
def test_list_streams_keeps_disabled_in_creation_order(dynamodb, streams, table_factory):
    name, first = stream_table(dynamodb, table_factory)
    set_stream(dynamodb, name, None)
    second = set_stream(dynamodb, name, 'KEYS_ONLY')['LatestStreamArn']
    r = streams.list_streams(TableName=name)
    assert [s['StreamArn'] for s in r['Streams']] == [first, second]


# A table that never had a stream lists none.
def test_list_streams_table_without_stream(streams, table_factory):
    name = table_factory.create()
    assert streams.list_streams(TableName=name)['Streams'] == []


# ListStreams for a table that does not exist is ResourceNotFoundException.
def test_list_streams_missing_table(streams):
    with pytest.raises(ClientError) as e:
        streams.list_streams(TableName=unique_table_name('missing'))
    assert error_code(e) == 'ResourceNotFoundException'


# ListStreams without a table lists every stream of the account, ordered by table name first.
def test_list_streams_all(dynamodb, streams, table_factory):
    zname, zarn = stream_table(dynamodb, table_factory, tag='zz')  # created first, sorts last
    aname, aarn = stream_table(dynamodb, table_factory, tag='aa')
    listed = []
    kwargs = {}
    for _ in range(MAX_CALLS):
        r = streams.list_streams(**kwargs)
        listed += r['Streams']
        if 'LastEvaluatedStreamArn' not in r:
            break
        kwargs['ExclusiveStartStreamArn'] = r['LastEvaluatedStreamArn']
    arns = [s['StreamArn'] for s in listed]
    assert zarn in arns and aarn in arns
    assert arns.index(aarn) < arns.index(zarn)
    names = [s['TableName'] for s in listed]
    assert names == sorted(names)
    assert len(set(arns)) == len(arns)


# Paging through every stream with Limit=1 gives the same list as big pages.
def test_list_streams_all_paging(dynamodb, streams, table_factory):
    stream_table(dynamodb, table_factory)
    stream_table(dynamodb, table_factory)

    def listing(limit):
        arns, kwargs = [], {'Limit': limit}
        for _ in range(5000):
            r = streams.list_streams(**kwargs)
            assert len(r['Streams']) <= limit
            arns += [s['StreamArn'] for s in r['Streams']]
            if 'LastEvaluatedStreamArn' not in r:
                return arns
            kwargs['ExclusiveStartStreamArn'] = r['LastEvaluatedStreamArn']
        raise AssertionError('ListStreams did not finish paging')
    big = listing(100)
    assert len(big) >= 2
    assert listing(1) == big


# Limit=1 pages one stream at a time; ExclusiveStartStreamArn continues after the last one.
def test_list_streams_paging(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    expected = [arn]
    for view in ['KEYS_ONLY', 'NEW_IMAGE']:
        set_stream(dynamodb, name, None)
        expected.append(set_stream(dynamodb, name, view)['LatestStreamArn'])
    pages = []
    kwargs = {'TableName': name, 'Limit': 1}
    for _ in range(10):
        r = streams.list_streams(**kwargs)
        pages.append([s['StreamArn'] for s in r['Streams']])
        if 'LastEvaluatedStreamArn' not in r:
            break
        assert r['LastEvaluatedStreamArn'] == pages[-1][-1]
        kwargs['ExclusiveStartStreamArn'] = r['LastEvaluatedStreamArn']
    assert pages == [[a] for a in expected]


# ListStreams Limit is 1..100.
@pytest.mark.parametrize('limit', [0, 101])
def test_list_streams_bad_limit(streams_noval, limit):
    with pytest.raises(ClientError) as e:
        streams_noval.list_streams(Limit=limit)
    assert error_code(e) == 'ValidationException'


# --- DescribeStream -------------------------------------------------------------------------

# DescribeStream of a new stream: its identity, the table's key schema and one open shard.
def test_describe_stream_fields(dynamodb, streams, table_factory):
    before = datetime.datetime.now(datetime.timezone.utc)
    name, arn = stream_table(dynamodb, table_factory, view='NEW_IMAGE', range_key=True)
    table = dynamodb.describe_table(TableName=name)['Table']
    r = streams.describe_stream(StreamArn=arn)
    d = r['StreamDescription']
    assert d['StreamArn'] == arn
    assert d['StreamLabel'] == table['LatestStreamLabel']
    assert d['StreamStatus'] == 'ENABLED'
    assert d['StreamViewType'] == 'NEW_IMAGE'
    assert d['TableName'] == name
    assert d['KeySchema'] == [key('p', 'HASH'), key('c', 'RANGE')]
    assert abs((d['CreationRequestDateTime'] - before).total_seconds()) < 300
    assert 'LastEvaluatedShardId' not in d
    assert len(d['Shards']) == 1
    shard = d['Shards'][0]
    assert SHARD_ID_RE.match(shard['ShardId']), shard
    assert 'ParentShardId' not in shard
    assert shard['SequenceNumberRange']['StartingSequenceNumber'].isdigit()
    assert 'EndingSequenceNumber' not in shard['SequenceNumberRange']


# After a disable the stream is DISABLED and has no open shard left.
def test_describe_stream_disabled(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    dynamodb.put_item(TableName=name, Item={'p': S('a')})
    set_stream(dynamodb, name, None)
    d = streams.describe_stream(StreamArn=arn)['StreamDescription']
    assert d['StreamStatus'] == 'DISABLED'
    assert d['Shards'], d
    for s in d['Shards']:
        assert 'EndingSequenceNumber' in s['SequenceNumberRange'], s


# An unknown stream ARN is ResourceNotFoundException.
def test_describe_stream_unknown(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    with pytest.raises(ClientError) as e:
        streams.describe_stream(StreamArn=arn.rsplit('/', 1)[0] + '/2001-01-01T00:00:00.000')
    assert error_code(e) == 'ResourceNotFoundException'


# DescribeStream Limit is 1..100.
@pytest.mark.parametrize('limit', [0, 101])
def test_describe_stream_bad_limit(dynamodb, streams_noval, table_factory, limit):
    _, arn = stream_table(dynamodb, table_factory)
    with pytest.raises(ClientError) as e:
        streams_noval.describe_stream(StreamArn=arn, Limit=limit)
    assert error_code(e) == 'ValidationException'


# ShardFilter CHILD_SHARDS of the only (open) shard lists nothing.
def test_describe_stream_child_shards_of_open_shard(dynamodb, streams, table_factory, target):
    _, arn = stream_table(dynamodb, table_factory)
    shard = open_shard(streams, arn)
    filt = {'Type': 'CHILD_SHARDS', 'ShardId': shard}
    if has_member(streams, 'DescribeStream', 'ShardFilter'):
        d = streams.describe_stream(StreamArn=arn, ShardFilter=filt)['StreamDescription']
    else:  # botocore 1.29 predates ShardFilter: send it by hand
        if target.is_aws:
            pytest.skip('raw requests need fake credentials')
        r = raw_request(target.url, 'DynamoDBStreams_20120810.DescribeStream',
                        {'StreamArn': arn, 'ShardFilter': filt})
        assert r.status == 200, r.body
        d = r.json()['StreamDescription']
    assert d['Shards'] == []


# --- GetShardIterator -----------------------------------------------------------------------

# All four iterator types give an iterator that GetRecords accepts.
@pytest.mark.parametrize('itype', ['TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER'])
def test_shard_iterator_types(dynamodb, streams, table_factory, itype):
    name, arn = stream_table(dynamodb, table_factory)
    dynamodb.put_item(TableName=name, Item={'p': S('a')})
    shard = open_shard(streams, arn)
    seq = None
    if 'SEQUENCE' in itype:
        seq = read_stream(streams, arn)[0]['dynamodb']['SequenceNumber']
    it = iterator(streams, arn, shard, itype, seq)
    assert isinstance(it, str) and it
    r = streams.get_records(ShardIterator=it)
    assert 'NextShardIterator' in r


# TRIM_HORIZON starts at the first record of the shard.
def test_trim_horizon_reads_from_start(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    for k in ['a', 'b', 'c']:
        dynamodb.put_item(TableName=name, Item={'p': S(k)})
    records, _ = drain(streams, iterator(streams, arn, open_shard(streams, arn)))
    assert summary(records) == [('INSERT', 'a'), ('INSERT', 'b'), ('INSERT', 'c')]


# LATEST sees only records written after the iterator was obtained.
def test_latest_sees_only_later_writes(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    dynamodb.put_item(TableName=name, Item={'p': S('before')})
    it = iterator(streams, arn, open_shard(streams, arn), 'LATEST')
    r = streams.get_records(ShardIterator=it)
    assert r['Records'] == []
    dynamodb.put_item(TableName=name, Item={'p': S('after1')})
    dynamodb.put_item(TableName=name, Item={'p': S('after2')})
    records, _ = drain(streams, r['NextShardIterator'])
    assert summary(records) == [('INSERT', 'after1'), ('INSERT', 'after2')]


# A LATEST iterator obtained before any read is positioned at the time it was obtained.
def test_latest_iterator_unread(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    dynamodb.put_item(TableName=name, Item={'p': S('before')})
    it = iterator(streams, arn, open_shard(streams, arn), 'LATEST')
    dynamodb.put_item(TableName=name, Item={'p': S('after')})
    assert summary(drain(streams, it)[0]) == [('INSERT', 'after')]


# AT_SEQUENCE_NUMBER starts with that record; AFTER_SEQUENCE_NUMBER with the next one.
def test_at_and_after_sequence_number(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    for k in ['a', 'b', 'c']:
        dynamodb.put_item(TableName=name, Item={'p': S(k)})
    shard = open_shard(streams, arn)
    seq_b = read_stream(streams, arn)[1]['dynamodb']['SequenceNumber']
    at = drain(streams, iterator(streams, arn, shard, 'AT_SEQUENCE_NUMBER', seq_b))[0]
    after = drain(streams, iterator(streams, arn, shard, 'AFTER_SEQUENCE_NUMBER', seq_b))[0]
    assert summary(at) == [('INSERT', 'b'), ('INSERT', 'c')]
    assert summary(after) == [('INSERT', 'c')]


# GetShardIterator on an unknown stream is ResourceNotFoundException.
def test_shard_iterator_unknown_stream(dynamodb, streams, table_factory):
    _, arn = stream_table(dynamodb, table_factory)
    shard = open_shard(streams, arn)
    with pytest.raises(ClientError) as e:
        iterator(streams, arn.rsplit('/', 1)[0] + '/2001-01-01T00:00:00.000', shard)
    assert error_code(e) == 'ResourceNotFoundException'


# GetShardIterator on an unknown shard of a known stream is ResourceNotFoundException.
def test_shard_iterator_unknown_shard(dynamodb, streams, table_factory):
    _, arn = stream_table(dynamodb, table_factory)
    with pytest.raises(ClientError) as e:
        iterator(streams, arn, 'shardId-00000000000000000001-deadbeef')
    assert error_code(e) == 'ResourceNotFoundException'


# An iterator type outside the enum is a ValidationException.
def test_shard_iterator_bad_type(dynamodb, streams, streams_noval, table_factory):
    _, arn = stream_table(dynamodb, table_factory)
    with pytest.raises(ClientError) as e:
        streams_noval.get_shard_iterator(StreamArn=arn, ShardId=open_shard(streams, arn),
                                         ShardIteratorType='OLDEST')
    assert error_code(e) == 'ValidationException'


# AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER need a SequenceNumber.
@pytest.mark.parametrize('itype', ['AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER'])
def test_shard_iterator_missing_sequence_number(dynamodb, streams, table_factory, itype):
    name, arn = stream_table(dynamodb, table_factory)
    dynamodb.put_item(TableName=name, Item={'p': S('a')})
    with pytest.raises(ClientError) as e:
        iterator(streams, arn, open_shard(streams, arn), itype)
    assert error_code(e) == 'ValidationException'


# --- GetRecords: what each write produces ---------------------------------------------------

# PutItem of a new item is an INSERT carrying the new image only.
def test_put_insert(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    item = {'p': S('a'), 'v': N('1'), 's': {'SS': ['x', 'y']}}
    dynamodb.put_item(TableName=name, Item=item)
    [r] = read_stream(streams, arn)
    assert r['eventName'] == 'INSERT'
    assert r['dynamodb']['Keys'] == {'p': S('a')}
    assert r['dynamodb']['NewImage'] == item
    assert 'OldImage' not in r['dynamodb']


# PutItem over an existing item is a MODIFY carrying both images.
def test_put_overwrite_is_modify(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    old, new = {'p': S('a'), 'v': N('1')}, {'p': S('a'), 'w': S('x')}
    dynamodb.put_item(TableName=name, Item=old)
    dynamodb.put_item(TableName=name, Item=new)
    records = read_stream(streams, arn)
    assert summary(records) == [('INSERT', 'a'), ('MODIFY', 'a')]
    assert records[1]['dynamodb']['OldImage'] == old
    assert records[1]['dynamodb']['NewImage'] == new


# UpdateItem that creates the item is an INSERT; one that changes it is a MODIFY.
def test_update_insert_then_modify(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    dynamodb.update_item(TableName=name, Key={'p': S('a')}, UpdateExpression='SET v = :v',
                         ExpressionAttributeValues={':v': N('1')})
    dynamodb.update_item(TableName=name, Key={'p': S('a')}, UpdateExpression='SET v = v + :d',
                         ExpressionAttributeValues={':d': N('2')})
    records = read_stream(streams, arn)
    assert summary(records) == [('INSERT', 'a'), ('MODIFY', 'a')]
    assert 'OldImage' not in records[0]['dynamodb']
    assert records[0]['dynamodb']['NewImage'] == {'p': S('a'), 'v': N('1')}
    assert records[1]['dynamodb']['OldImage'] == {'p': S('a'), 'v': N('1')}
    assert records[1]['dynamodb']['NewImage'] == {'p': S('a'), 'v': N('3')}


# DeleteItem of an existing item is a REMOVE carrying the old image only.
def test_delete_is_remove(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    item = {'p': S('a'), 'v': N('1')}
    dynamodb.put_item(TableName=name, Item=item)
    dynamodb.delete_item(TableName=name, Key={'p': S('a')})
    records = read_stream(streams, arn)
    assert summary(records) == [('INSERT', 'a'), ('REMOVE', 'a')]
    assert records[1]['dynamodb']['OldImage'] == item
    assert 'NewImage' not in records[1]['dynamodb']
    assert 'userIdentity' not in records[1]  # only TTL deletes carry one


# BatchWriteItem puts and deletes each leave their record.
def test_batch_write(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    dynamodb.put_item(TableName=name, Item={'p': S('old'), 'v': N('1')})
    dynamodb.put_item(TableName=name, Item={'p': S('mod'), 'v': N('1')})
    r = dynamodb.batch_write_item(RequestItems={name: [
        {'PutRequest': {'Item': {'p': S('new'), 'v': N('2')}}},
        {'PutRequest': {'Item': {'p': S('mod'), 'v': N('2')}}},
        {'DeleteRequest': {'Key': {'p': S('old')}}},
        {'DeleteRequest': {'Key': {'p': S('never')}}},  # missing: no record
    ]})
    assert not r.get('UnprocessedItems')
    records = read_stream(streams, arn)
    assert summary(records)[:2] == [('INSERT', 'old'), ('INSERT', 'mod')]
    assert sorted(summary(records)[2:]) == [('INSERT', 'new'), ('MODIFY', 'mod'), ('REMOVE', 'old')]
    by_key = {r['dynamodb']['Keys']['p']['S']: r['dynamodb'] for r in records[2:]}
    assert by_key['new']['NewImage'] == {'p': S('new'), 'v': N('2')}
    assert by_key['mod']['OldImage'] == {'p': S('mod'), 'v': N('1')}
    assert by_key['old']['OldImage'] == {'p': S('old'), 'v': N('1')}


# TransactWriteItems Put/Update/Delete each leave a record; a ConditionCheck leaves none.
def test_transact_write(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    for k in ['upd', 'del', 'chk']:
        dynamodb.put_item(TableName=name, Item={'p': S(k), 'v': N('1')})
    dynamodb.transact_write_items(TransactItems=[
        {'Put': {'TableName': name, 'Item': {'p': S('put'), 'v': N('1')}}},
        {'Update': {'TableName': name, 'Key': {'p': S('upd')}, 'UpdateExpression': 'SET v = :v',
                    'ExpressionAttributeValues': {':v': N('2')}}},
        {'Delete': {'TableName': name, 'Key': {'p': S('del')}}},
        {'ConditionCheck': {'TableName': name, 'Key': {'p': S('chk')}, 'ConditionExpression': 'v = :one',
                            'ExpressionAttributeValues': {':one': N('1')}}},
    ])
    records = read_stream(streams, arn)
    assert summary(records)[:3] == [('INSERT', 'upd'), ('INSERT', 'del'), ('INSERT', 'chk')]
    assert sorted(summary(records)[3:]) == [('INSERT', 'put'), ('MODIFY', 'upd'), ('REMOVE', 'del')]
    by_key = {r['dynamodb']['Keys']['p']['S']: r['dynamodb'] for r in records[3:]}
    assert by_key['upd']['NewImage'] == {'p': S('upd'), 'v': N('2')}
    assert by_key['del']['OldImage'] == {'p': S('del'), 'v': N('1')}


# A cancelled transaction leaves no record at all.
def test_cancelled_transaction_no_records(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    dynamodb.put_item(TableName=name, Item={'p': S('chk'), 'v': N('1')})
    with pytest.raises(ClientError) as e:
        dynamodb.transact_write_items(TransactItems=[
            {'Put': {'TableName': name, 'Item': {'p': S('put')}}},
            {'ConditionCheck': {'TableName': name, 'Key': {'p': S('chk')}, 'ConditionExpression': 'v = :two',
                                'ExpressionAttributeValues': {':two': N('2')}}},
        ])
    assert error_code(e) == 'TransactionCanceledException'
    assert summary(read_stream(streams, arn)) == [('INSERT', 'chk')]


# Writes that change nothing leave no record (a later marker write proves the stream is current).
@pytest.mark.parametrize('case', ['identical_put', 'update_same_value', 'delete_missing',
                                  'failed_condition_put', 'failed_condition_update', 'failed_condition_delete'])
def test_no_record_for_noop_write(dynamodb, streams, table_factory, case):
    name, arn = stream_table(dynamodb, table_factory)
    item = {'p': S('a'), 'v': N('1'), 'm': {'M': {'x': S('y')}}}
    dynamodb.put_item(TableName=name, Item=item)
    failed = {'ConditionExpression': 'v = :two', 'ExpressionAttributeValues': {':two': N('2')}}
    if case == 'identical_put':
        dynamodb.put_item(TableName=name, Item=item)
    elif case == 'update_same_value':
        dynamodb.update_item(TableName=name, Key={'p': S('a')}, UpdateExpression='SET v = :v',
                             ExpressionAttributeValues={':v': N('1')})
    elif case == 'delete_missing':
        dynamodb.delete_item(TableName=name, Key={'p': S('missing')})
    else:
        with pytest.raises(ClientError) as e:
            if case == 'failed_condition_put':
                dynamodb.put_item(TableName=name, Item={'p': S('a'), 'v': N('5')}, **failed)
            elif case == 'failed_condition_update':
                dynamodb.update_item(TableName=name, Key={'p': S('a')}, UpdateExpression='SET w = :two', **failed)
            else:
                dynamodb.delete_item(TableName=name, Key={'p': S('a')}, **failed)
        assert error_code(e) == 'ConditionalCheckFailedException'
    dynamodb.put_item(TableName=name, Item={'p': S('marker')})
    assert summary(read_stream(streams, arn)) == [('INSERT', 'a'), ('INSERT', 'marker')]


# Writes to a table without a stream, or after its stream was disabled, add no records.
def test_no_records_after_disable(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    dynamodb.put_item(TableName=name, Item={'p': S('a')})
    set_stream(dynamodb, name, None)
    dynamodb.put_item(TableName=name, Item={'p': S('b')})
    assert summary(read_stream(streams, arn)) == [('INSERT', 'a')]


# Each view type keeps Keys always and only the images it names.
@pytest.mark.parametrize('view', VIEW_TYPES)
def test_images_filtered_by_view_type(dynamodb, streams, table_factory, view):
    name, arn = stream_table(dynamodb, table_factory, view=view)
    dynamodb.put_item(TableName=name, Item={'p': S('a'), 'v': N('1')})
    dynamodb.put_item(TableName=name, Item={'p': S('a'), 'v': N('2')})
    dynamodb.delete_item(TableName=name, Key={'p': S('a')})
    records = read_stream(streams, arn)
    assert summary(records) == [('INSERT', 'a'), ('MODIFY', 'a'), ('REMOVE', 'a')]
    want_new = view in ('NEW_IMAGE', 'NEW_AND_OLD_IMAGES')
    want_old = view in ('OLD_IMAGE', 'NEW_AND_OLD_IMAGES')
    expected = [(want_new, False), (want_new, want_old), (False, want_old)]  # (NewImage?, OldImage?)
    for r, (new, old) in zip(records, expected):
        d = r['dynamodb']
        assert d['Keys'] == {'p': S('a')}
        assert d['StreamViewType'] == view
        assert ('NewImage' in d, 'OldImage' in d) == (new, old), (r['eventName'], d)
    if want_new:
        assert records[1]['dynamodb']['NewImage'] == {'p': S('a'), 'v': N('2')}
    if want_old:
        assert records[1]['dynamodb']['OldImage'] == {'p': S('a'), 'v': N('1')}


# The fields of a record: ids, versions, source, region, sequence numbers, size, time, keys.
def test_record_fields(dynamodb, streams, table_factory, target):
    name, arn = stream_table(dynamodb, table_factory, range_key=True)
    before = datetime.datetime.now(datetime.timezone.utc)
    for i in range(12):
        dynamodb.put_item(TableName=name, Item={'p': S('k%d' % (i % 3)), 'c': N(str(i % 2)), 'v': N(str(i))})
    records = read_stream(streams, arn)
    assert len(records) == 12
    seqs = []
    for r in records:
        assert EVENT_ID_RE.match(r['eventID']), r['eventID']
        assert r['eventVersion'] == '1.1'
        assert r['eventSource'] == 'aws:dynamodb'
        assert r['awsRegion'] == target.region
        assert 'userIdentity' not in r
        d = r['dynamodb']
        assert SEQ_RE.match(d['SequenceNumber']), d['SequenceNumber']
        seqs.append(int(d['SequenceNumber']))
        assert isinstance(d['SizeBytes'], int) and d['SizeBytes'] > 0
        assert abs((d['ApproximateCreationDateTime'] - before).total_seconds()) < 120
        assert d['Keys'] == {'p': d['NewImage']['p'], 'c': d['NewImage']['c']}
        assert d['StreamViewType'] == 'NEW_AND_OLD_IMAGES'
    assert len({r['eventID'] for r in records}) == 12
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs


# A bigger item makes a bigger record.
def test_size_bytes_grows_with_item(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory, view='NEW_IMAGE')
    dynamodb.put_item(TableName=name, Item={'p': S('small')})
    dynamodb.put_item(TableName=name, Item={'p': S('big'), 'blob': S('x' * 5000)})
    small, big = [r['dynamodb']['SizeBytes'] for r in read_stream(streams, arn)]
    assert 0 < small < big


# Records of one item come in the order of its writes, interleaved with other items' writes.
def test_per_item_order(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory, view='NEW_IMAGE')
    keys = ['a', 'b', 'c']
    for i in range(30):
        dynamodb.put_item(TableName=name, Item={'p': S(keys[i % 3]), 'v': N(str(i))})
    records = read_stream(streams, arn)
    for k in keys:
        values = [int(r['dynamodb']['NewImage']['v']['N']) for r in records if r['dynamodb']['Keys']['p']['S'] == k]
        assert values == sorted(values) and len(values) == 10, (k, values)
    assert [int(r['dynamodb']['NewImage']['v']['N']) for r in records] == list(range(30))


# GetRecords returns at most Limit records; NextShardIterator continues exactly where it stopped.
def test_get_records_limit_and_paging(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    for i in range(7):
        dynamodb.put_item(TableName=name, Item={'p': S('k%d' % i)})
    it = iterator(streams, arn, open_shard(streams, arn))
    r = streams.get_records(ShardIterator=it, Limit=3)
    assert summary(r['Records']) == [('INSERT', 'k0'), ('INSERT', 'k1'), ('INSERT', 'k2')]
    pages = [r['Records']]
    for _ in range(10):
        r = streams.get_records(ShardIterator=r['NextShardIterator'], Limit=3)
        if not r['Records']:
            break
        assert len(r['Records']) <= 3
        pages.append(r['Records'])
    assert [len(p) for p in pages] == [3, 3, 1]
    assert summary([x for p in pages for x in p]) == [('INSERT', 'k%d' % i) for i in range(7)]


# An iterator can be read again: the same position gives the same records.
def test_iterator_reusable(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    dynamodb.put_item(TableName=name, Item={'p': S('a')})
    it = iterator(streams, arn, open_shard(streams, arn))
    first = streams.get_records(ShardIterator=it)['Records']
    second = streams.get_records(ShardIterator=it)['Records']
    assert [r['eventID'] for r in first] == [r['eventID'] for r in second] and len(first) == 1


# A disabled stream stays readable; its closed shard ends, so NextShardIterator goes away once drained.
def test_disabled_stream_readable_to_end(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    dynamodb.put_item(TableName=name, Item={'p': S('a')})
    dynamodb.put_item(TableName=name, Item={'p': S('b')})
    set_stream(dynamodb, name, None)
    [shard] = shards(streams, arn)
    assert 'EndingSequenceNumber' in shard['SequenceNumberRange']
    it = iterator(streams, arn, shard['ShardId'])
    records = []
    for _ in range(10):
        r = streams.get_records(ShardIterator=it)
        records += r['Records']
        it = r.get('NextShardIterator')
        if it is None:
            break
    assert it is None, 'NextShardIterator still present after reading a closed shard to its end'
    assert summary(records) == [('INSERT', 'a'), ('INSERT', 'b')]
    assert int(shard['SequenceNumberRange']['EndingSequenceNumber']) >= int(records[-1]['dynamodb']['SequenceNumber'])


# A deleted table's stream is still listed, DISABLED, and readable.
def test_deleted_table_stream(dynamodb, streams, table_factory):
    name, arn = stream_table(dynamodb, table_factory)
    dynamodb.put_item(TableName=name, Item={'p': S('a'), 'v': N('1')})
    dynamodb.delete_table(TableName=name)
    with pytest.raises(ClientError) as e:  # gone (at once on runnel; bounded wait on AWS)
        for _ in range(600):
            dynamodb.describe_table(TableName=name)
            time.sleep(0.5)
    assert error_code(e) == 'ResourceNotFoundException'
    listed, kwargs = [], {}
    for _ in range(MAX_CALLS):
        r = streams.list_streams(**kwargs)
        listed += [s['StreamArn'] for s in r['Streams']]
        if 'LastEvaluatedStreamArn' not in r:
            break
        kwargs['ExclusiveStartStreamArn'] = r['LastEvaluatedStreamArn']
    assert arn in listed
    d = streams.describe_stream(StreamArn=arn)['StreamDescription']
    assert d['StreamStatus'] == 'DISABLED'
    assert d['TableName'] == name
    assert all('EndingSequenceNumber' in s['SequenceNumberRange'] for s in d['Shards'])
    records = read_stream(streams, arn)
    assert summary(records) == [('INSERT', 'a')]
    assert records[0]['dynamodb']['NewImage'] == {'p': S('a'), 'v': N('1')}


# A table re-created under the same name starts a new stream; the old one keeps its records.
def test_recreated_table_new_stream(dynamodb, streams, table_factory, runnel_only):
    name, arn = stream_table(dynamodb, table_factory)
    dynamodb.put_item(TableName=name, Item={'p': S('old')})
    dynamodb.delete_table(TableName=name)
    table_factory.create(TableName=name, StreamSpecification=spec('NEW_IMAGE'))
    arn2 = dynamodb.describe_table(TableName=name)['Table']['LatestStreamArn']
    assert arn2 != arn
    dynamodb.put_item(TableName=name, Item={'p': S('new')})
    assert summary(read_stream(streams, arn)) == [('INSERT', 'old')]
    assert summary(read_stream(streams, arn2)) == [('INSERT', 'new')]


# --- GetRecords errors ----------------------------------------------------------------------

# An iterator that is not one the server made is a ValidationException.
@pytest.mark.parametrize('garbage', ['garbage', 'x' * 200])
def test_get_records_garbage_iterator(streams, garbage):
    with pytest.raises(ClientError) as e:
        streams.get_records(ShardIterator=garbage)
    assert error_code(e) == 'ValidationException'


# GetRecords Limit is 1..1000.
@pytest.mark.parametrize('limit', [0, 1001])
def test_get_records_bad_limit(dynamodb, streams, streams_noval, table_factory, limit):
    _, arn = stream_table(dynamodb, table_factory)
    it = iterator(streams, arn, open_shard(streams, arn))
    with pytest.raises(ClientError) as e:
        streams_noval.get_records(ShardIterator=it, Limit=limit)
    assert error_code(e) == 'ValidationException'


# The Limit bounds themselves are accepted.
@pytest.mark.parametrize('limit', [1, 1000])
def test_get_records_limit_bounds_ok(dynamodb, streams, table_factory, limit):
    name, arn = stream_table(dynamodb, table_factory)
    dynamodb.put_item(TableName=name, Item={'p': S('a')})
    dynamodb.put_item(TableName=name, Item={'p': S('b')})
    it = iterator(streams, arn, open_shard(streams, arn))
    assert len(streams.get_records(ShardIterator=it, Limit=limit)['Records']) == min(limit, 2)
