"""Lambda event source mappings on DynamoDB streams, as AWS documents them
(https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html,
https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html): the API and its
validation, and the poller — batches in order, FilterCriteria, retries that block the shard,
bisection, ReportBatchItemFailures, the on-failure destination, disable/enable, restart.

The functions are Python bootstraps (lambda_common) that record every event they get into a
directory the test reads.
"""

import json
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

from lambda_common import RECORD, Functions, client_for, fns, lam, lam_noval, mappings, poll  # noqa: F401
from runnel_server import RunnelServer
from sqs_common import receive_until, sqs  # noqa: F401
from util import error_code, unique_table_name

pytestmark = pytest.mark.usefixtures('runnel_only')

# Fails every batch that holds an item whose 'v' is 'bad' (and records what it got first).
FAIL_ON_BAD = '''
def handler(event, ctx):
    record(event=event)
    for r in event['Records']:
        if r['dynamodb'].get('NewImage', {}).get('v', {}).get('S') == 'bad':
            raise FunctionError('bad record', 'TestError')
    return {}
'''

# Reports the records whose 'v' is 'bad' as failed items, the first time it sees each one.
REPORT_BAD_ONCE = '''
seen = set()
def handler(event, ctx):
    record(event=event)
    failures = []
    for r in event['Records']:
        seq = r['dynamodb']['SequenceNumber']
        if r['dynamodb'].get('NewImage', {}).get('v', {}).get('S') == 'bad' and seq not in seen:
            seen.add(seq)
            failures.append({'itemIdentifier': seq})
    return {'batchItemFailures': failures}
'''


@pytest.fixture
def table(dynamodb):
    name = unique_table_name('esm')
    d = dynamodb.create_table(TableName=name, KeySchema=[{'AttributeName': 'pk', 'KeyType': 'HASH'}],
                              AttributeDefinitions=[{'AttributeName': 'pk', 'AttributeType': 'S'}],
                              BillingMode='PAY_PER_REQUEST',
                              StreamSpecification={'StreamEnabled': True, 'StreamViewType': 'NEW_AND_OLD_IMAGES'})
    yield name, d['TableDescription']['LatestStreamArn']
    try:
        dynamodb.delete_table(TableName=name)
    except ClientError:
        pass


def records_of(fn):
    """Every stream record the function got, in the order of its invocations."""
    return [r for rec in fn.records() for r in rec['event']['Records']]


def values(records):
    return [r['dynamodb'].get('NewImage', {}).get('v', {}).get('S') for r in records]


def put(dynamodb, table, pk, v):
    dynamodb.put_item(TableName=table, Item={'pk': {'S': pk}, 'v': {'S': v}})


def test_create_get_list_update_delete(lam, fns, table, mappings):
    name, stream = table
    fn = fns.create(RECORD, record=True)
    m = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST')
    mappings.append(m['UUID'])
    assert m['ResponseMetadata']['HTTPStatusCode'] == 202
    assert m['State'] == 'Creating'
    assert m['FunctionArn'] == fn.arn and m['EventSourceArn'] == stream
    if 'EventSourceMappingArn' in m:  # botocore 1.26's model predates the member
        assert m['EventSourceMappingArn'].endswith(':event-source-mapping:' + m['UUID'])
    assert m['BatchSize'] == 100 and m['MaximumBatchingWindowInSeconds'] == 0 and m['ParallelizationFactor'] == 1
    assert m['MaximumRetryAttempts'] == -1 and m['MaximumRecordAgeInSeconds'] == -1
    assert m['BisectBatchOnFunctionError'] is False and m['StartingPosition'] == 'LATEST'
    assert m['LastProcessingResult'] == 'No records processed' and m['StateTransitionReason'] == 'User action'
    got = lam.get_event_source_mapping(UUID=m['UUID'])
    assert got['State'] == 'Enabled'
    listed = lam.list_event_source_mappings(FunctionName=fn.name)['EventSourceMappings']
    assert [x['UUID'] for x in listed] == [m['UUID']]
    assert [x['UUID'] for x in lam.list_event_source_mappings(EventSourceArn=stream)['EventSourceMappings']] == [m['UUID']]
    up = lam.update_event_source_mapping(UUID=m['UUID'], BatchSize=5, Enabled=False)
    assert up['ResponseMetadata']['HTTPStatusCode'] == 202 and up['State'] == 'Disabling' and up['BatchSize'] == 5
    assert lam.get_event_source_mapping(UUID=m['UUID'])['State'] == 'Disabled'
    gone = lam.delete_event_source_mapping(UUID=m['UUID'])
    assert gone['ResponseMetadata']['HTTPStatusCode'] == 202 and gone['State'] == 'Deleting'
    with pytest.raises(ClientError) as e:
        lam.get_event_source_mapping(UUID=m['UUID'])
    assert error_code(e) == 'ResourceNotFoundException'


def test_validation_and_errors(lam, lam_noval, fns, table, mappings):
    name, stream = table
    fn = fns.create(RECORD)
    with pytest.raises(ClientError) as e:
        lam.create_event_source_mapping(EventSourceArn=stream, FunctionName='no-such-function', StartingPosition='LATEST')
    assert error_code(e) == 'ResourceNotFoundException'
    with pytest.raises(ClientError) as e:
        lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name)
    assert error_code(e) in ('InvalidParameterValueException', 'ValidationException')
    with pytest.raises(ClientError) as e:
        lam.create_event_source_mapping(EventSourceArn=stream + 'x', FunctionName=fn.name, StartingPosition='LATEST')
    assert error_code(e) == 'InvalidParameterValueException'
    with pytest.raises(ClientError) as e:
        lam_noval.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST',
                                              BatchSize=0)
    assert error_code(e) == 'ValidationException'
    assert "at 'batchSize'" in e.value.response['Error']['Message']
    with pytest.raises(ClientError) as e:
        lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST',
                                        FilterCriteria={'Filters': [{'Pattern': 'not json'}]})
    assert error_code(e) == 'InvalidParameterValueException'
    for extra, member in (({'ParallelizationFactor': 11}, 'parallelizationFactor'),
                          ({'TumblingWindowInSeconds': 901}, 'tumblingWindowInSeconds')):
        with pytest.raises(ClientError) as e:
            lam_noval.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST',
                                                  **extra)
        assert error_code(e) == 'ValidationException' and member in e.value.response['Error']['Message']
    m = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST')
    mappings.append(m['UUID'])
    with pytest.raises(ClientError) as e:
        lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST')
    assert error_code(e) == 'ResourceConflictException'
    with pytest.raises(ClientError) as e:
        lam.update_event_source_mapping(UUID='00000000-0000-0000-0000-000000000000', BatchSize=3)
    assert error_code(e) == 'ResourceNotFoundException'


def test_every_write_reaches_the_function_in_order(target, lam, dynamodb, fns, table, mappings):
    name, stream = table
    fn = fns.create(RECORD, record=True)
    mappings.append(lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name,
                                                    StartingPosition='LATEST', BatchSize=10)['UUID'])
    for i in range(25):
        put(dynamodb, name, 'k', str(i))
    got = poll(lambda: (lambda r: r if len(r) >= 25 else None)(records_of(fn)), what='25 records')
    assert values(got) == [str(i) for i in range(25)]
    first = got[0]
    assert first['eventSourceARN'] == stream and first['eventSource'] == 'aws:dynamodb'
    assert first['eventName'] == 'INSERT' and first['eventVersion'] and first['awsRegion'] == 'us-east-1'
    assert first['dynamodb']['StreamViewType'] == 'NEW_AND_OLD_IMAGES' and 'ApproximateCreationDateTime' in first['dynamodb']
    assert got[1]['eventName'] == 'MODIFY' and got[1]['dynamodb']['OldImage']['v'] == {'S': '0'}
    assert all(len(rec['event']['Records']) <= 10 for rec in fn.records())
    assert lam.get_event_source_mapping(UUID=mappings[0])['LastProcessingResult'] == 'OK'
    # /_runnel/health counts per mapping.
    with urllib.request.urlopen(target.url + '/_runnel/health', timeout=5) as r:
        health = json.load(r)
    mine = [m for m in health['lambda']['event_source_mappings'] if m['uuid'] == mappings[0]][0]
    assert mine['polled'] >= 25 and mine['invoked'] >= 3 and mine['failed'] == 0 and mine['filtered_out'] == 0
    assert mine['state'] == 'Enabled' and mine['last_processing_result'] == 'OK'
    assert mine['batches'] >= 3 and 1 <= mine['largest_batch'] <= 10 and 0 < mine['average_batch'] <= 10
    shards = poll(lambda: (lambda h: h if h and h[0]['buffered'] == 0 and h[0]['batches_in_flight'] == 0 else None)(
        [m for m in json.load(urllib.request.urlopen(target.url + '/_runnel/health', timeout=5))['lambda']
         ['event_source_mappings'] if m['uuid'] == mappings[0]][0]['shards']), what='the shard to settle')
    assert shards[0]['shard_id'].startswith('shardId-') and len(shards[0]['checkpoint']) == 21
    assert shards[0]['finished'] is False
    assert int(shards[0]['checkpoint']) > int(got[-1]['dynamodb']['SequenceNumber'])


def test_trim_horizon_reads_what_came_before(lam, dynamodb, fns, table, mappings):
    name, stream = table
    for i in range(3):
        put(dynamodb, name, 'k%d' % i, 'old')
    fn = fns.create(RECORD, record=True)
    mappings.append(lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name,
                                                    StartingPosition='TRIM_HORIZON')['UUID'])
    got = poll(lambda: (lambda r: r if len(r) >= 3 else None)(records_of(fn)))
    assert values(got) == ['old'] * 3


def test_filter_criteria_drop_records_that_match_no_filter(lam, dynamodb, fns, table, mappings):
    name, stream = table
    fn = fns.create(RECORD, record=True)
    pattern = {'eventName': ['INSERT'], 'dynamodb': {'NewImage': {'v': {'S': [{'prefix': 'keep'}]}}}}
    mappings.append(lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST',
        FilterCriteria={'Filters': [{'Pattern': json.dumps(pattern)}, {'Pattern': json.dumps({'eventName': ['REMOVE']})}]})['UUID'])
    put(dynamodb, name, 'a', 'keep-1')
    put(dynamodb, name, 'b', 'drop')
    put(dynamodb, name, 'a', 'keep-2')  # a MODIFY: no filter matches
    dynamodb.delete_item(TableName=name, Key={'pk': {'S': 'b'}})
    put(dynamodb, name, 'c', 'keep-3')
    got = poll(lambda: (lambda r: r if len(r) >= 3 else None)(records_of(fn)))
    time.sleep(0.3)
    got = records_of(fn)
    assert [(r['eventName'], r['dynamodb']['Keys']['pk']['S']) for r in got] == [('INSERT', 'a'), ('REMOVE', 'b'), ('INSERT', 'c')]


def test_retries_exhausted_go_to_the_on_failure_queue(lam, dynamodb, sqs, fns, table, mappings):
    name, stream = table
    fn = fns.create(FAIL_ON_BAD, record=True)
    q = sqs.create_queue(QueueName=unique_table_name('esm-dlq'))['QueueUrl']
    q_arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
    mappings.append(lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST', MaximumRetryAttempts=2,
        DestinationConfig={'OnFailure': {'Destination': q_arn}})['UUID'])
    put(dynamodb, name, 'x', 'bad')
    messages = receive_until(sqs, q, lambda got: len(got) >= 1, timeout=20)
    body = json.loads(messages[0]['Body'])
    info = body['DDBStreamBatchInfo']
    assert body['requestContext']['condition'] == 'RetryAttemptsExhausted'
    assert body['requestContext']['functionArn'] == fn.arn
    assert body['requestContext']['approximateInvokeCount'] == 3
    assert body['responseContext']['functionError'] and body['version'] == '1.0'
    assert info['streamArn'] == stream and info['batchSize'] == 1 and info['shardId'].startswith('shardId-')
    assert info['startSequenceNumber'] == info['endSequenceNumber']
    # The shard moved on: a good record after it arrives.
    put(dynamodb, name, 'y', 'good')
    poll(lambda: 'good' in values(records_of(fn)))
    assert values(records_of(fn)).count('bad') == 3  # the first try and two retries


def test_a_failing_batch_blocks_its_shard_until_it_succeeds(lam, dynamodb, fns, table, mappings):
    name, stream = table
    fn = fns.create(REPORT_BAD_ONCE, record=True)
    mappings.append(lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST', BatchSize=10,
        MaximumBatchingWindowInSeconds=1, FunctionResponseTypes=['ReportBatchItemFailures'])['UUID'])
    for i, v in enumerate(['a', 'b', 'bad', 'c', 'd']):
        put(dynamodb, name, 'k%d' % i, v)
    poll(lambda: 'd' in values(records_of(fn)) and len(fn.records()) >= 2)
    time.sleep(0.3)
    batches = [values(rec['event']['Records']) for rec in fn.records()]
    # The first batch reports 'bad'; the retry starts at it, so a and b come once, bad and what follows twice.
    assert batches[0] == ['a', 'b', 'bad', 'c', 'd']
    assert batches[1] == ['bad', 'c', 'd']


def test_bisect_isolates_the_bad_record(lam, dynamodb, sqs, fns, table, mappings):
    name, stream = table
    fn = fns.create(FAIL_ON_BAD, record=True)
    q = sqs.create_queue(QueueName=unique_table_name('esm-bisect'))['QueueUrl']
    q_arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
    mappings.append(lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST', BatchSize=4, MaximumBatchingWindowInSeconds=1,
        BisectBatchOnFunctionError=True, MaximumRetryAttempts=0, DestinationConfig={'OnFailure': {'Destination': q_arn}})['UUID'])
    for i, v in enumerate(['a', 'b', 'c', 'bad']):
        put(dynamodb, name, 'k%d' % i, v)
    body = json.loads(receive_until(sqs, q, lambda got: len(got) >= 1, timeout=20)[0]['Body'])
    assert body['DDBStreamBatchInfo']['batchSize'] == 1  # only the bad record was given up
    delivered = [v for rec in fn.records() if 'bad' not in values(rec['event']['Records'])
                 for v in values(rec['event']['Records'])]
    assert set(delivered) == {'a', 'b', 'c'}


def test_disable_then_enable_resumes_from_the_checkpoint(lam, dynamodb, fns, table, mappings):
    name, stream = table
    fn = fns.create(RECORD, record=True)
    uuid = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST')['UUID']
    mappings.append(uuid)
    put(dynamodb, name, 'k', '1')
    poll(lambda: values(records_of(fn)) == ['1'])
    lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    put(dynamodb, name, 'k', '2')
    time.sleep(0.5)
    assert values(records_of(fn)) == ['1']
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    poll(lambda: values(records_of(fn)) == ['1', '2'])


def test_two_mappings_on_one_stream_each_get_every_record(lam, dynamodb, fns, table, mappings):
    name, stream = table
    a, b = fns.create(RECORD, record=True), fns.create(RECORD, record=True)
    for fn in (a, b):
        mappings.append(lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name,
                                                        StartingPosition='LATEST')['UUID'])
    for i in range(5):
        put(dynamodb, name, 'k%d' % i, str(i))
    for fn in (a, b):
        poll(lambda: values(records_of(fn)) == [str(i) for i in range(5)])


def test_kill_9_under_write_load_loses_no_acknowledged_record(runnel_bin, tmp_path):
    """Writers on 4 keys, kill -9 mid-load, restart: every acknowledged write reached the function at
    least once, and each key's values arrived in order (a batch in flight at the kill may repeat)."""
    import threading
    server = RunnelServer(runnel_bin, data_dir=str(tmp_path / 'data'))
    server.start()
    try:
        ddb, lam_ = client_for('dynamodb', server.url), client_for('lambda', server.url)
        fn = Functions(lam_).create(RECORD, record=True)
        name = unique_table_name('esm-kill')
        stream = ddb.create_table(TableName=name, KeySchema=[{'AttributeName': 'pk', 'KeyType': 'HASH'}],
                                  AttributeDefinitions=[{'AttributeName': 'pk', 'AttributeType': 'S'}],
                                  BillingMode='PAY_PER_REQUEST',
                                  StreamSpecification={'StreamEnabled': True, 'StreamViewType': 'NEW_IMAGE'}
                                  )['TableDescription']['LatestStreamArn']
        uuid = lam_.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name, StartingPosition='TRIM_HORIZON',
                                                BatchSize=5)['UUID']
        acked = {k: [] for k in range(4)}
        stop = threading.Event()

        def writer(k):
            client = client_for('dynamodb', server.url)
            i = 0
            while not stop.is_set():
                try:
                    client.put_item(TableName=name, Item={'pk': {'S': 'k%d' % k}, 'v': {'S': '%06d' % i}})
                except Exception:
                    return  # the server is gone: this write was not acknowledged
                acked[k].append('%06d' % i)
                i += 1
        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        poll(lambda: len(records_of(fn)) >= 100, what='records flowing before the kill')
        server.kill()
        stop.set()
        for t in threads:
            t.join()
        server.start()
        lam_ = client_for('lambda', server.url)
        assert lam_.get_event_source_mapping(UUID=uuid)['State'] == 'Enabled'
        client_for('dynamodb', server.url).put_item(TableName=name, Item={'pk': {'S': 'end'}, 'v': {'S': 'end'}})
        poll(lambda: 'end' in values(records_of(fn)), timeout=30, what='the record written after the restart')
        seen = {}
        for r in records_of(fn):
            seen.setdefault(r['dynamodb']['Keys']['pk']['S'], []).append(r['dynamodb']['NewImage']['v']['S'])
        for k, values_acked in acked.items():
            got = seen.get('k%d' % k, [])
            missing = set(values_acked) - set(got)
            assert not missing, 'key %d: %d acknowledged writes never arrived (first %s)' % (k, len(missing), min(missing))
            first_seen = list(dict.fromkeys(got))
            assert first_seen == sorted(first_seen), 'key %d arrived out of order' % k
    finally:
        server.stop()


def test_a_deleted_function_keeps_its_mapping_and_the_records_wait(lam, dynamodb, fns, table, mappings):
    name, stream = table
    fn = fns.create(RECORD, record=True)
    uuid = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST')['UUID']
    mappings.append(uuid)
    lam.delete_function(FunctionName=fn.name)
    put(dynamodb, name, 'k', 'waiting')
    poll(lambda: lam.get_event_source_mapping(UUID=uuid)['LastProcessingResult'] == 'PROBLEM: Function not found')
    assert lam.get_event_source_mapping(UUID=uuid)['State'] == 'Enabled'
    # A function of the same name takes the waiting record.
    again = fns.create(RECORD, record=True, name=fn.name)
    poll(lambda: values(records_of(again)) == ['waiting'])


def test_latest_skips_what_came_before_and_trim_horizon_does_not(lam, dynamodb, fns, table, mappings):
    name, stream = table
    put(dynamodb, name, 'k', 'before')
    latest, horizon = fns.create(RECORD, record=True), fns.create(RECORD, record=True)
    for fn, position in ((latest, 'LATEST'), (horizon, 'TRIM_HORIZON')):
        mappings.append(lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name,
                                                        StartingPosition=position)['UUID'])
    put(dynamodb, name, 'k', 'after')
    poll(lambda: values(records_of(horizon)) == ['before', 'after'])
    poll(lambda: values(records_of(latest)) == ['after'])


def test_records_in_order_across_shard_rollovers(runnel_bin, tmp_path):
    # Shards of 4 records: 15 writes span four shards, read parent before child.
    server = RunnelServer(runnel_bin, extra_args=['--stream-shard-max-records', '4'])
    server.start()
    try:
        ddb, lam_ = client_for('dynamodb', server.url), client_for('lambda', server.url)
        fns_ = Functions(lam_)
        fn = fns_.create(RECORD, record=True)
        name = unique_table_name('esm-roll')
        stream = ddb.create_table(TableName=name, KeySchema=[{'AttributeName': 'pk', 'KeyType': 'HASH'}],
                                  AttributeDefinitions=[{'AttributeName': 'pk', 'AttributeType': 'S'}],
                                  BillingMode='PAY_PER_REQUEST',
                                  StreamSpecification={'StreamEnabled': True, 'StreamViewType': 'NEW_IMAGE'}
                                  )['TableDescription']['LatestStreamArn']
        lam_.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name, StartingPosition='TRIM_HORIZON',
                                         BatchSize=3)
        for i in range(15):
            put(ddb, name, 'k', str(i))
        poll(lambda: len(records_of(fn)) >= 15)
        assert values(records_of(fn)) == [str(i) for i in range(15)]
        shards = client_for('dynamodbstreams', server.url).describe_stream(StreamArn=stream)['StreamDescription']['Shards']
        assert len(shards) >= 4
        fns_.cleanup()
    finally:
        server.stop()


# Sleeps a little per batch and records when it ran, so batches that overlap can be seen.
SLOW_RECORD = '''
def handler(event, ctx):
    start = time.time()
    time.sleep(0.05)
    record(event=event, start=start, end=time.time())
    return {}
'''


def test_parallelization_runs_batches_of_a_shard_at_once_and_keeps_each_key_in_order(lam, dynamodb, fns, table, mappings):
    import threading
    name, stream = table
    fn = fns.create(SLOW_RECORD, record=True)
    m = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST',
                                        BatchSize=5, ParallelizationFactor=10)
    mappings.append(m['UUID'])
    assert m['ParallelizationFactor'] == 10

    def writer(k):
        client = client_for('dynamodb', lam.meta.endpoint_url)
        for i in range(15):
            for key in ('a%d' % k, 'b%d' % k):
                client.put_item(TableName=name, Item={'pk': {'S': key}, 'v': {'S': '%03d' % i}})
    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = poll(lambda: (lambda r: r if len(r) >= 120 else None)(records_of(fn)), timeout=30, what='120 records')
    seen = {}
    for r in got:
        seen.setdefault(r['dynamodb']['Keys']['pk']['S'], []).append(r['dynamodb']['NewImage']['v']['S'])
    assert len(seen) == 8
    for key, vals in seen.items():
        first = list(dict.fromkeys(vals))
        assert first == ['%03d' % i for i in range(15)], (key, vals)
    spans = [(rec['start'], rec['end']) for rec in fn.records()]
    overlap = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert overlap > 1, 'no two batches of the shard ever ran at once'


# Counts the records of its window in the state; records every event.
COUNT_IN_WINDOW = '''
def handler(event, ctx):
    record(event=event)
    state = dict(event.get('state') or {})
    state['count'] = state.get('count', 0) + len(event['Records'])
    return {'state': state, 'batchItemFailures': []}
'''


def test_tumbling_windows_carry_state_to_a_final_invoke(lam, dynamodb, fns, table, mappings):
    name, stream = table
    fn = fns.create(COUNT_IN_WINDOW, record=True)
    m = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST',
                                        BatchSize=2, TumblingWindowInSeconds=2)
    mappings.append(m['UUID'])
    assert m['TumblingWindowInSeconds'] == 2
    for i in range(5):
        put(dynamodb, name, 'k%d' % i, 'v')
    events = poll(lambda: (lambda ev: ev if sum(e['state'].get('count', 0) for e in ev if e['isFinalInvokeForWindow']) >= 5
                           else None)([r['event'] for r in fn.records()]), timeout=20, what='final invokes counting 5')
    finals = [e for e in events if e['isFinalInvokeForWindow']]
    assert sum(e['state']['count'] for e in finals) == 5
    assert all(e['Records'] == [] for e in finals)
    for e in events:
        assert e['eventSourceARN'] == stream and e['shardId'].startswith('shardId-')
        assert e['isWindowTerminatedEarly'] is False
        start = time.strptime(e['window']['start'], '%Y-%m-%dT%H:%M:%SZ')
        end = time.strptime(e['window']['end'], '%Y-%m-%dT%H:%M:%SZ')
        assert time.mktime(end) - time.mktime(start) == 2
        assert all(len(r.get('dynamodb', {})) for r in e['Records'])
    # Each window's first invoke starts from an empty state.
    firsts = {}
    for e in events:
        firsts.setdefault(e['window']['start'], e)
    assert all(e['state'] == {} for e in firsts.values())
