"""What the SQS suites (test_sqs_queues.py, test_sqs_messages.py, test_sqs_fifo.py) share: queue
names, moto detection, the per-test queue registry, the client and queue fixtures, and the plain
receive helpers.

A test module uses the fixtures by importing them by name (`from sqs_common import sqs, queues`):
pytest picks up fixtures that stand in a test module's namespace.
"""

import json
import time
import urllib.error
import urllib.request

import pytest

from util import unique_table_name

NON_EXISTENT = 'AWS.SimpleQueueService.NonExistentQueue'


def queue_name(tag='q', fifo=False):
    return unique_table_name('sqs_' + tag) + ('.fifo' if fifo else '')


def is_moto(target):
    if target.is_aws or not target.url:
        return False
    try:
        with urllib.request.urlopen(target.url + '/moto-api/', timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def skip_on_moto(moto, why):
    if moto:
        pytest.skip('moto deviates from AWS here: ' + why)


class Queues:
    """Queues for one test, deleted afterwards."""

    def __init__(self, client):
        self.client = client
        self.urls = []

    def create(self, tag='q', fifo=False, attributes=None, name=None, **kwargs):
        name = name or queue_name(tag, fifo)
        attributes = dict(attributes or {})
        if fifo:
            attributes.setdefault('FifoQueue', 'true')
        if attributes:
            kwargs['Attributes'] = attributes
        url = self.client.create_queue(QueueName=name, **kwargs)['QueueUrl']
        self.urls.append(url)
        return url

    def arn(self, url):
        return self.client.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']

    def redrive_policy(self, dlq_url, max_receive):
        """A RedrivePolicy attribute value that sends to the queue at dlq_url."""
        return json.dumps({'deadLetterTargetArn': self.arn(dlq_url), 'maxReceiveCount': max_receive})

    def cleanup(self):
        for url in self.urls:
            try:
                self.client.delete_queue(QueueUrl=url)
            except Exception:  # already deleted by the test, or the server is gone
                pass
        self.urls = []


def queues_fixture(queues_class):
    """A `queues` fixture handing each test a fresh queues_class, cleaned up afterwards."""
    @pytest.fixture
    def queues(sqs):
        q = queues_class(sqs)
        yield q
        q.cleanup()
    return queues


@pytest.fixture(scope='module')
def moto(target):
    return is_moto(target)


@pytest.fixture(scope='module')
def sqs(make_client):
    return make_client('sqs')


@pytest.fixture(scope='module')
def sqs_noval(make_client):
    return make_client('sqs', validate=False)


queues = queues_fixture(Queues)


@pytest.fixture
def queue(queues):
    return queues.create()


def receive(sqs, url, n=10, wait=1, **kwargs):
    """One ReceiveMessage call; its messages (a list, empty when none came)."""
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=n, WaitTimeSeconds=wait,
                               **kwargs).get('Messages', [])


def receive_until(sqs, url, enough, timeout=15.0, calls=100, delete=False, **kwargs):
    """Receive batches of up to 10 (deleting each message if `delete`) until `enough(messages)`
    holds for the messages received so far, `calls` receives were made or `timeout` passed;
    returns the messages in the order they came."""
    got = []
    deadline = time.monotonic() + timeout
    for _ in range(calls):
        for m in receive(sqs, url, **kwargs):
            got.append(m)
            if delete:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m['ReceiptHandle'])
        if enough(got) or time.monotonic() > deadline:
            break
    return got
