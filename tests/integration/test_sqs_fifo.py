"""SQS FIFO queues, written to AWS SQS's documented behaviour (aws-reference.md section 6.6):
MessageGroupId and deduplication rules, ordering within a group, a group blocked while it has a
message in flight, deduplication (explicit and content-based, 5-minute window, queue scope),
SequenceNumber, per-message DelaySeconds rejected, ReceiveRequestAttemptId and FIFO dead-letter
queues.
"""

import time

import pytest
from botocore.exceptions import ClientError

from sqs_common import Queues, queues_fixture, receive, receive_until, skip_on_moto
from sqs_common import moto, sqs, sqs_noval  # noqa: F401  (fixtures)
from util import error_code


class FifoQueues(Queues):
    """FIFO queues for one test, deleted afterwards."""

    def create(self, tag='f', content_based=False, attributes=None):
        attributes = dict(attributes or {})
        if content_based:
            attributes['ContentBasedDeduplication'] = 'true'
        return super().create(tag, fifo=True, attributes=attributes)


queues = queues_fixture(FifoQueues)


@pytest.fixture
def fifo(queues):
    """A FIFO queue without content-based deduplication."""
    return queues.create()


def send(sqs, url, body, group='g', dedup=None, **kwargs):
    return sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group,
                            MessageDeduplicationId=dedup if dedup is not None else body, **kwargs)


def bodies(msgs):
    return [m['Body'] for m in msgs]


def drain_in_order(sqs, url, expected, timeout=15.0):
    """Receive and delete until `expected` messages came (bounded); returns bodies in order."""
    return bodies(receive_until(sqs, url, lambda msgs: len(msgs) >= expected, timeout=timeout,
                                calls=200, delete=True))


# --- Send rules ------------------------------------------------------------------------------

# A FIFO send without MessageGroupId is MissingParameter.
def test_fifo_send_without_group_id(sqs, fifo):
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=fifo, MessageBody='x', MessageDeduplicationId='d')
    assert error_code(e) == 'MissingParameter'


# Without ContentBasedDeduplication a MessageDeduplicationId is required: InvalidParameterValue.
def test_fifo_send_without_dedup_id(sqs, fifo):
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=fifo, MessageBody='x', MessageGroupId='g')
    assert error_code(e) == 'InvalidParameterValue'


# Per-message DelaySeconds is not valid on a FIFO queue.
def test_fifo_per_message_delay_rejected(sqs, fifo):
    with pytest.raises(ClientError) as e:
        send(sqs, fifo, 'x', DelaySeconds=2)
    assert error_code(e) == 'InvalidParameterValue'


# A FIFO batch entry without MessageGroupId fails the whole request with InvalidParameterValue.
def test_fifo_batch_without_group_id(sqs, fifo, moto):
    skip_on_moto(moto, 'moto answers MissingParameter')
    with pytest.raises(ClientError) as e:
        sqs.send_message_batch(QueueUrl=fifo, Entries=[{'Id': 'a', 'MessageBody': 'x', 'MessageDeduplicationId': 'd'}])
    assert error_code(e) == 'InvalidParameterValue'


# The queue's own DelaySeconds does apply to FIFO messages.
def test_fifo_queue_delay_applies(sqs, queues):
    url = queues.create(attributes={'DelaySeconds': '2'})
    send(sqs, url, 'later')
    assert receive(sqs, url, wait=0) == []
    assert bodies(receive(sqs, url, wait=5)) == ['later']


# --- SequenceNumber --------------------------------------------------------------------------

# Each send returns a SequenceNumber (digits, growing within the group), also received as a
# system attribute with the group and deduplication ids.
def test_fifo_sequence_number(sqs, fifo, moto):
    sent = [send(sqs, fifo, 'm%d' % i) for i in range(3)]
    seqs = [s['SequenceNumber'] for s in sent]
    assert all(s.isdigit() for s in seqs) and len(set(seqs)) == 3, seqs
    if not moto:  # moto's are random
        assert [int(s) for s in seqs] == sorted(int(s) for s in seqs), seqs
    msgs = receive(sqs, fifo, AttributeNames=['All'])
    assert msgs and bodies(msgs) == ['m0', 'm1', 'm2'][:len(msgs)]
    for m, s in zip(msgs, sent):
        assert m['MessageId'] == s['MessageId']
        assert m['Attributes']['SequenceNumber'] == s['SequenceNumber']
        assert m['Attributes']['MessageGroupId'] == 'g'
        assert m['Attributes']['MessageDeduplicationId'] == m['Body']


# SendMessageBatch returns a SequenceNumber per successful entry.
def test_fifo_batch_sequence_numbers(sqs, fifo, moto):
    r = sqs.send_message_batch(QueueUrl=fifo, Entries=[
        {'Id': 'e%d' % i, 'MessageBody': 'b%d' % i, 'MessageGroupId': 'g', 'MessageDeduplicationId': 'b%d' % i}
        for i in range(3)])
    assert r.get('Failed', []) == []
    by_id = {s['Id']: s for s in r['Successful']}
    seqs = [int(by_id['e%d' % i]['SequenceNumber']) for i in range(3)]
    assert len(set(seqs)) == 3
    if not moto:  # moto's are random
        assert seqs == sorted(seqs), seqs
    assert drain_in_order(sqs, fifo, 3) == ['b0', 'b1', 'b2']


# --- Ordering and group locking --------------------------------------------------------------

# Messages of one group come out in the order they were sent.
def test_fifo_order_within_group(sqs, fifo):
    for i in range(12):
        send(sqs, fifo, 'm%02d' % i)
    assert drain_in_order(sqs, fifo, 12) == ['m%02d' % i for i in range(12)]


# Interleaved groups each keep their own order.
def test_fifo_order_per_group_with_interleaving(sqs, fifo):
    for i in range(5):
        for g in ('a', 'b', 'c'):
            send(sqs, fifo, '%s%d' % (g, i), group=g)
    got = drain_in_order(sqs, fifo, 15)
    assert sorted(got) == sorted('%s%d' % (g, i) for g in 'abc' for i in range(5))
    for g in 'abc':
        assert [b for b in got if b[0] == g] == ['%s%d' % (g, i) for i in range(5)]


# While a group has a message in flight nothing more of that group is served, but other groups
# are; deleting the in-flight message releases the group's next message.
def test_fifo_in_flight_message_blocks_its_group(sqs, fifo):
    for b in ('a1', 'a2', 'a3'):
        send(sqs, fifo, b, group='A')
    send(sqs, fifo, 'b1', group='B')
    first = receive(sqs, fifo, n=1)
    assert bodies(first) == ['a1']
    second = receive(sqs, fifo, n=1)
    assert bodies(second) == ['b1']
    assert receive(sqs, fifo, n=10, wait=1) == []   # A blocked by a1, B by b1
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=first[0]['ReceiptHandle'])
    assert bodies(receive(sqs, fifo, n=1)) == ['a2']


# When an in-flight message times out, it (not the next one) is delivered again.
def test_fifo_timed_out_message_comes_back_first(sqs, fifo):
    send(sqs, fifo, 'first')
    send(sqs, fifo, 'second')
    m = receive(sqs, fifo, n=1, VisibilityTimeout=1)
    assert bodies(m) == ['first']
    assert receive(sqs, fifo, n=1, wait=0) == []
    time.sleep(1.2)
    again = receive(sqs, fifo, n=1, wait=3, AttributeNames=['ApproximateReceiveCount'])
    assert bodies(again) == ['first']
    assert again[0]['Attributes']['ApproximateReceiveCount'] == '2'


# --- Deduplication ---------------------------------------------------------------------------

# A second send with the same MessageDeduplicationId within 5 minutes succeeds but is not
# delivered again, even with another body.
def test_fifo_dedup_by_id(sqs, fifo):
    first = send(sqs, fifo, 'one', dedup='same')
    second = send(sqs, fifo, 'two', dedup='same')
    assert first['MessageId'] and second['MessageId']
    assert drain_in_order(sqs, fifo, 2, timeout=3) == ['one']


# The deduplication id is remembered after the message was received and deleted.
def test_fifo_dedup_after_delete(sqs, fifo, moto):
    skip_on_moto(moto, 'moto forgets the id once the message is deleted')
    send(sqs, fifo, 'once', dedup='d1')
    assert drain_in_order(sqs, fifo, 1) == ['once']
    send(sqs, fifo, 'once', dedup='d1')
    assert receive(sqs, fifo, wait=1) == []


# Deduplication is queue-wide by default: the same id in another group is still a duplicate.
def test_fifo_dedup_across_groups(sqs, fifo):
    send(sqs, fifo, 'x', group='g1', dedup='shared')
    send(sqs, fifo, 'y', group='g2', dedup='shared')
    assert drain_in_order(sqs, fifo, 2, timeout=3) == ['x']


# With ContentBasedDeduplication the body's SHA-256 is the id: equal bodies are delivered once,
# different bodies both are.
def test_fifo_content_based_dedup(sqs, queues):
    url = queues.create(content_based=True)
    for body in ('same', 'same', 'other'):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId='g')
    assert drain_in_order(sqs, url, 3, timeout=3) == ['same', 'other']


# Content-based deduplication ignores message attributes: same body, other attributes, duplicate.
def test_fifo_content_based_dedup_ignores_attributes(sqs, queues):
    url = queues.create(content_based=True)
    sqs.send_message(QueueUrl=url, MessageBody='b', MessageGroupId='g',
                     MessageAttributes={'a': {'DataType': 'String', 'StringValue': '1'}})
    sqs.send_message(QueueUrl=url, MessageBody='b', MessageGroupId='g',
                     MessageAttributes={'a': {'DataType': 'String', 'StringValue': '2'}})
    assert len(drain_in_order(sqs, url, 2, timeout=3)) == 1


# An explicit MessageDeduplicationId overrides the content-based one.
def test_fifo_explicit_dedup_id_overrides_content(sqs, queues):
    url = queues.create(content_based=True)
    sqs.send_message(QueueUrl=url, MessageBody='same', MessageGroupId='g', MessageDeduplicationId='x1')
    sqs.send_message(QueueUrl=url, MessageBody='same', MessageGroupId='g', MessageDeduplicationId='x2')
    assert drain_in_order(sqs, url, 2) == ['same', 'same']


# ContentBasedDeduplication is a settable FIFO attribute.
def test_fifo_content_based_dedup_attribute(sqs, fifo):
    get = lambda: sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=['ContentBasedDeduplication'])['Attributes']
    assert get() == {'ContentBasedDeduplication': 'false'}
    sqs.set_queue_attributes(QueueUrl=fifo, Attributes={'ContentBasedDeduplication': 'true'})
    assert get() == {'ContentBasedDeduplication': 'true'}
    sqs.send_message(QueueUrl=fifo, MessageBody='now allowed', MessageGroupId='g')
    assert drain_in_order(sqs, fifo, 1) == ['now allowed']


# --- ReceiveRequestAttemptId -----------------------------------------------------------------

# Retrying a receive with the same ReceiveRequestAttemptId returns the same messages, even
# though they are now in flight.
def test_fifo_receive_request_attempt_id(sqs, fifo, moto):
    skip_on_moto(moto, 'moto ignores ReceiveRequestAttemptId')
    for b in ('r1', 'r2'):
        send(sqs, fifo, b)
    first = receive(sqs, fifo, n=10, ReceiveRequestAttemptId='attempt-1', VisibilityTimeout=30)
    assert first and bodies(first) == ['r1', 'r2'][:len(first)]
    retry = receive(sqs, fifo, n=10, ReceiveRequestAttemptId='attempt-1', VisibilityTimeout=30)
    assert [m['MessageId'] for m in retry] == [m['MessageId'] for m in first]
    assert receive(sqs, fifo, n=10, wait=0, ReceiveRequestAttemptId='attempt-2') == []


# --- Dead-letter queue -----------------------------------------------------------------------

# A FIFO queue redrives to a FIFO DLQ after maxReceiveCount, keeping MessageId, body and group.
def test_fifo_dead_letter_queue(sqs, queues):
    dlq = queues.create('fdlq')
    policy = queues.redrive_policy(dlq, 1)
    src = queues.create('fsrc', attributes={'RedrivePolicy': policy})
    sent = send(sqs, src, 'poison')
    send(sqs, src, 'next')
    m = receive(sqs, src, n=1, VisibilityTimeout=0)
    assert bodies(m) == ['poison']
    # The second receive moves 'poison' to the DLQ; the group's next message follows.
    got = receive(sqs, src, n=1, wait=2)
    assert bodies(got) == ['next']
    d = receive(sqs, dlq, n=10, wait=5, AttributeNames=['All'])
    assert bodies(d) == ['poison']
    assert d[0]['MessageId'] == sent['MessageId']
    assert d[0]['Attributes']['MessageGroupId'] == 'g'
