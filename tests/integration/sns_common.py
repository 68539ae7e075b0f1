"""Helpers shared by the SNS suites: topics and queues wired together for one test."""

import base64
import json
import urllib.request

import pytest

from util import unique_table_name

@pytest.fixture(scope='module')
def sns(make_client):
    return make_client('sns')


@pytest.fixture(scope='module')
def sns_noval(make_client):
    """A client without botocore's parameter validation, so the server sees invalid input."""
    return make_client('sns', validate=False)


@pytest.fixture
def ps(sns, sqs, target):
    """Topics and queues for one test (needs the `sqs` fixture of sqs_common in the test module)."""
    p = PubSub(sns, sqs, target.is_aws)
    yield p
    p.cleanup()


class PubSub:
    """Topics and queues for one test, deleted afterwards. On AWS a queue needs a policy that lets
    SNS send to it; runnel and moto deliver within the account without one."""

    def __init__(self, sns, sqs, is_aws):
        self.sns, self.sqs, self.is_aws = sns, sqs, is_aws
        self.topics, self.queues = [], []

    def topic(self, tag='t', fifo=False, attributes=None, **kwargs):
        attributes = dict(attributes or {})
        if fifo:
            attributes['FifoTopic'] = 'true'
        name = unique_table_name('sns_' + tag) + ('.fifo' if fifo else '')
        arn = self.sns.create_topic(Name=name, Attributes=attributes, **kwargs)['TopicArn']
        self.topics.append(arn)
        return arn

    def queue(self, tag='q', fifo=False, attributes=None):
        """-> (queue URL, queue ARN)"""
        attributes = dict(attributes or {})
        if fifo:
            attributes['FifoQueue'] = 'true'
        name = unique_table_name('sns_' + tag) + ('.fifo' if fifo else '')
        url = self.sqs.create_queue(QueueName=name, Attributes=attributes)['QueueUrl']
        self.queues.append(url)
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
        if self.is_aws:
            policy = {'Version': '2012-10-17', 'Statement': [{
                'Effect': 'Allow', 'Principal': {'Service': 'sns.amazonaws.com'}, 'Action': 'sqs:SendMessage',
                'Resource': arn}]}
            self.sqs.set_queue_attributes(QueueUrl=url, Attributes={'Policy': json.dumps(policy)})
        return url, arn

    def subscribe_queue(self, topic_arn, queue_arn, **attributes):
        kwargs = {'Attributes': attributes} if attributes else {}
        return self.sns.subscribe(TopicArn=topic_arn, Protocol='sqs', Endpoint=queue_arn,
                                  **kwargs)['SubscriptionArn']

    def wired(self, fifo=False, topic_attributes=None, queue_attributes=None, **sub_attributes):
        """A topic with one subscribed queue -> (topic ARN, queue URL, subscription ARN)."""
        topic = self.topic(fifo=fifo, attributes=topic_attributes)
        url, arn = self.queue(fifo=fifo, attributes=queue_attributes)
        return topic, url, self.subscribe_queue(topic, arn, **sub_attributes)
    def filtered(self, policy=None, scope=None):
        """A topic and a queue subscribed with raw delivery and the policy -> (topic, queue URL, sub)."""
        topic = self.topic()
        url, qarn = self.queue()
        attributes = {'RawMessageDelivery': 'true'}
        if policy is not None:
            attributes['FilterPolicy'] = policy if isinstance(policy, str) else json.dumps(policy)
        if scope:
            attributes['FilterPolicyScope'] = scope
        sub = self.sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=qarn,
                                 Attributes=attributes)['SubscriptionArn']
        return topic, url, sub

    def cleanup(self):
        for arn in self.topics:
            try:
                self.sns.delete_topic(TopicArn=arn)
            except Exception:
                pass
        for url in self.queues:
            try:
                self.sqs.delete_queue(QueueUrl=url)
            except Exception:
                pass


_certs = {}


def verify_signature(doc):
    """Checks an SNS JSON document's signature (Notification, SubscriptionConfirmation) against the
    certificate at its SigningCertURL, as a subscriber that validates messages does."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    url = doc['SigningCertURL']
    if url not in _certs:
        with urllib.request.urlopen(url, timeout=5) as r:
            _certs[url] = x509.load_pem_x509_certificate(r.read())
    if doc['Type'] == 'Notification':
        names = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
    else:
        names = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type']
    text = ''.join('%s\n%s\n' % (n, doc[n]) for n in names if n in doc)
    digest = hashes.SHA256() if doc['SignatureVersion'] == '2' else hashes.SHA1()
    _certs[url].public_key().verify(base64.b64decode(doc['Signature']), text.encode('utf-8'),
                                    padding.PKCS1v15(), digest)
