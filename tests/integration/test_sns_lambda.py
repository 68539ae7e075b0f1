"""SNS delivery to Lambda functions, written to AWS's documented behaviour
(https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html, https://docs.aws.amazon.com/sns/latest/dg/sns-lambda-as-subscriber.html):
a lambda subscription is confirmed at once; each publish invokes the function asynchronously with
the {"Records": [{"EventSource": "aws:sns", ..., "Sns": {...}}]} event (signed like any SNS
notification, Subject null when there is none); filter policies and MessageStructure's "lambda"
key apply; a function that does not exist sends the message to the subscription's RedrivePolicy
queue, while a function that fails is the function's own business (its retries and dead-letter
queue); and a kill -9 under publish load loses no acknowledged message.

Each function records the events it is given into a directory (lambda_common.RECORD), so the
tests poll that directory for what was delivered. On AWS the function's policy must also allow
sns.amazonaws.com (AddPermission); runnel delivers within the account without one, as it does to
queues, so the tests do not add it.
"""

import base64
import json
import pathlib
import re
import threading
import time
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from lambda_common import (ARN_PREFIX, RECORD, RECORD_AND_FAIL, client_for, fns, function_name,  # noqa: F401
                           lam, make_zip, poll, read_records, shared_out_dir, ROLE, RUNTIME, HANDLER)
from runnel_server import RunnelServer
from sns_common import ps, sns, verify_signature  # noqa: F401  (ps and sns are fixtures)
from sqs_common import receive_until, sqs  # noqa: F401  (sqs is a fixture)
from util import error_code

UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
TIMESTAMP_RE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
SNS_KEYS = {'Type', 'MessageId', 'TopicArn', 'Subject', 'Message', 'Timestamp', 'SignatureVersion', 'Signature',
            'SigningCertUrl', 'UnsubscribeUrl', 'MessageAttributes'}


def subscribe(sns, topic, fn_arn, **attributes):
    kwargs = {'Attributes': attributes} if attributes else {}
    return sns.subscribe(TopicArn=topic, Protocol='lambda', Endpoint=fn_arn, **kwargs)['SubscriptionArn']


def wired(ps, fns, code=RECORD, **sub_attributes):
    """A topic, a recording function and the subscription -> (topic ARN, Fn, subscription ARN)."""
    topic = ps.topic()
    fn = fns.create(code, record=True)
    return topic, fn, subscribe(ps.sns, topic, fn.arn, **sub_attributes)


def notes(records):
    """The Sns objects of the recorded events (one record per event, as AWS sends)."""
    out = []
    for r in records:
        assert len(r['event']['Records']) == 1, r['event']
        out.append(r['event']['Records'][0]['Sns'])
    return out


def settle(fn, n, extra=1.0):
    """Wait for n records, then a little longer, and return all of them (to see extras)."""
    fn.wait_records(n)
    time.sleep(extra)
    return fn.records()


# --- Subscribing ------------------------------------------------------------------------------

# A lambda subscription needs no confirmation: Subscribe returns its ARN, and it is listed.
def test_subscribe_is_confirmed(ps, sns, fns):
    topic, fn, sub = wired(ps, fns)
    assert sub.startswith(topic + ':') and UUID_RE.match(sub.rsplit(':', 1)[1]), sub
    a = sns.get_subscription_attributes(SubscriptionArn=sub)['Attributes']
    assert (a['Protocol'], a['Endpoint'], a['PendingConfirmation']) == ('lambda', fn.arn, 'false')
    assert a['ConfirmationWasAuthenticated'] == 'true'
    subs = sns.list_subscriptions_by_topic(TopicArn=topic)['Subscriptions']
    assert [(s['SubscriptionArn'], s['Protocol'], s['Endpoint']) for s in subs] == [(sub, 'lambda', fn.arn)]


# FIFO topics deliver to SQS queues only: a lambda subscription is InvalidParameter
# ("Invalid parameter: Invalid protocol type: lambda", hashicorp/terraform#28632).
def test_fifo_topic_refuses_lambda(ps, sns, fns):
    topic = ps.topic(fifo=True)
    fn = fns.create()
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol='lambda', Endpoint=fn.arn)
    assert error_code(e) == 'InvalidParameter'
    assert sns.list_subscriptions_by_topic(TopicArn=topic)['Subscriptions'] == []


# A function's DeadLetterConfig may name an SNS topic: a spent Event invocation is published there,
# the event as the Message, with RequestID, ErrorCode and ErrorMessage as message attributes (here
# read through a queue subscribed to the topic).
def test_function_dead_letter_topic(ps, sns, sqs, fns):
    topic, url, _ = ps.wired()
    fn = fns.create(RECORD_AND_FAIL, record=True, DeadLetterConfig={'TargetArn': topic})
    fns.lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumRetryAttempts=0)
    fn.invoke({'order': 42}, InvocationType='Event')
    got = receive_until(sqs, url, lambda m: len(m) >= 1)
    note = json.loads(got[0]['Body'])
    assert (note['Type'], note['TopicArn']) == ('Notification', topic)
    assert json.loads(note['Message']) == {'order': 42}
    rid = fn.records()[0]['request_id']
    attrs = note['MessageAttributes']
    assert attrs['RequestID'] == {'Type': 'String', 'Value': rid}
    assert attrs['ErrorCode'] == {'Type': 'Number', 'Value': '200'}
    assert attrs['ErrorMessage']['Type'] == 'String' and 'boom' in attrs['ErrorMessage']['Value']
    verify_signature(note)  # raises when it does not verify


# Raw message delivery is for SQS and HTTP/S: on a lambda subscription it is InvalidParameter (AWS:
# "Delivery protocol [lambda] does not support raw message delivery.", aws-controllers-k8s#2192).
def test_raw_message_delivery_refused(ps, sns, fns):
    topic, fn, sub = wired(ps, fns)
    with pytest.raises(ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName='RawMessageDelivery', AttributeValue='true')
    assert error_code(e) == 'InvalidParameter'
    assert 'raw message delivery' in e.value.response['Error']['Message'].lower()
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol='lambda', Endpoint=fn.arn, Attributes={'RawMessageDelivery': 'true'})
    assert error_code(e) == 'InvalidParameter'


# --- The event --------------------------------------------------------------------------------

# One publish, one invocation with one record: EventSource, EventVersion, the subscription's ARN,
# and the Sns object with exactly AWS's keys.
def test_event_shape(ps, sns, fns):
    topic, fn, sub = wired(ps, fns)
    mid = sns.publish(TopicArn=topic, Message='hello lambda ☃', Subject='Greetings')['MessageId']
    event = fn.wait_records(1)[0]['event']
    assert list(event) == ['Records'] and len(event['Records']) == 1
    rec = event['Records'][0]
    assert set(rec) == {'EventSource', 'EventVersion', 'EventSubscriptionArn', 'Sns'}
    assert (rec['EventSource'], rec['EventVersion'], rec['EventSubscriptionArn']) == ('aws:sns', '1.0', sub)
    s = rec['Sns']
    assert set(s) == SNS_KEYS, set(s) ^ SNS_KEYS
    assert (s['Type'], s['MessageId'], s['TopicArn']) == ('Notification', mid, topic)
    assert (s['Subject'], s['Message']) == ('Greetings', 'hello lambda ☃')
    assert TIMESTAMP_RE.match(s['Timestamp']), s['Timestamp']
    assert s['SignatureVersion'] == '1'
    assert base64.b64decode(s['Signature'], validate=True)
    assert urllib.parse.urlparse(s['SigningCertUrl']).path.endswith('.pem')
    assert s['MessageAttributes'] == {}


# Without a Subject the event says "Subject": null.
def test_event_subject_null(ps, sns, fns):
    topic, fn, _ = wired(ps, fns)
    sns.publish(TopicArn=topic, Message='no subject')
    s = notes(fn.wait_records(1))[0]
    assert 'Subject' in s and s['Subject'] is None


# Message attributes appear as {name: {Type, Value}}; Binary values in base64.
def test_event_message_attributes(ps, sns, fns):
    topic, fn, _ = wired(ps, fns)
    sns.publish(TopicArn=topic, Message='attrs', MessageAttributes={
        'color': {'DataType': 'String', 'StringValue': 'rouge ☃'},
        'size': {'DataType': 'Number', 'StringValue': '-12.5'},
        'blob': {'DataType': 'Binary', 'BinaryValue': b'\x00\x01\xfe\xff'},
        'tags': {'DataType': 'String.Array', 'StringValue': '["a", 1]'}})
    assert notes(fn.wait_records(1))[0]['MessageAttributes'] == {
        'color': {'Type': 'String', 'Value': 'rouge ☃'},
        'size': {'Type': 'Number', 'Value': '-12.5'},
        'blob': {'Type': 'Binary', 'Value': base64.b64encode(b'\x00\x01\xfe\xff').decode()},
        'tags': {'Type': 'String.Array', 'Value': '["a", 1]'}}


# The Signature verifies against the certificate at SigningCertUrl, as for any notification.
@pytest.mark.parametrize('subject', [None, 'signed subject'])
def test_event_signature_verifies(ps, sns, fns, subject):
    topic, fn, _ = wired(ps, fns)
    kwargs = {'Subject': subject} if subject else {}
    sns.publish(TopicArn=topic, Message='verify me ☃', **kwargs)
    s = notes(fn.wait_records(1))[0]
    doc = {k: s[k] for k in ('Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature')}
    doc['SigningCertURL'] = s['SigningCertUrl']
    if s['Subject'] is not None:
        doc['Subject'] = s['Subject']
    verify_signature(doc)


# UnsubscribeUrl is an Unsubscribe action for this subscription.
def test_event_unsubscribe_url(ps, sns, fns):
    topic, fn, sub = wired(ps, fns)
    sns.publish(TopicArn=topic, Message='bye')
    u = urllib.parse.urlparse(notes(fn.wait_records(1))[0]['UnsubscribeUrl'])
    q = urllib.parse.parse_qs(u.query)
    assert u.scheme in ('http', 'https')
    assert (q['Action'], q['SubscriptionArn']) == (['Unsubscribe'], [sub])


# MessageStructure=json: the "lambda" key is the message for functions, else "default".
def test_message_structure(ps, sns, fns):
    topic, fn, _ = wired(ps, fns)
    sns.publish(TopicArn=topic, MessageStructure='json',
                Message=json.dumps({'default': 'generic', 'sqs': 'for queues', 'lambda': 'for functions ☃'}))
    sns.publish(TopicArn=topic, MessageStructure='json', Message=json.dumps({'default': 'only default'}))
    assert sorted(n['Message'] for n in notes(fn.wait_records(2))) == ['for functions ☃', 'only default']


# --- Delivery ---------------------------------------------------------------------------------

# Each publish invokes the function once, with its own MessageId.
def test_each_publish_invokes_once(ps, sns, fns):
    topic, fn, _ = wired(ps, fns)
    sent = {sns.publish(TopicArn=topic, Message='m%d' % i)['MessageId']: 'm%d' % i for i in range(5)}
    got = notes(settle(fn, 5))
    assert sorted((n['MessageId'], n['Message']) for n in got) == sorted(sent.items())


# PublishBatch: each entry is its own invocation.
def test_publish_batch(ps, sns, fns):
    topic, fn, _ = wired(ps, fns)
    r = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {'Id': 'e%d' % i, 'Message': 'batch %d' % i} for i in range(3)])
    ids = {s['MessageId'] for s in r['Successful']}
    got = notes(settle(fn, 3))
    assert {n['MessageId'] for n in got} == ids and len(got) == 3


# One publish reaches every subscriber: two functions and a queue.
def test_fan_out_functions_and_queue(ps, sns, sqs, fns):
    topic = ps.topic()
    f1, f2 = fns.create(RECORD, record=True), fns.create(RECORD, record=True)
    subscribe(sns, topic, f1.arn)
    subscribe(sns, topic, f2.arn)
    url, qarn = ps.queue()
    ps.subscribe_queue(topic, qarn)
    mid = sns.publish(TopicArn=topic, Message='everyone')['MessageId']
    for fn in (f1, f2):
        assert [(n['MessageId'], n['Message']) for n in notes(fn.wait_records(1))] == [(mid, 'everyone')]
    msgs = receive_until(sqs, url, lambda got: len(got) >= 1, timeout=5)
    assert [json.loads(m['Body'])['MessageId'] for m in msgs] == [mid]


# A filter policy on message attributes decides which publishes invoke the function.
def test_filter_policy(ps, sns, fns):
    topic, fn, _ = wired(ps, fns, FilterPolicy=json.dumps({'color': ['red'], 'size': [{'numeric': ['>', 10]}]}))
    attrs = lambda color, size: {'color': {'DataType': 'String', 'StringValue': color},  # noqa: E731
                                 'size': {'DataType': 'Number', 'StringValue': str(size)}}
    sns.publish(TopicArn=topic, Message='blue big', MessageAttributes=attrs('blue', 50))
    sns.publish(TopicArn=topic, Message='red small', MessageAttributes=attrs('red', 5))
    sns.publish(TopicArn=topic, Message='no attributes')
    sns.publish(TopicArn=topic, Message='red big', MessageAttributes=attrs('red', 50))
    assert [n['Message'] for n in notes(settle(fn, 1, extra=1.5))] == ['red big']


# FilterPolicyScope MessageBody matches the JSON message itself.
def test_filter_policy_message_body(ps, sns, fns):
    topic, fn, _ = wired(ps, fns, FilterPolicy=json.dumps({'kind': ['order']}), FilterPolicyScope='MessageBody')
    sns.publish(TopicArn=topic, Message=json.dumps({'kind': 'refund'}))
    sns.publish(TopicArn=topic, Message=json.dumps({'kind': 'order', 'n': 1}))
    assert [json.loads(n['Message']) for n in notes(settle(fn, 1, extra=1.5))] == [{'kind': 'order', 'n': 1}]


# After Unsubscribe the function is not invoked.
def test_no_invocation_after_unsubscribe(ps, sns, fns):
    topic, fn, sub = wired(ps, fns)
    sns.unsubscribe(SubscriptionArn=sub)
    sns.publish(TopicArn=topic, Message='too late')
    time.sleep(1.5)
    assert fn.records() == []


# --- Failures ---------------------------------------------------------------------------------

# A subscribed function that does not exist: the message goes to the subscription's dead-letter
# queue, with an ErrorCode attribute.
def test_missing_function_dead_letters(ps, sns, sqs):
    topic = ps.topic()
    dlq_url, dlq_arn = ps.queue('dlq')
    subscribe(sns, topic, ARN_PREFIX + function_name('never'),
              RedrivePolicy=json.dumps({'deadLetterTargetArn': dlq_arn}))
    mid = sns.publish(TopicArn=topic, Message='to nobody')['MessageId']
    msgs = receive_until(sqs, dlq_url, lambda got: len(got) >= 1, timeout=10, MessageAttributeNames=['All'])
    assert len(msgs) == 1
    body = json.loads(msgs[0]['Body'])
    assert (body['MessageId'], body['Message']) == (mid, 'to nobody')
    assert msgs[0]['MessageAttributes']['ErrorCode']['StringValue']


# A function deleted after subscribing: the same, for publishes after the delete.
def test_deleted_function_dead_letters(ps, sns, sqs, fns):
    topic = ps.topic()
    dlq_url, dlq_arn = ps.queue('dlq')
    fn = fns.create(RECORD, record=True)
    subscribe(sns, topic, fn.arn, RedrivePolicy=json.dumps({'deadLetterTargetArn': dlq_arn}))
    sns.publish(TopicArn=topic, Message='while it exists')
    fn.wait_records(1)
    fns.lam.delete_function(FunctionName=fn.name)
    mid = sns.publish(TopicArn=topic, Message='after the delete')['MessageId']
    msgs = receive_until(sqs, dlq_url, lambda got: len(got) >= 1, timeout=10, MessageAttributeNames=['All'])
    assert [json.loads(m['Body'])['MessageId'] for m in msgs] == [mid]
    assert msgs[0]['MessageAttributes']['ErrorCode']['StringValue']
    assert [n['Message'] for n in notes(fn.records())] == ['while it exists']


# A function that fails took the event (SNS delivered it); Lambda's retries and the function's
# dead-letter queue take over, and the subscription's dead-letter queue stays empty.
def test_failing_function_uses_its_own_dead_letter_queue(ps, sns, sqs, fns):
    topic = ps.topic()
    fn_dlq_url, fn_dlq_arn = ps.queue('fndlq')
    sub_dlq_url, sub_dlq_arn = ps.queue('subdlq')
    fn = fns.create(RECORD_AND_FAIL, record=True, DeadLetterConfig={'TargetArn': fn_dlq_arn})
    fns.lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumRetryAttempts=0)
    sub = subscribe(sns, topic, fn.arn, RedrivePolicy=json.dumps({'deadLetterTargetArn': sub_dlq_arn}))
    mid = sns.publish(TopicArn=topic, Message='will fail')['MessageId']
    msgs = receive_until(sqs, fn_dlq_url, lambda got: len(got) >= 1, timeout=10, MessageAttributeNames=['All'])
    assert len(msgs) == 1
    event = json.loads(msgs[0]['Body'])
    assert event['Records'][0]['EventSubscriptionArn'] == sub
    assert (event['Records'][0]['Sns']['MessageId'], event['Records'][0]['Sns']['Message']) == (mid, 'will fail')
    assert event == fn.records()[0]['event']
    assert receive_until(sqs, sub_dlq_url, lambda got: True, timeout=1) == []


# --- Crash safety -----------------------------------------------------------------------------

PUBLISHERS = 2
LOAD_SECONDS = 2.0
MAX_PER_THREAD = 2000


class Publisher(threading.Thread):
    def __init__(self, idx, url, topic_arn, stop):
        super().__init__(daemon=True)
        self.prefix, self.sns, self.topic_arn, self.stop = 'p%d' % idx, client_for('sns', url), topic_arn, stop
        self.acked = {}        # message -> MessageId, for publishes that were acknowledged
        self.in_doubt = None   # the message whose Publish got no answer
        self.error = None

    def run(self):
        for n in range(MAX_PER_THREAD):
            if self.stop.is_set():
                return
            message = '%s-%05d' % (self.prefix, n)
            try:
                self.acked[message] = self.sns.publish(TopicArn=self.topic_arn, Message=message)['MessageId']
            except Exception as e:  # the crash: connection reset/refused, timeout
                self.in_doubt, self.error = message, e
                return


# Every publish acknowledged before a kill -9 invokes the function (at least once) after the
# restart, with the MessageId Publish returned; nothing unpublished is delivered; the function and
# the subscription survive and still deliver.
@pytest.mark.slow
def test_kill9_under_publish_load_loses_no_acknowledged_message(runnel_bin, tmp_path):
    out = pathlib.Path(shared_out_dir())  # written by the function: outside its private /tmp
    server = RunnelServer(runnel_bin, data_dir=str(tmp_path / 'data'), durability='strict')
    server.start()
    try:
        lam, sns = client_for('lambda', server.url), client_for('sns', server.url)
        fn_arn = lam.create_function(FunctionName='sns_lambda_crash', Runtime=RUNTIME, Role=ROLE, Handler=HANDLER,
                                     Code={'ZipFile': make_zip(RECORD)}, Timeout=30,
                                     Environment={'Variables': {'OUT_DIR': str(out)}})['FunctionArn']
        topic = sns.create_topic(Name='sns_lambda_crash')['TopicArn']
        sub = subscribe(sns, topic, fn_arn)

        stop = threading.Event()
        publishers = [Publisher(i, server.url, topic, stop) for i in range(PUBLISHERS)]
        for p in publishers:
            p.start()
        time.sleep(LOAD_SECONDS)
        failed = [repr(p.error) for p in publishers if p.error]
        assert not failed, 'publishers failed before the crash: %s' % failed
        server.kill()   # SIGKILL with publishes and invocations in flight
        stop.set()
        for p in publishers:
            p.join(timeout=20)
        assert not any(p.is_alive() for p in publishers), 'publishers did not stop'
        acked = {m: mid for p in publishers for m, mid in p.acked.items()}
        in_doubt = {p.in_doubt for p in publishers if p.in_doubt}
        print('\nacknowledged publishes: %d (in doubt %d)' % (len(acked), len(in_doubt)))
        assert len(acked) >= 50, 'too little load to mean anything: %d publishes' % len(acked)

        server.start()   # same data dir, new port
        sns = client_for('sns', server.url)

        def delivered():
            return {n['Message']: n['MessageId'] for n in notes(read_records(str(out)))}
        got = poll(lambda: (lambda d: d if set(acked) <= set(d) else None)(delivered()), timeout=90,
                   what='every acknowledged publish to reach the function')
        wrong = {m: (acked[m], got[m]) for m in acked if got[m] != acked[m]}
        assert not wrong, 'delivered with another MessageId: %s' % list(wrong.items())[:5]
        invented = set(got) - set(acked) - in_doubt
        assert not invented, 'messages nobody published: %s' % sorted(invented)[:10]

        # The function and the subscription survived, and still deliver.
        assert [s['SubscriptionArn'] for s in sns.list_subscriptions_by_topic(TopicArn=topic)['Subscriptions']] == [sub]
        mid = sns.publish(TopicArn=topic, Message='after-restart')['MessageId']
        poll(lambda: delivered().get('after-restart') == mid, what='the publish after the restart')
    finally:
        server.cleanup()
