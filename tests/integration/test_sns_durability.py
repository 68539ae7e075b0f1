"""Crash safety of SNS -> SQS delivery: kill -9 under publish load loses no acknowledged message.

A private server with --durability strict holds a topic with one SQS subscription (enveloped
delivery). Four publisher threads publish numbered messages and log every acknowledged Publish;
each thread stops at its first error, so at most one publish per thread is "in doubt" (sent, no
answer) when the server dies. After about 3 s the server is SIGKILLed, restarted on the same data
dir, and the queue is drained (receive and delete until it stays empty and its counters read
zero). Then:
  * every acknowledged publish was delivered at least once (Publish answers only after the
    delivery to the queue is durable);
  * nothing was delivered that was never published, and every envelope names the topic;
  * the topic and its subscription survived the restart and still deliver.
Every loop is bounded in count and time.
"""

import json
import threading
import time

import boto3
import pytest
from botocore.config import Config

from runnel_server import RunnelServer

PUBLISHERS = 4
LOAD_SECONDS = 3.0
MAX_OPS_PER_THREAD = 20000
DRAIN_TIMEOUT_S = 90.0
MAX_DRAIN_CALLS = 5000
TOPIC = 'sns_durability'
QUEUE = 'sns_durability_q'


def client(service, url, timeout=10):
    return boto3.client(service, endpoint_url=url, region_name='us-east-1', aws_access_key_id='test',
                        aws_secret_access_key='test',
                        config=Config(retries={'max_attempts': 0}, connect_timeout=2, read_timeout=timeout))


class Publisher(threading.Thread):
    def __init__(self, idx, url, topic_arn, stop, deadline):
        super().__init__(daemon=True)
        self.name_prefix = 'p%d' % idx
        self.sns = client('sns', url)
        self.topic_arn, self.stop, self.deadline = topic_arn, stop, deadline
        self.acked = []        # messages whose Publish was acknowledged
        self.in_doubt = None   # the message whose Publish got no answer
        self.error = None

    def run(self):
        for n in range(MAX_OPS_PER_THREAD):
            if self.stop.is_set() or time.monotonic() > self.deadline:
                return
            message = '%s-%06d' % (self.name_prefix, n)
            try:
                self.sns.publish(TopicArn=self.topic_arn, Message=message)
            except Exception as e:  # the crash: connection reset/refused, timeout
                self.in_doubt, self.error = message, e
                return
            self.acked.append(message)


@pytest.fixture
def strict_server(runnel_bin):
    server = RunnelServer(runnel_bin, durability='strict')
    server.start()
    yield server
    server.cleanup()


def drain(sqs, queue_url):
    """Receive and delete until the queue stays empty for 3 s and its counters say zero.
    Returns the bodies in the order received."""
    bodies = []
    start = time.monotonic()
    empty_since = None
    for _ in range(MAX_DRAIN_CALLS):
        assert time.monotonic() - start < DRAIN_TIMEOUT_S, \
            'drain did not finish in %.0fs (%d received)' % (DRAIN_TIMEOUT_S, len(bodies))
        msgs = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                   WaitTimeSeconds=1).get('Messages', [])
        for m in msgs:
            bodies.append(m['Body'])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m['ReceiptHandle'])
        if msgs:
            empty_since = None
            continue
        empty_since = empty_since or time.monotonic()
        if time.monotonic() - empty_since > 3:
            a = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=['All'])['Attributes']
            counts = [int(a[k]) for k in ('ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible',
                                          'ApproximateNumberOfMessagesDelayed')]
            if counts == [0, 0, 0]:
                return bodies
    raise AssertionError('drain did not finish in %d calls' % MAX_DRAIN_CALLS)


# Every publish acknowledged before a kill -9 is in the subscribed queue after the restart.
@pytest.mark.slow
def test_kill9_under_publish_load_loses_no_acknowledged_message(strict_server):
    sns, sqs = client('sns', strict_server.url), client('sqs', strict_server.url)
    topic_arn = sns.create_topic(Name=TOPIC)['TopicArn']
    queue_url = sqs.create_queue(QueueName=QUEUE)['QueueUrl']
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
    sub_arn = sns.subscribe(TopicArn=topic_arn, Protocol='sqs', Endpoint=queue_arn)['SubscriptionArn']

    stop = threading.Event()
    publishers = [Publisher(i, strict_server.url, topic_arn, stop, time.monotonic() + LOAD_SECONDS + 10)
                  for i in range(PUBLISHERS)]
    for p in publishers:
        p.start()
    time.sleep(LOAD_SECONDS)
    dead = [repr(p.error) for p in publishers if not p.is_alive()]
    assert not dead, 'publishers stopped before the crash: %s' % dead
    strict_server.kill()   # SIGKILL with publishes in flight
    stop.set()
    for p in publishers:
        p.join(timeout=20)
    assert not any(p.is_alive() for p in publishers), 'publishers did not stop'
    acked = {m for p in publishers for m in p.acked}
    in_doubt = {p.in_doubt for p in publishers if p.in_doubt}
    print('\nacknowledged publishes: %d (in doubt %d)' % (len(acked), len(in_doubt)))
    assert len(acked) >= 100, 'too little load to mean anything: %d publishes' % len(acked)

    strict_server.start()   # same data dir, new port
    sns, sqs = client('sns', strict_server.url, timeout=60), client('sqs', strict_server.url, timeout=60)
    queue_url = sqs.get_queue_url(QueueName=QUEUE)['QueueUrl']
    envelopes = [json.loads(b) for b in drain(sqs, queue_url)]
    print('drained after restart: %d messages' % len(envelopes))

    assert {(e['Type'], e['TopicArn']) for e in envelopes} <= {('Notification', topic_arn)}
    delivered = {e['Message'] for e in envelopes}
    lost = acked - delivered
    assert not lost, '%d acknowledged publishes lost, e.g. %s' % (len(lost), sorted(lost)[:10])
    invented = delivered - acked - in_doubt
    assert not invented, 'messages nobody published: %s' % sorted(invented)[:10]

    # The topic and its subscription survived, and still deliver.
    assert [s['SubscriptionArn'] for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn)['Subscriptions']] \
        == [sub_arn]
    mid = sns.publish(TopicArn=topic_arn, Message='after-restart')['MessageId']
    msgs = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5).get('Messages', [])
    assert [(json.loads(m['Body'])['MessageId'], json.loads(m['Body'])['Message']) for m in msgs] == \
        [(mid, 'after-restart')]
