"""SQS messages on standard queues, written to AWS SQS's documented behaviour (aws-reference.md
section 6): SendMessage(+Batch) with its MD5 fields and limits, ReceiveMessage (counts, visibility,
attribute selection, long polling), DeleteMessage(+Batch), ChangeMessageVisibility(+Batch),
dead-letter redrive and message move tasks.

MD5OfMessageAttributes is checked against an encoder written here from the documented algorithm,
which is itself checked against the published test vectors.
"""

import base64
import hashlib
import struct
import threading
import time

import pytest
from botocore.exceptions import ClientError

from sqs_common import receive_until, skip_on_moto
from sqs_common import moto, queue, queues, sqs, sqs_noval  # noqa: F401  (fixtures)
from util import error_code, eventually, has_member

# The published MD5OfMessageAttributes test vectors (aws-reference.md 6.5).
VECTOR_STRING = {'attribName1': {'DataType': 'String', 'StringValue': 'attribValue 1'}}
VECTOR_NUMBER = {'customNumberTypeAttrib': {'DataType': 'Number.float',
                                            'StringValue': '4563442423554324324264524243.32543234'}}
VECTOR_BINARY = {'binaryAttribute': {'DataType': 'Binary', 'BinaryValue': b'Hello binary world!'}}
VECTOR_ALL = dict(VECTOR_STRING, **VECTOR_NUMBER, **VECTOR_BINARY)
VECTORS = [(VECTOR_STRING, '19e27d4e946b072f3f58da80d94fd778'),
           (VECTOR_NUMBER, '9fe1b90bbd9965bdf77bac517c7d2495'),
           (VECTOR_BINARY, '31a92b15d92f8db860eda32aceb656c3'),
           (VECTOR_ALL, 'c932db14a896c663f83c260297d594ff')]


def md5_of_attributes(attrs):
    """SQS's MD5 over message attributes: names sorted by bytes; for each, length-prefixed name,
    length-prefixed DataType, a transport byte (1 string, 2 binary) and the length-prefixed value."""
    def field(b):
        return struct.pack('>I', len(b)) + b
    buf = b''
    for name in sorted(attrs, key=lambda n: n.encode('utf-8')):
        v = attrs[name]
        buf += field(name.encode('utf-8')) + field(v['DataType'].encode('utf-8'))
        if 'BinaryValue' in v:
            value = v['BinaryValue']
            if isinstance(value, str):
                value = base64.b64decode(value)
            buf += b'\x02' + field(value)
        else:
            buf += b'\x01' + field(v['StringValue'].encode('utf-8'))
    return hashlib.md5(buf).hexdigest()


def md5_of_body(body):
    return hashlib.md5(body.encode('utf-8')).hexdigest()


def receive_one(sqs, url, **kwargs):
    kwargs.setdefault('WaitTimeSeconds', 2)
    msgs = sqs.receive_message(QueueUrl=url, **kwargs).get('Messages', [])
    assert len(msgs) == 1, msgs
    return msgs[0]


def receive_none(sqs, url, **kwargs):
    r = sqs.receive_message(QueueUrl=url, **kwargs)
    assert 'Messages' not in r or r['Messages'] == [], r['Messages']


def receive_all(sqs, url, expected, timeout=15.0, **kwargs):
    """Receive until `expected` distinct messages were seen (bounded in calls and time); the
    latest copy of each."""
    def enough(msgs):
        return len({m['MessageId'] for m in msgs}) >= expected
    seen = {}
    for m in receive_until(sqs, url, enough, timeout=timeout, **kwargs):
        seen[m['MessageId']] = m
    return list(seen.values())


# --- The MD5 encoder itself ------------------------------------------------------------------

# The encoder used by these tests reproduces the published vectors (so it can judge the server).
@pytest.mark.parametrize('attrs,want', VECTORS)
def test_md5_encoder_matches_published_vectors(attrs, want):
    assert md5_of_attributes(attrs) == want


# --- SendMessage -----------------------------------------------------------------------------

# SendMessage returns a MessageId and the MD5 of the body's UTF-8 bytes, and no attribute MD5.
def test_send_message_md5_of_body(sqs, queue):
    body = 'hello wörld ☃ 😀 <&>"\' \t\r\n'
    r = sqs.send_message(QueueUrl=queue, MessageBody=body)
    assert r['MD5OfMessageBody'] == md5_of_body(body)
    assert r['MessageId']
    assert 'MD5OfMessageAttributes' not in r


# The body comes back byte for byte, with the same MessageId and MD5OfBody.
def test_receive_returns_body_exactly(sqs, queue):
    body = 'hello wörld ☃ 😀 <&>"\' \t\r\n  x  '
    sent = sqs.send_message(QueueUrl=queue, MessageBody=body)
    m = receive_one(sqs, queue)
    assert m['Body'] == body
    assert m['MessageId'] == sent['MessageId']
    assert m['MD5OfBody'] == md5_of_body(body)
    assert m['ReceiptHandle']


# MD5OfMessageAttributes of SendMessage matches each published vector.
@pytest.mark.parametrize('attrs,want', VECTORS)
def test_send_message_md5_of_attributes_vectors(sqs, queue, attrs, want):
    r = sqs.send_message(QueueUrl=queue, MessageBody='x', MessageAttributes=attrs)
    assert r['MD5OfMessageAttributes'] == want
    assert r['MD5OfMessageBody'] == md5_of_body('x')


# Attributes of every kind come back as sent, with the same MD5 on receive.
def test_message_attributes_round_trip(sqs, queue):
    attrs = {
        'str': {'DataType': 'String', 'StringValue': 'ünïcode ☃ <&>'},
        'num': {'DataType': 'Number', 'StringValue': '-12.5e3'},
        'bin': {'DataType': 'Binary', 'BinaryValue': bytes(range(256))},
        'custom': {'DataType': 'String.custom_type', 'StringValue': 'c'},
        'binc': {'DataType': 'Binary.gzip', 'BinaryValue': b'\x1f\x8b\x00'},
    }
    sent = sqs.send_message(QueueUrl=queue, MessageBody='attrs', MessageAttributes=attrs)
    assert sent['MD5OfMessageAttributes'] == md5_of_attributes(attrs)
    m = receive_one(sqs, queue, MessageAttributeNames=['All'])
    assert m['MessageAttributes'] == attrs
    assert m['MD5OfMessageAttributes'] == md5_of_attributes(attrs)


# AWSTraceHeader is a system attribute: MD5OfMessageSystemAttributes, and returned when asked.
def test_send_message_aws_trace_header(sqs, queue, moto):
    skip_on_moto(moto, 'moto does not return MD5OfMessageSystemAttributes')
    trace = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1'
    sys_attrs = {'AWSTraceHeader': {'DataType': 'String', 'StringValue': trace}}
    r = sqs.send_message(QueueUrl=queue, MessageBody='traced', MessageSystemAttributes=sys_attrs)
    assert r['MD5OfMessageSystemAttributes'] == md5_of_attributes(sys_attrs)
    m = receive_one(sqs, queue, AttributeNames=['AWSTraceHeader'])
    assert m['Attributes'] == {'AWSTraceHeader': trace}


# DelaySeconds hides a message until the delay has passed.
def test_send_message_delay_seconds(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody='later', DelaySeconds=2)
    t0 = time.monotonic()
    receive_none(sqs, queue)
    m = receive_one(sqs, queue, WaitTimeSeconds=5)
    assert m['Body'] == 'later'
    assert time.monotonic() - t0 >= 1.5


# The queue's DelaySeconds applies to messages sent without their own.
def test_queue_delay_seconds_applies(sqs, queues):
    url = queues.create(attributes={'DelaySeconds': '2'})
    sqs.send_message(QueueUrl=url, MessageBody='later')
    receive_none(sqs, url)
    assert receive_one(sqs, url, WaitTimeSeconds=5)['Body'] == 'later'


# DelaySeconds above 900 is InvalidParameterValue.
def test_send_message_delay_over_900(sqs_noval, queue):
    with pytest.raises(ClientError) as e:
        sqs_noval.send_message(QueueUrl=queue, MessageBody='x', DelaySeconds=901)
    assert error_code(e) == 'InvalidParameterValue'


# Characters outside #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF are InvalidMessageContents.
@pytest.mark.parametrize('body', ['nul\x00here', 'bell\x07', 'esc\x1b', 'nonchar\uffff', 'nonchar\ufffe'])
def test_send_message_invalid_characters(sqs, queue, moto, body):
    skip_on_moto(moto, 'moto does not check the body characters')
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    assert error_code(e) == 'InvalidMessageContents'


# A body of exactly MaximumMessageSize bytes is accepted; one byte more is InvalidParameterValue.
def test_send_message_size_limit(sqs, queues):
    url = queues.create(attributes={'MaximumMessageSize': '1024'})
    sqs.send_message(QueueUrl=url, MessageBody='a' * 1024)
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody='a' * 1025)
    assert error_code(e) == 'InvalidParameterValue'


# The size counts UTF-8 bytes, not characters.
def test_send_message_size_counts_utf8_bytes(sqs, queues, moto):
    skip_on_moto(moto, 'moto counts characters, not bytes')
    url = queues.create(attributes={'MaximumMessageSize': '1024'})
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody='é' * 513)   # 1026 bytes
    assert error_code(e) == 'InvalidParameterValue'


# More than 10 message attributes is InvalidParameterValue.
def test_send_message_eleven_attributes(sqs_noval, queue, moto):
    skip_on_moto(moto, 'moto does not limit the number of attributes')
    attrs = {'a%d' % i: {'DataType': 'String', 'StringValue': 'v'} for i in range(11)}
    with pytest.raises(ClientError) as e:
        sqs_noval.send_message(QueueUrl=queue, MessageBody='x', MessageAttributes=attrs)
    assert error_code(e) == 'InvalidParameterValue'


# Exactly 10 attributes are fine.
def test_send_message_ten_attributes(sqs, queue):
    attrs = {'a%d' % i: {'DataType': 'String', 'StringValue': 'v%d' % i} for i in range(10)}
    r = sqs.send_message(QueueUrl=queue, MessageBody='x', MessageAttributes=attrs)
    assert r['MD5OfMessageAttributes'] == md5_of_attributes(attrs)


# --- SendMessageBatch ------------------------------------------------------------------------

# Every entry succeeds with its own MessageId and MD5s, and each message arrives.
def test_send_message_batch(sqs, queue):
    attrs = {'k': {'DataType': 'String', 'StringValue': 'v'}}
    entries = [{'Id': 'e0', 'MessageBody': 'zero'},
               {'Id': 'e1', 'MessageBody': 'one ☃', 'MessageAttributes': attrs},
               {'Id': 'e-2_x', 'MessageBody': 'two'}]
    r = sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    assert r.get('Failed', []) == []
    by_id = {s['Id']: s for s in r['Successful']}
    assert set(by_id) == {'e0', 'e1', 'e-2_x'}
    for e in entries:
        assert by_id[e['Id']]['MD5OfMessageBody'] == md5_of_body(e['MessageBody'])
    assert by_id['e1']['MD5OfMessageAttributes'] == md5_of_attributes(attrs)
    assert 'MD5OfMessageAttributes' not in by_id['e0']
    assert len({s['MessageId'] for s in r['Successful']}) == 3
    got = receive_all(sqs, queue, 3)
    assert sorted(m['Body'] for m in got) == ['one ☃', 'two', 'zero']
    assert {m['MessageId'] for m in got} == {s['MessageId'] for s in r['Successful']}


# A bad entry fails alone (HTTP 200, listed in Failed with SenderFault); the others are sent.
def test_send_message_batch_partial_failure(sqs, queue, moto):
    skip_on_moto(moto, 'moto does not check the body characters')
    r = sqs.send_message_batch(QueueUrl=queue, Entries=[
        {'Id': 'good', 'MessageBody': 'fine'}, {'Id': 'bad', 'MessageBody': 'nul\x00'}])
    assert [s['Id'] for s in r['Successful']] == ['good']
    assert len(r['Failed']) == 1
    f = r['Failed'][0]
    assert f['Id'] == 'bad' and f['SenderFault'] is True
    assert f['Code'] == 'InvalidMessageContents'
    assert receive_one(sqs, queue)['Body'] == 'fine'


# More than 10 entries is TooManyEntriesInBatchRequest.
def test_send_message_batch_too_many_entries(sqs_noval, queue):
    entries = [{'Id': 'e%d' % i, 'MessageBody': 'x'} for i in range(11)]
    with pytest.raises(ClientError) as e:
        sqs_noval.send_message_batch(QueueUrl=queue, Entries=entries)
    assert error_code(e) == 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest'


# Two entries with one Id is BatchEntryIdsNotDistinct.
def test_send_message_batch_duplicate_ids(sqs, queue):
    with pytest.raises(ClientError) as e:
        sqs.send_message_batch(QueueUrl=queue, Entries=[{'Id': 'same', 'MessageBody': 'a'},
                                                        {'Id': 'same', 'MessageBody': 'b'}])
    assert error_code(e) == 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct'


# An empty batch is EmptyBatchRequest.
def test_send_message_batch_empty(sqs_noval, queue):
    with pytest.raises(ClientError) as e:
        sqs_noval.send_message_batch(QueueUrl=queue, Entries=[])
    assert error_code(e) == 'AWS.SimpleQueueService.EmptyBatchRequest'


# Ids are at most 80 of [A-Za-z0-9_-]; anything else is InvalidBatchEntryId.
@pytest.mark.parametrize('bad_id', ['bad:id', 'has space', 'x' * 81])
def test_send_message_batch_invalid_id(sqs, queue, bad_id):
    with pytest.raises(ClientError) as e:
        sqs.send_message_batch(QueueUrl=queue, Entries=[{'Id': bad_id, 'MessageBody': 'x'}])
    assert error_code(e) == 'AWS.SimpleQueueService.InvalidBatchEntryId'


# --- ReceiveMessage --------------------------------------------------------------------------

# Without MaxNumberOfMessages a receive returns one message.
def test_receive_default_is_one_message(sqs, queue):
    for i in range(3):
        sqs.send_message(QueueUrl=queue, MessageBody='m%d' % i)
    assert len(sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)['Messages']) == 1


# MaxNumberOfMessages=10 returns between 1 and 10, and every message is received exactly once.
def test_receive_max_ten(sqs, queue):
    r = sqs.send_message_batch(QueueUrl=queue, Entries=[{'Id': str(i), 'MessageBody': str(i)} for i in range(10)])
    sqs.send_message_batch(QueueUrl=queue, Entries=[{'Id': str(i), 'MessageBody': str(10 + i)} for i in range(2)])
    assert len(r['Successful']) == 10
    first = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)['Messages']
    assert 1 <= len(first) <= 10
    rest = receive_all(sqs, queue, 12 - len(first))
    bodies = [m['Body'] for m in first + rest]
    assert sorted(bodies, key=int) == [str(i) for i in range(12)]


# MaxNumberOfMessages outside 1..10 is InvalidParameterValue.
@pytest.mark.parametrize('n', [0, 11])
def test_receive_max_number_out_of_range(sqs_noval, queue, n):
    with pytest.raises(ClientError) as e:
        sqs_noval.receive_message(QueueUrl=queue, MaxNumberOfMessages=n)
    assert error_code(e) == 'InvalidParameterValue'


# WaitTimeSeconds above 20 is InvalidParameterValue.
def test_receive_wait_time_over_20(sqs_noval, queue):
    with pytest.raises(ClientError) as e:
        sqs_noval.receive_message(QueueUrl=queue, WaitTimeSeconds=21)
    assert error_code(e) == 'InvalidParameterValue'


# A received message stays invisible for the receive's VisibilityTimeout, then comes back
# with ApproximateReceiveCount 2 and a new receipt handle.
def test_visibility_timeout_expiry_redelivers(sqs, queue):
    sent = sqs.send_message(QueueUrl=queue, MessageBody='again')
    m1 = receive_one(sqs, queue, VisibilityTimeout=1, AttributeNames=['All'])
    assert m1['Attributes']['ApproximateReceiveCount'] == '1'
    receive_none(sqs, queue)
    time.sleep(1.2)
    m2 = receive_one(sqs, queue, WaitTimeSeconds=3, AttributeNames=['All'])
    assert m2['MessageId'] == sent['MessageId']
    assert m2['Attributes']['ApproximateReceiveCount'] == '2'
    assert m2['Attributes']['ApproximateFirstReceiveTimestamp'] == m1['Attributes']['ApproximateFirstReceiveTimestamp']
    assert m2['ReceiptHandle'] != m1['ReceiptHandle']


# The queue's VisibilityTimeout applies when the receive gives none.
def test_queue_visibility_timeout_applies(sqs, queues):
    url = queues.create(attributes={'VisibilityTimeout': '1'})
    sqs.send_message(QueueUrl=url, MessageBody='q')
    receive_one(sqs, url)
    receive_none(sqs, url)
    time.sleep(1.2)
    assert receive_one(sqs, url, WaitTimeSeconds=3)['Body'] == 'q'


# AttributeNames=All returns the standard system attributes, and no FIFO ones.
def test_receive_all_system_attributes(sqs, queue):
    before = int(time.time() * 1000)
    sqs.send_message(QueueUrl=queue, MessageBody='x')
    m = receive_one(sqs, queue, AttributeNames=['All'])
    after = int(time.time() * 1000)
    a = m['Attributes']
    assert {'SenderId', 'SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp'} <= set(a)
    assert a['ApproximateReceiveCount'] == '1'
    assert a['SenderId']
    assert before - 5000 <= int(a['SentTimestamp']) <= after + 5000
    assert int(a['SentTimestamp']) - 5000 <= int(a['ApproximateFirstReceiveTimestamp']) <= after + 5000
    assert not {'SequenceNumber', 'MessageDeduplicationId'} & set(a)


# Naming system attributes returns exactly those.
@pytest.mark.parametrize('names', [['ApproximateReceiveCount'], ['SentTimestamp'], ['SenderId'],
                                   ['ApproximateFirstReceiveTimestamp'], ['SentTimestamp', 'SenderId']])
def test_receive_selected_system_attributes(sqs, queue, names):
    sqs.send_message(QueueUrl=queue, MessageBody='x')
    m = receive_one(sqs, queue, AttributeNames=names)
    assert set(m['Attributes']) == set(names)


# Without AttributeNames no system attributes are returned.
def test_receive_without_attribute_names(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody='x')
    assert 'Attributes' not in receive_one(sqs, queue)


# The newer MessageSystemAttributeNames member selects the same way (boto3 1.43's model).
def test_receive_message_system_attribute_names(sqs, queue):
    if not has_member(sqs, 'ReceiveMessage', 'MessageSystemAttributeNames'):
        pytest.skip('this botocore has no MessageSystemAttributeNames')
    sqs.send_message(QueueUrl=queue, MessageBody='x')
    m = receive_one(sqs, queue, MessageSystemAttributeNames=['ApproximateReceiveCount', 'SentTimestamp'])
    assert set(m['Attributes']) == {'ApproximateReceiveCount', 'SentTimestamp'}


ATTRS = {'order.id': {'DataType': 'Number', 'StringValue': '42'},
         'order.kind': {'DataType': 'String', 'StringValue': 'book'},
         'other': {'DataType': 'String', 'StringValue': 'o'},
         'orderly': {'DataType': 'String', 'StringValue': 'no'}}


# MessageAttributeNames selects by All, .*, exact names and prefix.* (every name starting with
# the text before '.*': AWS's 'Hel.*' returns 'Hello' and 'Help.Me'); the MD5 covers what is returned.
@pytest.mark.parametrize('names,want', [
    (['All'], set(ATTRS)),
    (['.*'], set(ATTRS)),
    (['other'], {'other'}),
    (['order'], set()),
    (['other', 'missing'], {'other'}),
    (['order.*'], {'order.id', 'order.kind', 'orderly'}),
    (['oth.*'], {'other'}),
    (['oth.*', 'order.id'], {'order.id', 'other'}),
])
def test_receive_message_attribute_selection(sqs, queue, names, want):
    sqs.send_message(QueueUrl=queue, MessageBody='x', MessageAttributes=ATTRS)
    m = receive_one(sqs, queue, MessageAttributeNames=names)
    if not want:
        assert 'MessageAttributes' not in m and 'MD5OfMessageAttributes' not in m
        return
    assert set(m['MessageAttributes']) == want
    subset = {k: ATTRS[k] for k in want}
    assert m['MessageAttributes'] == subset
    assert m['MD5OfMessageAttributes'] == md5_of_attributes(subset)


# Without MessageAttributeNames (or with no match) no attributes and no attribute MD5 come back.
@pytest.mark.parametrize('names', [None, ['missing']])
def test_receive_no_message_attributes(sqs, queue, names):
    sqs.send_message(QueueUrl=queue, MessageBody='x', MessageAttributes=ATTRS)
    kwargs = {} if names is None else {'MessageAttributeNames': names}
    m = receive_one(sqs, queue, **kwargs)
    assert 'MessageAttributes' not in m and 'MD5OfMessageAttributes' not in m


# --- Long polling ----------------------------------------------------------------------------

# A long poll returns as soon as a message arrives, not when WaitTimeSeconds runs out.
def test_long_poll_returns_when_message_arrives(sqs, make_client, queue):
    poller = make_client('sqs')
    result = {}

    def poll():
        try:
            result['r'] = poller.receive_message(QueueUrl=queue, WaitTimeSeconds=5)
        except Exception as e:  # reported below
            result['e'] = e
        result['t'] = time.monotonic()
    th = threading.Thread(target=poll, daemon=True)
    th.start()
    time.sleep(1.0)
    assert th.is_alive() and not result, 'the long poll returned before any message was sent: %s' % result
    t_send = time.monotonic()
    sqs.send_message(QueueUrl=queue, MessageBody='wake up')
    th.join(timeout=10)
    assert not th.is_alive()
    assert 'e' not in result, result.get('e')
    assert [m['Body'] for m in result['r'].get('Messages', [])] == ['wake up']
    assert result['t'] - t_send < 0.5, 'long poll returned %.3fs after the send' % (result['t'] - t_send)


# An empty long poll waits WaitTimeSeconds and returns no Messages.
def test_long_poll_on_empty_queue_waits(sqs, queue):
    t0 = time.monotonic()
    r = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)
    elapsed = time.monotonic() - t0
    assert 'Messages' not in r or r['Messages'] == []
    assert 0.9 <= elapsed <= 2.5, elapsed


# The queue's ReceiveMessageWaitTimeSeconds is the default wait.
def test_queue_receive_wait_time_is_default(sqs, queues):
    url = queues.create(attributes={'ReceiveMessageWaitTimeSeconds': '1'})
    t0 = time.monotonic()
    receive_none(sqs, url)
    assert 0.9 <= time.monotonic() - t0 <= 2.5


# WaitTimeSeconds=0 is a short poll: an empty queue answers at once.
def test_short_poll_returns_at_once(sqs, queue):
    t0 = time.monotonic()
    receive_none(sqs, queue, WaitTimeSeconds=0)
    assert time.monotonic() - t0 < 0.5


# --- DeleteMessage ---------------------------------------------------------------------------

# A deleted message is never received again.
def test_delete_message(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody='bye')
    m = receive_one(sqs, queue, VisibilityTimeout=1)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=m['ReceiptHandle'])
    time.sleep(1.2)
    receive_none(sqs, queue, WaitTimeSeconds=1)


# Deleting an already deleted message (same receipt handle) still succeeds.
def test_delete_message_twice_succeeds(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody='bye')
    m = receive_one(sqs, queue)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=m['ReceiptHandle'])
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=m['ReceiptHandle'])


# A receipt handle that is not one is ReceiptHandleIsInvalid.
def test_delete_message_garbage_receipt_handle(sqs, queue):
    with pytest.raises(ClientError) as e:
        sqs.delete_message(QueueUrl=queue, ReceiptHandle='garbage')
    assert error_code(e) == 'ReceiptHandleIsInvalid'
    assert isinstance(e.value, sqs.exceptions.ReceiptHandleIsInvalid)


# DeleteMessageBatch deletes the good entries and lists a bad handle in Failed.
def test_delete_message_batch(sqs, queue):
    for i in range(3):
        sqs.send_message(QueueUrl=queue, MessageBody='m%d' % i)
    msgs = receive_all(sqs, queue, 3, VisibilityTimeout=2)
    assert len(msgs) == 3
    entries = [{'Id': 'd%d' % i, 'ReceiptHandle': m['ReceiptHandle']} for i, m in enumerate(msgs)]
    entries.append({'Id': 'bad', 'ReceiptHandle': 'garbage'})
    r = sqs.delete_message_batch(QueueUrl=queue, Entries=entries)
    assert sorted(s['Id'] for s in r['Successful']) == ['d0', 'd1', 'd2']
    assert [(f['Id'], f['Code'], f['SenderFault']) for f in r['Failed']] == [('bad', 'ReceiptHandleIsInvalid', True)]
    time.sleep(2.2)
    receive_none(sqs, queue, WaitTimeSeconds=1)


# DeleteMessageBatch has the same batch rules: at most 10 entries, not empty.
def test_delete_message_batch_too_many_entries(sqs_noval, queue, moto):
    skip_on_moto(moto, 'moto answers 11 entries one by one')
    entries = [{'Id': 'e%d' % i, 'ReceiptHandle': 'x%d' % i} for i in range(11)]
    with pytest.raises(ClientError) as e:
        sqs_noval.delete_message_batch(QueueUrl=queue, Entries=entries)
    assert error_code(e) == 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest'


def test_delete_message_batch_empty(sqs_noval, queue):
    with pytest.raises(ClientError) as e:
        sqs_noval.delete_message_batch(QueueUrl=queue, Entries=[])
    assert error_code(e) == 'AWS.SimpleQueueService.EmptyBatchRequest'


# --- ChangeMessageVisibility -----------------------------------------------------------------

# VisibilityTimeout 0 makes an in-flight message visible at once.
def test_change_visibility_to_zero(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody='now')
    m = receive_one(sqs, queue, VisibilityTimeout=30)
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=m['ReceiptHandle'], VisibilityTimeout=0)
    m2 = receive_one(sqs, queue, AttributeNames=['ApproximateReceiveCount'])
    assert m2['MessageId'] == m['MessageId']
    assert m2['Attributes']['ApproximateReceiveCount'] == '2'


# Extending the timeout keeps the message hidden past its original timeout.
def test_change_visibility_extends(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody='later')
    m = receive_one(sqs, queue, VisibilityTimeout=1)
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=m['ReceiptHandle'], VisibilityTimeout=30)
    time.sleep(1.5)
    receive_none(sqs, queue, WaitTimeSeconds=1)


# Changing the visibility of a deleted message fails with InvalidParameterValue.
def test_change_visibility_of_deleted_message(sqs, queue, moto):
    skip_on_moto(moto, 'moto answers ReceiptHandleIsInvalid')
    sqs.send_message(QueueUrl=queue, MessageBody='gone')
    m = receive_one(sqs, queue)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=m['ReceiptHandle'])
    with pytest.raises(ClientError) as e:
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=m['ReceiptHandle'], VisibilityTimeout=10)
    assert error_code(e) == 'InvalidParameterValue'


# A garbage receipt handle is ReceiptHandleIsInvalid here too.
def test_change_visibility_garbage_receipt_handle(sqs, queue):
    with pytest.raises(ClientError) as e:
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle='garbage', VisibilityTimeout=10)
    assert error_code(e) == 'ReceiptHandleIsInvalid'


# A visibility timeout above 12 hours is InvalidParameterValue.
def test_change_visibility_over_12_hours(sqs, queue):
    sqs.send_message(QueueUrl=queue, MessageBody='x')
    m = receive_one(sqs, queue)
    with pytest.raises(ClientError) as e:
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=m['ReceiptHandle'], VisibilityTimeout=43201)
    assert error_code(e) == 'InvalidParameterValue'


# ChangeMessageVisibilityBatch changes the good entries and lists a bad handle in Failed.
def test_change_visibility_batch(sqs, queue):
    for i in range(2):
        sqs.send_message(QueueUrl=queue, MessageBody='m%d' % i)
    msgs = receive_all(sqs, queue, 2, VisibilityTimeout=30)
    assert len(msgs) == 2
    entries = [{'Id': 'c%d' % i, 'ReceiptHandle': m['ReceiptHandle'], 'VisibilityTimeout': 0}
               for i, m in enumerate(msgs)]
    entries.append({'Id': 'bad', 'ReceiptHandle': 'garbage', 'VisibilityTimeout': 0})
    r = sqs.change_message_visibility_batch(QueueUrl=queue, Entries=entries)
    assert sorted(s['Id'] for s in r['Successful']) == ['c0', 'c1']
    assert [(f['Id'], f['Code'], f['SenderFault']) for f in r['Failed']] == [('bad', 'ReceiptHandleIsInvalid', True)]
    again = receive_all(sqs, queue, 2)
    assert {m['MessageId'] for m in again} == {m['MessageId'] for m in msgs}


# --- Dead-letter queues ----------------------------------------------------------------------

def make_redrive_pair(sqs, queues, max_receive=2):
    dlq = queues.create('dlq')
    policy = queues.redrive_policy(dlq, max_receive)
    src = queues.create('src', attributes={'RedrivePolicy': policy})
    return src, dlq


# After maxReceiveCount receives, the next receive moves the message to the DLQ, keeping its
# MessageId and body.
def test_redrive_to_dead_letter_queue(sqs, queues):
    src, dlq = make_redrive_pair(sqs, queues, max_receive=2)
    sent = sqs.send_message(QueueUrl=src, MessageBody='poison')
    for n in (1, 2):
        m = receive_one(sqs, src, VisibilityTimeout=0, AttributeNames=['ApproximateReceiveCount'])
        assert m['Attributes']['ApproximateReceiveCount'] == str(n)
    receive_none(sqs, src, VisibilityTimeout=0, WaitTimeSeconds=1)
    d = receive_one(sqs, dlq, WaitTimeSeconds=5)
    assert d['MessageId'] == sent['MessageId']
    assert d['Body'] == 'poison'
    assert d['MD5OfBody'] == md5_of_body('poison')


# A message deleted before maxReceiveCount never reaches the DLQ.
def test_deleted_message_is_not_redriven(sqs, queues):
    src, dlq = make_redrive_pair(sqs, queues, max_receive=1)
    sqs.send_message(QueueUrl=src, MessageBody='ok')
    m = receive_one(sqs, src, VisibilityTimeout=0)
    sqs.delete_message(QueueUrl=src, ReceiptHandle=m['ReceiptHandle'])
    receive_none(sqs, src, WaitTimeSeconds=1)
    receive_none(sqs, dlq, WaitTimeSeconds=1)


# StartMessageMoveTask moves DLQ messages back to their source queue; ListMessageMoveTasks
# reports the task (boto3 1.43 only: the old model has no such operations).
def test_message_move_task_redrives_back_to_source(sqs, queues, moto):
    if not hasattr(sqs, 'start_message_move_task'):
        pytest.skip('this botocore has no StartMessageMoveTask')
    skip_on_moto(moto, 'moto has no StartMessageMoveTask')
    src, dlq = make_redrive_pair(sqs, queues, max_receive=1)
    sent = sqs.send_message(QueueUrl=src, MessageBody='move me')
    receive_one(sqs, src, VisibilityTimeout=0)
    receive_none(sqs, src, VisibilityTimeout=0, WaitTimeSeconds=1)
    receive_one(sqs, dlq, VisibilityTimeout=0, WaitTimeSeconds=5)   # it is in the DLQ
    dlq_arn = queues.arn(dlq)
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)['TaskHandle']
    assert handle

    def moved():
        m = receive_one(sqs, src, WaitTimeSeconds=1)
        assert m['MessageId'] == sent['MessageId'] and m['Body'] == 'move me'
        return m
    eventually(moved, timeout=30, interval=0.5)
    receive_none(sqs, dlq, WaitTimeSeconds=1)

    def completed():
        tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn)['Results']
        assert tasks and tasks[0]['Status'] == 'COMPLETED', tasks
        assert tasks[0]['SourceArn'] == dlq_arn
        assert tasks[0]['ApproximateNumberOfMessagesMoved'] == 1
        return tasks[0]
    eventually(completed, timeout=30, interval=0.5)
