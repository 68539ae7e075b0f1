"""Lambda event source mappings on SQS queues, as AWS documents them
(https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html, services-sqs-parameters,
services-sqs-errorhandling, services-sqs-scaling): the API and its validation for queues, and the
poller — the event's records, deletion on success, failures back to the queue and on to its DLQ
through the queue's own redrive policy, ReportBatchItemFailures, FilterCriteria, the batching
window, FIFO order per message group, MaximumConcurrency, disable/enable, restart and kill -9.

The functions are Python bootstraps (lambda_common) that record every event they get.
"""

import hashlib
import json
import threading
import time

import pytest
from botocore.exceptions import ClientError

from lambda_common import RECORD, Functions, client_for, fns, lam, lam_noval, mappings, poll  # noqa: F401
from runnel_server import RunnelServer
from sqs_common import queues, receive_until, sqs  # noqa: F401
from util import error_code, unique_table_name

pytestmark = pytest.mark.usefixtures('runnel_only')

# Fails every batch holding a message whose body is 'bad'.
FAIL_ON_BAD = '''
def handler(event, ctx):
    record(event=event)
    if any(r['body'] == 'bad' for r in event['Records']):
        raise FunctionError('bad message', 'TestError')
    return {}
'''

# Reports each message whose body is 'bad' as a failed item.
REPORT_BAD = '''
def handler(event, ctx):
    record(event=event)
    return {'batchItemFailures': [{'itemIdentifier': r['messageId']} for r in event['Records'] if r['body'] == 'bad']}
'''

# Records when each batch started and ended, sleeping in between.
SLOW_RECORD = '''
def handler(event, ctx):
    start = time.time()
    time.sleep(float(os.environ.get('SLEEP', '0.3')))
    record(event=event, start=start, end=time.time())
    return {}
'''


def bodies_of(fn):
    """Every message body the function got, in the order of its invocations."""
    return [r['body'] for rec in fn.records() for r in rec['event']['Records']]


def queue_empty(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['All'])['Attributes']
    return int(a['ApproximateNumberOfMessages']) + int(a['ApproximateNumberOfMessagesNotVisible']) == 0


def has_scaling_config(lam):
    """botocore 1.29 (boto3 1.26) predates ScalingConfig: its serializer cannot send it."""
    return 'ScalingConfig' in lam.meta.service_model.operation_model('CreateEventSourceMapping').input_shape.members


def create(lam, mappings, **kwargs):
    m = lam.create_event_source_mapping(**kwargs)
    mappings.append(m['UUID'])
    return m


def test_create_get_list_update_delete(lam, sqs, queues, fns, mappings):
    url = queues.create()
    arn = queues.arn(url)
    fn = fns.create(RECORD)
    m = create(lam, mappings, EventSourceArn=arn, FunctionName=fn.name)
    assert m['ResponseMetadata']['HTTPStatusCode'] == 202 and m['State'] == 'Creating'
    assert m['BatchSize'] == 10 and m['MaximumBatchingWindowInSeconds'] == 0
    assert m['EventSourceArn'] == arn and m['FunctionArn'] == fn.arn
    assert m['FunctionResponseTypes'] == [] and m['StateTransitionReason'] == 'User action'
    # What belongs to streams only is not part of a queue's mapping.
    for absent in ('StartingPosition', 'ParallelizationFactor', 'MaximumRetryAttempts', 'MaximumRecordAgeInSeconds',
                   'BisectBatchOnFunctionError', 'DestinationConfig', 'LastProcessingResult', 'ScalingConfig'):
        assert absent not in m, absent
    assert lam.get_event_source_mapping(UUID=m['UUID'])['State'] == 'Enabled'
    assert [x['UUID'] for x in lam.list_event_source_mappings(EventSourceArn=arn)['EventSourceMappings']] == [m['UUID']]
    up = lam.update_event_source_mapping(UUID=m['UUID'], BatchSize=100, MaximumBatchingWindowInSeconds=2,
                                         FunctionResponseTypes=['ReportBatchItemFailures'])
    assert up['State'] == 'Updating' and up['BatchSize'] == 100 and up['MaximumBatchingWindowInSeconds'] == 2
    assert up['FunctionResponseTypes'] == ['ReportBatchItemFailures']
    if has_scaling_config(lam):
        up = lam.update_event_source_mapping(UUID=m['UUID'], ScalingConfig={'MaximumConcurrency': 3})
        assert up['ScalingConfig'] == {'MaximumConcurrency': 3}
        assert lam.get_event_source_mapping(UUID=m['UUID'])['ScalingConfig'] == {'MaximumConcurrency': 3}
        up = lam.update_event_source_mapping(UUID=m['UUID'], ScalingConfig={})
        assert 'ScalingConfig' not in up
    with pytest.raises(ClientError) as e:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=fn.name)
    assert error_code(e) == 'ResourceConflictException'
    assert 'An event source mapping with SQS arn (" %s ")' % arn in e.value.response['Error']['Message']
    assert lam.delete_event_source_mapping(UUID=m['UUID'])['State'] == 'Deleting'
    with pytest.raises(ClientError) as e:
        lam.get_event_source_mapping(UUID=m['UUID'])
    assert error_code(e) == 'ResourceNotFoundException'


def test_validation_for_queues(lam, lam_noval, sqs, queues, fns, mappings):
    url = queues.create()
    arn = queues.arn(url)
    fifo_arn = queues.arn(queues.create(fifo=True))
    fn = fns.create(RECORD)

    def refused(code, text, client=lam, **kwargs):
        with pytest.raises(ClientError) as e:
            client.create_event_source_mapping(FunctionName=fn.name, **kwargs)
        assert error_code(e) == code, e.value.response
        assert text in e.value.response['Error']['Message'], e.value.response['Error']['Message']

    refused('InvalidParameterValueException', 'StartingPosition is not valid for SQS event sources.',
            EventSourceArn=arn, StartingPosition='LATEST')
    refused('InvalidParameterValueException',
            'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10',
            EventSourceArn=arn, BatchSize=11)
    refused('InvalidParameterValueException', 'Maximum batch size must be between 1 and 10 inclusive',
            EventSourceArn=fifo_arn, BatchSize=11, MaximumBatchingWindowInSeconds=1)
    refused('InvalidParameterValueException', 'Batching window is not supported for FIFO queues',
            EventSourceArn=fifo_arn, MaximumBatchingWindowInSeconds=1)
    for member, value in (('MaximumRetryAttempts', 2), ('MaximumRecordAgeInSeconds', 60),
                          ('BisectBatchOnFunctionError', True), ('ParallelizationFactor', 2)):
        refused('InvalidParameterValueException', 'Unsupported %s parameter for given event source mapping type.' % member,
                EventSourceArn=arn, **{member: value})
    refused('InvalidParameterValueException', 'Unsupported DestinationConfig parameter',
            EventSourceArn=arn, DestinationConfig={'OnFailure': {'Destination': arn}})
    if has_scaling_config(lam):
        refused('ValidationException', "at 'scalingConfig.maximumConcurrency'", client=lam_noval,
                EventSourceArn=arn, ScalingConfig={'MaximumConcurrency': 1})
    refused('InvalidParameterValueException', 'AWS.SimpleQueueService.NonExistentQueue',
            EventSourceArn=arn + '-missing')
    refused('ValidationException', "at 'batchSize'", client=lam_noval, EventSourceArn=arn, BatchSize=10001,
            MaximumBatchingWindowInSeconds=1)
    # The largest standard batch takes a window; the same rule holds on update.
    m = create(lam, mappings, EventSourceArn=arn, FunctionName=fn.name, BatchSize=10000, MaximumBatchingWindowInSeconds=1)
    assert m['BatchSize'] == 10000
    with pytest.raises(ClientError) as e:
        lam.update_event_source_mapping(UUID=m['UUID'], MaximumBatchingWindowInSeconds=0)
    assert error_code(e) == 'InvalidParameterValueException'


def test_messages_reach_the_function_and_are_deleted(lam, sqs, queues, fns, mappings):
    url = queues.create()
    arn = queues.arn(url)
    fn = fns.create(RECORD, record=True)
    create(lam, mappings, EventSourceArn=arn, FunctionName=fn.name, BatchSize=5)
    sqs.send_message(QueueUrl=url, MessageBody='first', MessageAttributes={
        'color': {'DataType': 'String', 'StringValue': 'blue'},
        'raw': {'DataType': 'Binary', 'BinaryValue': b'\x00\x01'}})
    for i in range(19):
        sqs.send_message(QueueUrl=url, MessageBody='m%02d' % i)
    got = poll(lambda: (lambda b: b if len(b) >= 20 else None)(bodies_of(fn)), what='20 messages')
    assert sorted(got) == sorted(['first'] + ['m%02d' % i for i in range(19)])
    assert all(len(rec['event']['Records']) <= 5 for rec in fn.records())
    first = [r for rec in fn.records() for r in rec['event']['Records'] if r['body'] == 'first'][0]
    assert first['eventSource'] == 'aws:sqs' and first['eventSourceARN'] == arn and first['awsRegion'] == 'us-east-1'
    assert first['md5OfBody'] == hashlib.md5(b'first').hexdigest()
    assert first['messageId'] and first['receiptHandle'] and first['md5OfMessageAttributes']
    attrs = first['attributes']
    assert attrs['ApproximateReceiveCount'] == '1' and attrs['SenderId'] == '000000000000'
    assert int(attrs['SentTimestamp']) <= int(attrs['ApproximateFirstReceiveTimestamp'])
    assert first['messageAttributes']['color'] == {'stringValue': 'blue', 'stringListValues': [], 'binaryListValues': [],
                                                   'dataType': 'String'}
    assert first['messageAttributes']['raw']['binaryValue'] == 'AAE='
    # Success deletes: nothing is left in the queue, visible or in flight.
    poll(lambda: queue_empty(sqs, url), what='the queue to be empty')
    assert lam.get_event_source_mapping(UUID=mappings[0])['State'] == 'Enabled'


def test_a_failed_batch_returns_to_the_queue_then_its_dlq(lam, sqs, queues, fns, mappings):
    dlq = queues.create('dlq')
    url = queues.create(attributes={'VisibilityTimeout': '1', 'RedrivePolicy': queues.redrive_policy(dlq, 2)})
    fn = fns.create(FAIL_ON_BAD, record=True)
    create(lam, mappings, EventSourceArn=queues.arn(url), FunctionName=fn.name, BatchSize=1)
    sqs.send_message(QueueUrl=url, MessageBody='bad')
    moved = receive_until(sqs, dlq, lambda got: len(got) >= 1, timeout=20, wait=1)
    assert [m['Body'] for m in moved] == ['bad']
    # Each receive was an invocation: the receive count went 1, 2, then the queue moved it.
    counts = [r['attributes']['ApproximateReceiveCount'] for rec in fn.records() for r in rec['event']['Records']]
    assert counts == ['1', '2']


def test_report_batch_item_failures_deletes_only_the_successes(lam, sqs, queues, fns, mappings):
    dlq = queues.create('dlq')
    url = queues.create(attributes={'VisibilityTimeout': '1', 'RedrivePolicy': queues.redrive_policy(dlq, 2)})
    fn = fns.create(REPORT_BAD, record=True)
    # No batching window: a window as long as the visibility timeout would let a gathered message
    # reappear (and be received again) before its batch is even invoked.
    m = create(lam, mappings, EventSourceArn=queues.arn(url), FunctionName=fn.name, BatchSize=10,
               FunctionResponseTypes=['ReportBatchItemFailures'])
    assert m['FunctionResponseTypes'] == ['ReportBatchItemFailures']
    sqs.send_message_batch(QueueUrl=url, Entries=[{'Id': str(i), 'MessageBody': b} for i, b in
                                                  enumerate(['good-1', 'bad', 'good-2'])])
    moved = receive_until(sqs, dlq, lambda got: len(got) >= 1, timeout=20, wait=1)
    assert [x['Body'] for x in moved] == ['bad']
    got = bodies_of(fn)
    assert got.count('good-1') == 1 and got.count('good-2') == 1 and got.count('bad') == 2


def test_filter_criteria_delete_what_matches_no_filter(lam, sqs, queues, fns, mappings):
    url = queues.create()
    fn = fns.create(RECORD, record=True)
    create(lam, mappings, EventSourceArn=queues.arn(url), FunctionName=fn.name, FilterCriteria={'Filters': [
        {'Pattern': json.dumps({'body': {'kind': ['keep'], 'n': [{'numeric': ['>', 1]}]}})},
        {'Pattern': json.dumps({'body': [{'prefix': 'plain-keep'}]})}]})
    for body in (json.dumps({'kind': 'keep', 'n': 5}), json.dumps({'kind': 'keep', 'n': 0}),
                 json.dumps({'kind': 'drop', 'n': 5}), 'plain-keep-me', 'plain-drop'):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    poll(lambda: queue_empty(sqs, url), what='every message handled')
    time.sleep(0.2)
    got = bodies_of(fn)
    assert sorted(got) == sorted([json.dumps({'kind': 'keep', 'n': 5}), 'plain-keep-me'])


def test_the_batching_window_gathers_a_larger_batch(lam, sqs, queues, fns, mappings):
    url = queues.create()
    fn = fns.create(RECORD, record=True)
    for i in range(3):
        sqs.send_message_batch(QueueUrl=url, Entries=[{'Id': str(j), 'MessageBody': '%d-%d' % (i, j)} for j in range(10)])
    created = time.time()
    create(lam, mappings, EventSourceArn=queues.arn(url), FunctionName=fn.name, BatchSize=100,
           MaximumBatchingWindowInSeconds=2)
    first = fn.wait_records(1)[0]
    # One receive took the 30 waiting (more than ReceiveMessage's 10), and the batch waited for
    # the window to close before it was invoked, since it was not full.
    assert len(first['event']['Records']) == 30
    assert first['at'] - created >= 1.5


def test_fifo_groups_stay_in_order_and_never_run_in_parallel(lam, sqs, queues, fns, mappings):
    url = queues.create(fifo=True, attributes={'ContentBasedDeduplication': 'true'})
    fn = fns.create(SLOW_RECORD, record=True, env={'SLEEP': '0.05'})
    create(lam, mappings, EventSourceArn=queues.arn(url), FunctionName=fn.name, BatchSize=2)
    for i in range(10):
        for g in ('a', 'b', 'c'):
            sqs.send_message(QueueUrl=url, MessageBody='%s-%02d' % (g, i), MessageGroupId=g)
    poll(lambda: len(bodies_of(fn)) >= 30, what='30 messages')
    spans = {}
    for rec in fn.records():
        groups = {r['attributes']['MessageGroupId'] for r in rec['event']['Records']}
        for g in groups:
            spans.setdefault(g, []).append((rec['start'], rec['end'], [r['body'] for r in rec['event']['Records']
                                                                       if r['attributes']['MessageGroupId'] == g]))
    for g, batches in spans.items():
        batches.sort()
        order = [b for _, _, bodies in batches for b in bodies]
        assert order == ['%s-%02d' % (g, i) for i in range(10)], order
        for (s1, e1, _), (s2, _, _) in zip(batches, batches[1:]):
            assert s2 >= e1, 'group %s had two batches at once' % g


def test_maximum_concurrency_bounds_the_batches_at_once(lam, sqs, queues, fns, mappings):
    if not has_scaling_config(lam):
        pytest.skip('botocore 1.29 cannot send ScalingConfig (the 1.43 run and the JavaScript SDK test it)')
    url = queues.create()
    fn = fns.create(SLOW_RECORD, record=True, env={'SLEEP': '0.4'})
    create(lam, mappings, EventSourceArn=queues.arn(url), FunctionName=fn.name, BatchSize=1,
           ScalingConfig={'MaximumConcurrency': 2})
    sqs.send_message_batch(QueueUrl=url, Entries=[{'Id': str(i), 'MessageBody': str(i)} for i in range(8)])
    fn.wait_records(8, timeout=30)
    spans = [(rec['start'], rec['end']) for rec in fn.records()]
    most = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert most == 2, spans


def test_disable_stops_and_enable_resumes(lam, sqs, queues, fns, mappings):
    url = queues.create()
    fn = fns.create(RECORD, record=True)
    m = create(lam, mappings, EventSourceArn=queues.arn(url), FunctionName=fn.name)
    sqs.send_message(QueueUrl=url, MessageBody='before')
    fn.wait_records(1)
    assert lam.update_event_source_mapping(UUID=m['UUID'], Enabled=False)['State'] == 'Disabling'
    assert lam.get_event_source_mapping(UUID=m['UUID'])['State'] == 'Disabled'
    sqs.send_message(QueueUrl=url, MessageBody='while-disabled')
    time.sleep(1.0)
    assert bodies_of(fn) == ['before']
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['ApproximateNumberOfMessages'])['Attributes']
    assert a['ApproximateNumberOfMessages'] == '1'  # untouched: visible, never received
    lam.update_event_source_mapping(UUID=m['UUID'], Enabled=True)
    poll(lambda: bodies_of(fn) == ['before', 'while-disabled'], what='the message sent while disabled')


def test_a_deleted_function_keeps_its_mapping_and_the_messages_wait(lam, sqs, queues, fns, mappings):
    url = queues.create(attributes={'VisibilityTimeout': '1'})
    fn = fns.create(RECORD, record=True)
    m = create(lam, mappings, EventSourceArn=queues.arn(url), FunctionName=fn.name)
    lam.delete_function(FunctionName=fn.name)
    sqs.send_message(QueueUrl=url, MessageBody='waits')
    time.sleep(1.5)
    # Not delivered, not deleted: in the queue (visible again, or in flight).
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['All'])['Attributes']
    assert int(a['ApproximateNumberOfMessages']) + int(a['ApproximateNumberOfMessagesNotVisible']) == 1
    assert lam.get_event_source_mapping(UUID=m['UUID'])['State'] == 'Enabled'
    again = fns.create(RECORD, record=True, name=fn.name)
    assert poll(lambda: [r['body'] for rec in again.records() for r in rec['event']['Records']], timeout=20) == ['waits']
    poll(lambda: queue_empty(sqs, url), what='the queue to be empty')


def test_kill_9_under_send_load_loses_no_acknowledged_message(runnel_bin, tmp_path):
    """Senders running, kill -9 mid-load, restart: the mapping is still there, and every
    acknowledged send reached the function at least once."""
    server = RunnelServer(runnel_bin, data_dir=str(tmp_path / 'data'))
    server.start()
    try:
        sqs_, lam_ = client_for('sqs', server.url), client_for('lambda', server.url)
        fn = Functions(lam_).create(RECORD, record=True)
        url = sqs_.create_queue(QueueName=unique_table_name('esm-kill'), Attributes={'VisibilityTimeout': '2'})['QueueUrl']
        arn = sqs_.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
        uuid = lam_.create_event_source_mapping(EventSourceArn=arn, FunctionName=fn.name, BatchSize=5)['UUID']
        acked = {k: [] for k in range(3)}
        stop = threading.Event()

        def sender(k):
            client = client_for('sqs', server.url)
            i = 0
            while not stop.is_set():
                body = 's%d-%06d' % (k, i)
                try:
                    client.send_message(QueueUrl=url, MessageBody=body)
                except Exception:
                    return  # the server is gone: this send was not acknowledged
                acked[k].append(body)
                i += 1
        threads = [threading.Thread(target=sender, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        poll(lambda: len(bodies_of(fn)) >= 100, what='messages flowing before the kill')
        server.kill()
        stop.set()
        for t in threads:
            t.join()
        server.start()
        sqs_, lam_ = client_for('sqs', server.url), client_for('lambda', server.url)
        assert lam_.get_event_source_mapping(UUID=uuid)['State'] == 'Enabled'
        sqs_.send_message(QueueUrl=url, MessageBody='end')
        want = {b for bodies in acked.values() for b in bodies} | {'end'}
        poll(lambda: want <= set(bodies_of(fn)), timeout=30, what='every acknowledged message')
        poll(lambda: queue_empty(sqs_, url), timeout=10, what='the queue to drain')
    finally:
        server.stop()
