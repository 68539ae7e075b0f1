"""SNS Publish and PublishBatch delivered to SQS, written to AWS SNS's documented behaviour
(aws-reference.md 5.2-5.4, 5.6): the JSON envelope, raw message delivery (SNS message attributes
become SQS message attributes), MessageStructure=json, fan-out, the Publish limits and errors,
PublishBatch, and FIFO topics feeding FIFO queues (group order, deduplication by id and by
content, and which queues may subscribe).

Delivery to SQS is immediate in runnel (the message is in the queue when Publish returns); the
tests still use short long polls so that they hold on AWS too.
"""

import base64
import datetime
import json
import re
import time
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from sqs_common import moto, skip_on_moto, sqs  # noqa: F401  (moto and sqs are fixtures)
from sns_common import ps, sns, sns_noval  # noqa: F401  (fixtures)
from util import error_code, unique_table_name

UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
TIMESTAMP_RE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
ENVELOPE_KEYS = {'Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature',
                 'SigningCertURL', 'UnsubscribeURL'}
MAX_MESSAGE = 262144






def receive_all(sqs, url, expected, timeout=10.0, **kwargs):
    """Receive and delete until `expected` messages arrived (bounded in calls and time), in order."""
    got = []
    deadline = time.monotonic() + timeout
    for _ in range(200):
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                     **kwargs).get('Messages', []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m['ReceiptHandle'])
        if len(got) >= expected or time.monotonic() > deadline:
            break
    return got


def receive_one(sqs, url, **kwargs):
    msgs = receive_all(sqs, url, 1, **kwargs)
    assert len(msgs) == 1, msgs
    return msgs[0]


def assert_empty(sqs, url, wait=1):
    r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
    assert not r.get('Messages'), [m['Body'] for m in r['Messages']]


def envelope(msg):
    return json.loads(msg['Body'])


def messages_of(msgs):
    return [envelope(m)['Message'] for m in msgs]


# --- The JSON envelope ------------------------------------------------------------------------

# Publish returns a UUID MessageId; the queue receives the envelope with exactly the documented
# keys (no Subject, no MessageAttributes when none were given).
def test_envelope_keys(ps, sns, sqs):
    topic, url, _ = ps.wired()
    mid = sns.publish(TopicArn=topic, Message='hello')['MessageId']
    assert UUID_RE.match(mid), mid
    env = envelope(receive_one(sqs, url))
    assert set(env) == ENVELOPE_KEYS
    assert env['Type'] == 'Notification'
    assert env['MessageId'] == mid
    assert env['TopicArn'] == topic
    assert env['Message'] == 'hello'


# Timestamp is ISO 8601 UTC with milliseconds and a Z, close to the publish time.
def test_envelope_timestamp(ps, sns, sqs):
    topic, url, _ = ps.wired()
    before = datetime.datetime.now(datetime.timezone.utc)
    sns.publish(TopicArn=topic, Message='when')
    ts = envelope(receive_one(sqs, url))['Timestamp']
    assert TIMESTAMP_RE.match(ts), ts
    when = datetime.datetime.strptime(ts, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc)
    assert abs((when - before).total_seconds()) < 60


# The signature fields: version "1", a base64 Signature, a .pem SigningCertURL.
def test_envelope_signature_fields(ps, sns, sqs, moto):
    skip_on_moto(moto, 'moto says SignatureVersion 2')
    topic, url, _ = ps.wired()
    sns.publish(TopicArn=topic, Message='signed')
    env = envelope(receive_one(sqs, url))
    assert env['SignatureVersion'] == '1'
    assert base64.b64decode(env['Signature'], validate=True)
    cert = urllib.parse.urlparse(env['SigningCertURL'])
    assert cert.scheme in ('http', 'https') and cert.path.endswith('.pem'), env['SigningCertURL']


# UnsubscribeURL is an Unsubscribe action for this subscription.
def test_envelope_unsubscribe_url(ps, sns, sqs, moto):
    skip_on_moto(moto, 'moto puts a different subscription ARN in the URL')
    topic, url, sub = ps.wired()
    sns.publish(TopicArn=topic, Message='bye')
    u = urllib.parse.urlparse(envelope(receive_one(sqs, url))['UnsubscribeURL'])
    q = urllib.parse.parse_qs(u.query)
    assert u.scheme in ('http', 'https')
    assert q['Action'] == ['Unsubscribe']
    assert q['SubscriptionArn'] == [sub]


# A Subject appears in the envelope.
def test_envelope_subject(ps, sns, sqs):
    topic, url, _ = ps.wired()
    sns.publish(TopicArn=topic, Message='body', Subject='Greetings & salutations')
    env = envelope(receive_one(sqs, url))
    assert env['Subject'] == 'Greetings & salutations'
    assert set(env) == ENVELOPE_KEYS | {'Subject'}


# Message attributes appear in the envelope as {name: {Type, Value}}; Binary values in base64.
def test_envelope_message_attributes(ps, sns, sqs):
    topic, url, _ = ps.wired()
    sns.publish(TopicArn=topic, Message='attrs', MessageAttributes={
        'color': {'DataType': 'String', 'StringValue': 'rouge ☃'},
        'size': {'DataType': 'Number', 'StringValue': '-12.5'},
        'blob': {'DataType': 'Binary', 'BinaryValue': b'\x00\x01\xfe\xff'},
        'tags': {'DataType': 'String.Array', 'StringValue': '["a", 1, true]'}})
    env = envelope(receive_one(sqs, url))
    assert env['MessageAttributes'] == {
        'color': {'Type': 'String', 'Value': 'rouge ☃'},
        'size': {'Type': 'Number', 'Value': '-12.5'},
        'blob': {'Type': 'Binary', 'Value': base64.b64encode(b'\x00\x01\xfe\xff').decode()},
        'tags': {'Type': 'String.Array', 'Value': '["a", 1, true]'}}


# Without raw delivery the SQS message carries no message attributes of its own.
def test_envelope_delivery_has_no_sqs_attributes(ps, sns, sqs):
    topic, url, _ = ps.wired()
    sns.publish(TopicArn=topic, Message='x', MessageAttributes={'k': {'DataType': 'String', 'StringValue': 'v'}})
    m = receive_one(sqs, url, MessageAttributeNames=['All'])
    assert not m.get('MessageAttributes')


# The message comes through byte for byte, and JSON-looking text stays a string.
@pytest.mark.parametrize('message', ['héllo wörld ☃ 😀 <&>"\' \t\r\n  x  ', '{"a": [1, 2], "b": null}', ' '])
def test_envelope_message_exact(ps, sns, sqs, message):
    topic, url, _ = ps.wired()
    sns.publish(TopicArn=topic, Message=message)
    assert envelope(receive_one(sqs, url))['Message'] == message


# --- Raw message delivery ---------------------------------------------------------------------

# With RawMessageDelivery the SQS body is the message itself.
def test_raw_delivery_body(ps, sns, sqs):
    topic, url, _ = ps.wired(RawMessageDelivery='true')
    body = 'raw ☃ {"not": "wrapped"}'
    sns.publish(TopicArn=topic, Message=body, Subject='dropped')
    assert receive_one(sqs, url)['Body'] == body


# With RawMessageDelivery the SNS message attributes become SQS message attributes.
def test_raw_delivery_message_attributes(ps, sns, sqs):
    topic, url, _ = ps.wired(RawMessageDelivery='true')
    attrs = {'color': {'DataType': 'String', 'StringValue': 'blue ☃'},
             'size': {'DataType': 'Number', 'StringValue': '42'}}
    sns.publish(TopicArn=topic, Message='raw attrs', MessageAttributes=attrs)
    m = receive_one(sqs, url, MessageAttributeNames=['All'])
    assert m['Body'] == 'raw attrs'
    assert m['MessageAttributes'] == attrs


# A Binary attribute arrives as an SQS Binary attribute with the same bytes.
def test_raw_delivery_binary_attribute(ps, sns, sqs, moto):
    skip_on_moto(moto, 'moto fails with an internal error on the receive')
    topic, url, _ = ps.wired(RawMessageDelivery='true')
    attrs = {'blob': {'DataType': 'Binary', 'BinaryValue': b'\x00\xffbin'}}
    sns.publish(TopicArn=topic, Message='raw binary', MessageAttributes=attrs)
    assert receive_one(sqs, url, MessageAttributeNames=['All'])['MessageAttributes'] == attrs


# Raw delivery of a message without attributes gives an SQS message without attributes.
def test_raw_delivery_without_attributes(ps, sns, sqs):
    topic, url, _ = ps.wired(RawMessageDelivery='true')
    sns.publish(TopicArn=topic, Message='plain')
    m = receive_one(sqs, url, MessageAttributeNames=['All'])
    assert m['Body'] == 'plain'
    assert not m.get('MessageAttributes')


# Switching RawMessageDelivery on later applies to the next publish.
def test_raw_delivery_switched_on_later(ps, sns, sqs):
    topic, url, sub = ps.wired()
    sns.publish(TopicArn=topic, Message='wrapped')
    assert envelope(receive_one(sqs, url))['Message'] == 'wrapped'
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName='RawMessageDelivery', AttributeValue='true')
    sns.publish(TopicArn=topic, Message='bare')
    assert receive_one(sqs, url)['Body'] == 'bare'


# --- Fan-out, TargetArn, unsubscribe ----------------------------------------------------------

# Every subscribed queue gets the message, with the same MessageId.
def test_fan_out_to_queues(ps, sns, sqs):
    topic = ps.topic()
    queues = [ps.queue() for _ in range(3)]
    for _, arn in queues:
        ps.subscribe_queue(topic, arn)
    mid = sns.publish(TopicArn=topic, Message='everyone')['MessageId']
    for url, _ in queues:
        env = envelope(receive_one(sqs, url))
        assert (env['MessageId'], env['Message']) == (mid, 'everyone')


# A raw and an enveloped subscriber of one topic each get their own form.
def test_fan_out_mixed_raw(ps, sns, sqs):
    topic = ps.topic()
    (u1, a1), (u2, a2) = ps.queue(), ps.queue()
    ps.subscribe_queue(topic, a1, RawMessageDelivery='true')
    ps.subscribe_queue(topic, a2)
    sns.publish(TopicArn=topic, Message='both')
    assert receive_one(sqs, u1)['Body'] == 'both'
    assert envelope(receive_one(sqs, u2))['Message'] == 'both'


# Each publish is delivered once, with its own MessageId.
def test_each_publish_delivered_once(ps, sns, sqs):
    topic, url, _ = ps.wired()
    mids = {sns.publish(TopicArn=topic, Message='m%d' % i)['MessageId']: 'm%d' % i for i in range(5)}
    got = receive_all(sqs, url, 5)
    assert sorted((envelope(m)['MessageId'], envelope(m)['Message']) for m in got) == sorted(mids.items())
    assert_empty(sqs, url)


# TargetArn works like TopicArn.
def test_publish_target_arn(ps, sns, sqs):
    topic, url, _ = ps.wired()
    sns.publish(TargetArn=topic, Message='via target')
    env = envelope(receive_one(sqs, url))
    assert (env['Message'], env['TopicArn']) == ('via target', topic)


# A topic without subscriptions accepts a publish.
def test_publish_without_subscribers(ps, sns):
    assert UUID_RE.match(sns.publish(TopicArn=ps.topic(), Message='nobody')['MessageId'])


# After Unsubscribe the queue gets nothing more.
def test_no_delivery_after_unsubscribe(ps, sns, sqs):
    topic, url, sub = ps.wired()
    sns.unsubscribe(SubscriptionArn=sub)
    sns.publish(TopicArn=topic, Message='too late')
    assert_empty(sqs, url, wait=2)


# runnel delivers to SQS before Publish returns: no waiting needed.
def test_delivery_is_immediate(ps, sns, sqs, runnel_only, moto):
    topic, url, _ = ps.wired()
    sns.publish(TopicArn=topic, Message='now')
    msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get('Messages', [])
    assert messages_of(msgs) == ['now']


# --- MessageStructure=json --------------------------------------------------------------------

# Without an "sqs" key an SQS subscriber gets the "default" text.
def test_message_structure_default(ps, sns, sqs):
    topic, url, _ = ps.wired()
    sns.publish(TopicArn=topic, MessageStructure='json',
                Message=json.dumps({'default': 'for everyone', 'email': 'for email only'}))
    assert envelope(receive_one(sqs, url))['Message'] == 'for everyone'


# The "sqs" key overrides "default" for SQS subscribers.
def test_message_structure_sqs_key(ps, sns, sqs):
    topic, url, _ = ps.wired()
    sns.publish(TopicArn=topic, MessageStructure='json',
                Message=json.dumps({'default': 'generic', 'sqs': 'for queues ☃'}))
    assert envelope(receive_one(sqs, url))['Message'] == 'for queues ☃'


# Raw delivery sends the per-protocol text as the body.
def test_message_structure_raw(ps, sns, sqs):
    topic, url, _ = ps.wired(RawMessageDelivery='true')
    sns.publish(TopicArn=topic, MessageStructure='json', Message=json.dumps({'default': 'd', 'sqs': 'q'}))
    assert receive_one(sqs, url)['Body'] == 'q'


# A message that is not JSON is InvalidParameter with MessageStructure=json.
def test_message_structure_not_json(ps, sns, moto):
    skip_on_moto(moto, 'moto does not check the structure')
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=ps.topic(), MessageStructure='json', Message='plain text')
    assert error_code(e) == 'InvalidParameter'


# A JSON message without a "default" key is InvalidParameter.
def test_message_structure_without_default(ps, sns, moto):
    skip_on_moto(moto, 'moto does not check the structure')
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=ps.topic(), MessageStructure='json', Message=json.dumps({'sqs': 'only'}))
    assert error_code(e) == 'InvalidParameter'


# --- Publish errors and limits ----------------------------------------------------------------

# Publishing to a topic that does not exist is NotFound.
def test_publish_unknown_topic(ps, sns):
    missing = ps.topic().rsplit(':', 1)[0] + ':' + unique_table_name('sns_missing')
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=missing, Message='x')
    assert error_code(e) == 'NotFound'
    assert e.value.response['ResponseMetadata']['HTTPStatusCode'] == 404


# An empty message is InvalidParameter.
def test_publish_empty_message(ps, sns, moto):
    skip_on_moto(moto, 'moto accepts an empty message')
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=ps.topic(), Message='')
    assert error_code(e) == 'InvalidParameter'


# A message of exactly 256 KiB is accepted and delivered whole.
def test_publish_max_size(ps, sns, sqs):
    topic, url, _ = ps.wired(RawMessageDelivery='true')
    sns.publish(TopicArn=topic, Message='a' * MAX_MESSAGE)
    assert receive_one(sqs, url)['Body'] == 'a' * MAX_MESSAGE


# One byte more is InvalidParameter; the size counts UTF-8 bytes.
@pytest.mark.parametrize('message', ['a' * (MAX_MESSAGE + 1), 'é' * (MAX_MESSAGE // 2 + 1)], ids=['ascii', 'utf8'])
def test_publish_too_long(ps, sns, moto, message):
    if len(message) <= MAX_MESSAGE:
        skip_on_moto(moto, 'moto counts characters, not bytes')
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=ps.topic(), Message=message)
    assert error_code(e) == 'InvalidParameter'


# Subject: 1-100 characters without line breaks, else InvalidParameter.
@pytest.mark.parametrize('subject', ['', 'x' * 101, 'two\nlines'], ids=['empty', '101', 'newline'])
def test_publish_invalid_subject(ps, sns_noval, moto, subject):
    skip_on_moto(moto, 'moto answers with an internal error or accepts it')
    with pytest.raises(ClientError) as e:
        sns_noval.publish(TopicArn=ps.topic(), Message="x", Subject=subject)
    assert error_code(e) == 'InvalidParameter'


# A Subject of exactly 100 characters is fine.
def test_publish_subject_100(ps, sns, sqs):
    topic, url, _ = ps.wired()
    sns.publish(TopicArn=topic, Message='x', Subject='s' * 100)
    assert envelope(receive_one(sqs, url))['Subject'] == 's' * 100


# A Number attribute that is not a number is ParameterValueInvalid.
def test_publish_number_attribute_not_a_number(ps, sns, moto):
    skip_on_moto(moto, 'moto uses InvalidParameterValue')
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=ps.topic(), Message='x',
                    MessageAttributes={'n': {'DataType': 'Number', 'StringValue': 'twelve'}})
    assert error_code(e) == 'ParameterValueInvalid'


# An attribute type other than String, Number, Binary (with optional .suffix) is ParameterValueInvalid.
def test_publish_invalid_attribute_type(ps, sns, moto):
    skip_on_moto(moto, 'moto uses InvalidParameterValue')
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=ps.topic(), Message='x',
                    MessageAttributes={'n': {'DataType': 'Integer', 'StringValue': '1'}})
    assert error_code(e) == 'ParameterValueInvalid'


# MessageDeduplicationId is only for FIFO topics.
def test_publish_dedup_id_on_standard_topic(ps, sns):
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=ps.topic(), Message='x', MessageDeduplicationId='d1')
    assert error_code(e) == 'InvalidParameter'


# --- PublishBatch -----------------------------------------------------------------------------

# Every entry succeeds with its own MessageId, and each is delivered with its subject and attributes.
def test_publish_batch(ps, sns, sqs):
    topic, url, _ = ps.wired()
    r = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {'Id': 'e0', 'Message': 'zero'},
        {'Id': 'e1', 'Message': 'one', 'Subject': 'S1',
         'MessageAttributes': {'k': {'DataType': 'String', 'StringValue': 'v'}}},
        {'Id': 'e-2_x', 'Message': 'two'}])
    assert r.get('Failed', []) == []
    ids = {s['Id']: s['MessageId'] for s in r['Successful']}
    assert set(ids) == {'e0', 'e1', 'e-2_x'}
    assert len(set(ids.values())) == 3 and all(UUID_RE.match(m) for m in ids.values())
    got = {envelope(m)['MessageId']: envelope(m) for m in receive_all(sqs, url, 3)}
    assert {mid: got[mid]['Message'] for mid in got} == {ids['e0']: 'zero', ids['e1']: 'one', ids['e-2_x']: 'two'}
    assert got[ids['e1']]['Subject'] == 'S1'
    assert got[ids['e1']]['MessageAttributes'] == {'k': {'Type': 'String', 'Value': 'v'}}
    assert 'Subject' not in got[ids['e0']]


# Ten entries is the maximum and works.
def test_publish_batch_ten(ps, sns, sqs):
    topic, url, _ = ps.wired(RawMessageDelivery='true')
    r = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {'Id': str(i), 'Message': 'm%d' % i} for i in range(10)])
    assert len(r['Successful']) == 10
    assert sorted(m['Body'] for m in receive_all(sqs, url, 10)) == sorted('m%d' % i for i in range(10))


# More than 10 entries is TooManyEntriesInBatchRequest.
def test_publish_batch_too_many(ps, sns_noval):
    with pytest.raises(ClientError) as e:
        sns_noval.publish_batch(TopicArn=ps.topic(), PublishBatchRequestEntries=[
            {'Id': str(i), 'Message': 'x'} for i in range(11)])
    assert error_code(e) == 'TooManyEntriesInBatchRequest'


# An empty batch is EmptyBatchRequest.
def test_publish_batch_empty(ps, sns_noval, moto):
    skip_on_moto(moto, 'moto accepts an empty batch')
    with pytest.raises(ClientError) as e:
        sns_noval.publish_batch(TopicArn=ps.topic(), PublishBatchRequestEntries=[])
    assert error_code(e) == 'EmptyBatchRequest'


# Two entries with one Id is BatchEntryIdsNotDistinct.
def test_publish_batch_duplicate_ids(ps, sns):
    with pytest.raises(ClientError) as e:
        sns.publish_batch(TopicArn=ps.topic(), PublishBatchRequestEntries=[
            {'Id': 'same', 'Message': 'a'}, {'Id': 'same', 'Message': 'b'}])
    assert error_code(e) == 'BatchEntryIdsNotDistinct'


# Ids are at most 80 of [A-Za-z0-9_-]; anything else is InvalidBatchEntryId.
@pytest.mark.parametrize('bad_id', ['bad:id', 'has space', 'x' * 81], ids=['colon', 'space', '81'])
def test_publish_batch_invalid_id(ps, sns, moto, bad_id):
    skip_on_moto(moto, 'moto does not check batch entry ids')
    with pytest.raises(ClientError) as e:
        sns.publish_batch(TopicArn=ps.topic(), PublishBatchRequestEntries=[{'Id': bad_id, 'Message': 'x'}])
    assert error_code(e) == 'InvalidBatchEntryId'


# The whole batch must fit in 256 KiB: BatchRequestTooLong otherwise.
def test_publish_batch_too_long(ps, sns, moto):
    skip_on_moto(moto, 'moto does not check the batch size')
    with pytest.raises(ClientError) as e:
        sns.publish_batch(TopicArn=ps.topic(), PublishBatchRequestEntries=[
            {'Id': 'a', 'Message': 'a' * 150000}, {'Id': 'b', 'Message': 'b' * 150000}])
    assert error_code(e) == 'BatchRequestTooLong'


# PublishBatch to a topic that does not exist is NotFound.
def test_publish_batch_unknown_topic(ps, sns):
    missing = ps.topic().rsplit(':', 1)[0] + ':' + unique_table_name('sns_missing')
    with pytest.raises(ClientError) as e:
        sns.publish_batch(TopicArn=missing, PublishBatchRequestEntries=[{'Id': 'a', 'Message': 'x'}])
    assert error_code(e) == 'NotFound'


# --- FIFO topics ------------------------------------------------------------------------------

# A FIFO publish returns a MessageId and a SequenceNumber; the envelope carries both.
def test_fifo_publish_sequence_number(ps, sns, sqs, moto):
    skip_on_moto(moto, 'moto returns no SequenceNumber')
    topic, url, _ = ps.wired(fifo=True)
    r = sns.publish(TopicArn=topic, Message='first', MessageGroupId='g', MessageDeduplicationId='d1')
    assert UUID_RE.match(r['MessageId'])
    assert r['SequenceNumber'].isdigit()
    env = envelope(receive_one(sqs, url))
    assert (env['MessageId'], env['Message'], env['TopicArn']) == (r['MessageId'], 'first', topic)
    assert env['SequenceNumber'] == r['SequenceNumber']


# Messages of one group arrive in publish order, with the group id on the SQS message.
def test_fifo_order_within_group(ps, sns, sqs):
    topic, url, _ = ps.wired(fifo=True)
    for i in range(12):
        sns.publish(TopicArn=topic, Message='m%02d' % i, MessageGroupId='g1', MessageDeduplicationId='d%d' % i)
    got = receive_all(sqs, url, 12, AttributeNames=['All'])
    assert messages_of(got) == ['m%02d' % i for i in range(12)]
    assert {m['Attributes']['MessageGroupId'] for m in got} == {'g1'}


# Interleaved groups keep their own order.
def test_fifo_order_per_group(ps, sns, sqs):
    topic, url, _ = ps.wired(fifo=True)
    for i in range(6):
        for g in ('a', 'b'):
            sns.publish(TopicArn=topic, Message='%s%d' % (g, i), MessageGroupId=g, MessageDeduplicationId=g + str(i))
    got = messages_of(receive_all(sqs, url, 12))
    assert [m for m in got if m[0] == 'a'] == ['a%d' % i for i in range(6)]
    assert [m for m in got if m[0] == 'b'] == ['b%d' % i for i in range(6)]


# PublishBatch on a FIFO topic returns SequenceNumbers and keeps the entry order.
def test_fifo_publish_batch(ps, sns, sqs, moto):
    topic, url, _ = ps.wired(fifo=True)
    r = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {'Id': 'e%d' % i, 'Message': 'b%d' % i, 'MessageGroupId': 'g', 'MessageDeduplicationId': 'bd%d' % i}
        for i in range(5)])
    assert r.get('Failed', []) == [] and len(r['Successful']) == 5
    if not moto:   # moto returns no SequenceNumber
        assert all(s['SequenceNumber'].isdigit() for s in r['Successful'])
    assert messages_of(receive_all(sqs, url, 5)) == ['b%d' % i for i in range(5)]


# A repeated MessageDeduplicationId within 5 minutes is accepted but delivered once.
def test_fifo_dedup_by_id(ps, sns, sqs):
    topic, url, _ = ps.wired(fifo=True)
    sns.publish(TopicArn=topic, Message='original', MessageGroupId='g', MessageDeduplicationId='same')
    sns.publish(TopicArn=topic, Message='retry with other text', MessageGroupId='g', MessageDeduplicationId='same')
    sns.publish(TopicArn=topic, Message='next', MessageGroupId='g', MessageDeduplicationId='other')
    assert messages_of(receive_all(sqs, url, 2)) == ['original', 'next']
    assert_empty(sqs, url)


# ContentBasedDeduplication on the topic: the same body twice is delivered once.
def test_fifo_content_based_dedup(ps, sns, sqs, moto):
    skip_on_moto(moto, 'moto passes no deduplication id on to the queue')
    topic, url, _ = ps.wired(fifo=True, topic_attributes={'ContentBasedDeduplication': 'true'})
    sns.publish(TopicArn=topic, Message='same body', MessageGroupId='g')
    sns.publish(TopicArn=topic, Message='same body', MessageGroupId='g')
    sns.publish(TopicArn=topic, Message='other body', MessageGroupId='g')
    assert messages_of(receive_all(sqs, url, 2)) == ['same body', 'other body']
    assert_empty(sqs, url)


# A FIFO publish without MessageGroupId is InvalidParameter.
def test_fifo_publish_without_group(ps, sns, moto):
    skip_on_moto(moto, 'moto answers MissingParameter')
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=ps.topic(fifo=True), Message='x', MessageDeduplicationId='d')
    assert error_code(e) == 'InvalidParameter'


# Without content-based deduplication a FIFO publish needs a MessageDeduplicationId.
def test_fifo_publish_without_dedup_id(ps, sns):
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=ps.topic(fifo=True), Message='x', MessageGroupId='g')
    assert error_code(e) == 'InvalidParameter'


# A FIFO PublishBatch entry without MessageGroupId fails the request with InvalidParameter.
def test_fifo_publish_batch_without_group(ps, sns):
    with pytest.raises(ClientError) as e:
        sns.publish_batch(TopicArn=ps.topic(fifo=True), PublishBatchRequestEntries=[
            {'Id': 'a', 'Message': 'x', 'MessageDeduplicationId': 'd'}])
    assert error_code(e) == 'InvalidParameter'


# A standard queue cannot subscribe to a FIFO topic.
def test_standard_queue_cannot_subscribe_to_fifo_topic(ps, sns, moto):
    skip_on_moto(moto, 'moto allows it')
    topic = ps.topic(fifo=True)
    _, arn = ps.queue()
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=arn)
    assert error_code(e) == 'InvalidParameter'


# A FIFO queue cannot subscribe to a standard topic.
def test_fifo_queue_cannot_subscribe_to_standard_topic(ps, sns):
    topic = ps.topic()
    _, arn = ps.queue(fifo=True)
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=arn)
    assert error_code(e) == 'InvalidParameter'
