"""SNS delivery to HTTP/S endpoints, proven with a real subscriber on loopback.

A python http.server subscriber records every POST (headers and body) and answers with the status
the test scripts for it. It is what a real application would be: it completes the confirmation
handshake by fetching SubscribeURL, and it verifies every message's signature against the
certificate fetched from SigningCertURL (python3-cryptography), for SignatureVersion 1 and 2.
Proven here:
  * Subscribe sends a signed SubscriptionConfirmation with AWS's headers; fetching SubscribeURL (or
    calling ConfirmSubscription with the Token) confirms; a pending subscription receives nothing.
  * Notifications arrive signed, with AWS's headers, envelope and raw forms, and the Content-Type
    the DeliveryPolicy's requestPolicy sets.
  * 5xx answers are retried under the DeliveryPolicy (same MessageId, delays honoured); a 4xx is not
    retried; an exhausted policy or a 4xx sends the message to the RedrivePolicy dead-letter queue
    with ErrorCode/ErrorMessage attributes; UnsubscribeURL stops deliveries.
  * A delivery still owed when the server is killed -9 is made after the restart.
  * AWS's DeliveryPolicy validation errors; Lambda and deleted-queue subscriptions dead-letter.
"""

import http.server
import json
import threading
import time
import urllib.parse
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from runnel_server import RunnelServer
from sns_common import ps, sns, verify_signature  # noqa: F401  (ps and sns are fixtures)
from sqs_common import sqs  # noqa: F401  (a fixture)

WAIT_S = 10.0


class Subscriber:
    """An HTTP endpoint on 127.0.0.1 that records POSTs; `statuses` is the list of answers to give
    (the last one repeats)."""

    def __init__(self, statuses=(200,)):
        self.requests = []
        self.statuses = list(statuses)
        self.cond = threading.Condition()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def do_POST(self):
                length = int(self.headers.get('Content-Length', '0'))
                body = self.rfile.read(length).decode('utf-8')
                with owner.cond:
                    status = owner.statuses[min(len(owner.requests), len(owner.statuses) - 1)]
                    owner.requests.append({'headers': {k.lower(): v for k, v in self.headers.items()},
                                           'body': body, 'path': self.path, 'at': time.monotonic()})
                    owner.cond.notify_all()
                self.send_response(status)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d/hook' % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, count, timeout=WAIT_S):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError('expected %d POSTs, got %d' % (count, len(self.requests)))
                self.cond.wait(left)
            return list(self.requests)

    def of_type(self, kind):
        with self.cond:
            return [r for r in self.requests if r['headers'].get('x-amz-sns-message-type') == kind]

    def close(self):
        self.server.shutdown()
        self.server.server_close()




@pytest.fixture
def sub_server():
    servers = []

    def make(statuses=(200,)):
        s = Subscriber(statuses)
        servers.append(s)
        return s
    yield make
    for s in servers:
        s.close()


# Subscribers on loopback and private servers: runnel only.
pytestmark = pytest.mark.usefixtures('runnel_only')


def confirm(endpoint, sns, topic, policy=None, raw=False, via_api=False, extra=None):
    """Subscribes `endpoint`, completes the handshake -> the subscription ARN."""
    attributes = dict(extra or {})
    if policy is not None:
        attributes['DeliveryPolicy'] = json.dumps(policy)
    if raw:
        attributes['RawMessageDelivery'] = 'true'
    kwargs = {'Attributes': attributes} if attributes else {}
    arn = sns.subscribe(TopicArn=topic, Protocol='http', Endpoint=endpoint.url, ReturnSubscriptionArn=True,
                        **kwargs)['SubscriptionArn']
    endpoint.wait(1)
    doc = json.loads(endpoint.of_type('SubscriptionConfirmation')[-1]['body'])
    verify_signature(doc)
    if via_api:
        assert sns.confirm_subscription(TopicArn=topic, Token=doc['Token'])['SubscriptionArn'] == arn
    else:
        with urllib.request.urlopen(doc['SubscribeURL'], timeout=5) as r:
            answer = r.read().decode()
        assert '<ConfirmSubscriptionResponse' in answer and arn in answer
    assert sns.get_subscription_attributes(SubscriptionArn=arn)['Attributes']['PendingConfirmation'] == 'false'
    with endpoint.cond:
        endpoint.requests.clear()
    return arn


# The confirmation POST: AWS's headers, a signed document whose SubscribeURL confirms.
def test_confirmation_handshake(ps, sns, sub_server):
    topic = ps.topic()
    hook = sub_server()
    arn = sns.subscribe(TopicArn=topic, Protocol='http', Endpoint=hook.url, ReturnSubscriptionArn=True)['SubscriptionArn']
    assert sns.get_subscription_attributes(SubscriptionArn=arn)['Attributes']['PendingConfirmation'] == 'true'
    req = hook.wait(1)[0]
    h = req['headers']
    assert h['x-amz-sns-message-type'] == 'SubscriptionConfirmation'
    assert h['x-amz-sns-topic-arn'] == topic
    assert h['content-type'] == 'text/plain; charset=UTF-8'
    assert h['user-agent'] == 'Amazon Simple Notification Service Agent'
    assert req['path'] == '/hook'
    doc = json.loads(req['body'])
    assert set(doc) == {'Type', 'MessageId', 'Token', 'TopicArn', 'Message', 'SubscribeURL', 'Timestamp',
                        'SignatureVersion', 'Signature', 'SigningCertURL'}
    assert doc['Type'] == 'SubscriptionConfirmation' and doc['TopicArn'] == topic
    assert h['x-amz-sns-message-id'] == doc['MessageId']
    assert doc['Message'].startswith('You have chosen to subscribe to the topic ' + topic)
    q = urllib.parse.parse_qs(urllib.parse.urlparse(doc['SubscribeURL']).query)
    assert q == {'Action': ['ConfirmSubscription'], 'TopicArn': [topic], 'Token': [doc['Token']]}
    verify_signature(doc)
    with urllib.request.urlopen(doc['SubscribeURL'], timeout=5) as r:
        assert r.status == 200
    a = sns.get_subscription_attributes(SubscriptionArn=arn)['Attributes']
    assert a['PendingConfirmation'] == 'false'
    assert a['ConfirmationWasAuthenticated'] == 'false', 'an unsigned link is not an authenticated confirmation'
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)['Subscriptions']
    assert [s['SubscriptionArn'] for s in listed] == [arn]


# ConfirmSubscription with the Token works as well; a pending subscription receives nothing.
def test_pending_receives_nothing_then_api_confirmation(ps, sns, sub_server):
    topic = ps.topic()
    hook = sub_server()
    sns.subscribe(TopicArn=topic, Protocol='http', Endpoint=hook.url)
    token = json.loads(hook.wait(1)[0]['body'])['Token']
    sns.publish(TopicArn=topic, Message='too early')
    time.sleep(0.5)  # a delivery would take milliseconds
    assert hook.of_type('Notification') == []
    arn = sns.confirm_subscription(TopicArn=topic, Token=token)['SubscriptionArn']
    assert sns.get_subscription_attributes(SubscriptionArn=arn)['Attributes']['ConfirmationWasAuthenticated'] == 'true'
    sns.publish(TopicArn=topic, Message='now')
    hook.wait(2)
    note = hook.of_type('Notification')
    assert len(note) == 1 and json.loads(note[0]['body'])['Message'] == 'now'
    assert note[0]['headers']['x-amz-sns-subscription-arn'] == arn


@pytest.mark.parametrize('version', ['1', '2'])
def test_notification_is_signed_with_headers(ps, sns, sub_server, version):
    topic = ps.topic(attributes={'SignatureVersion': version})
    hook = sub_server()
    arn = confirm(hook, sns, topic)
    mid = sns.publish(TopicArn=topic, Message='héllo ☃', Subject='Greetings',
                      MessageAttributes={'k': {'DataType': 'String', 'StringValue': 'v'}})['MessageId']
    req = hook.wait(1)[0]
    h = req['headers']
    assert h['x-amz-sns-message-type'] == 'Notification'
    assert h['x-amz-sns-message-id'] == mid
    assert h['x-amz-sns-topic-arn'] == topic
    assert h['x-amz-sns-subscription-arn'] == arn
    assert 'x-amz-sns-rawdelivery' not in h
    doc = json.loads(req['body'])
    assert doc['Message'] == 'héllo ☃' and doc['Subject'] == 'Greetings' and doc['MessageId'] == mid
    assert doc['SignatureVersion'] == version
    assert doc['MessageAttributes'] == {'k': {'Type': 'String', 'Value': 'v'}}
    verify_signature(doc)


# MessageStructure=json: the http key (or default) is delivered, and signed as delivered.
def test_message_structure_per_protocol_is_signed(ps, sns, sub_server):
    topic = ps.topic()
    hook = sub_server()
    confirm(hook, sns, topic)
    sns.publish(TopicArn=topic, MessageStructure='json',
                Message=json.dumps({'default': 'plain', 'http': 'for http', 'sqs': 'for sqs'}))
    doc = json.loads(hook.wait(1)[0]['body'])
    assert doc['Message'] == 'for http'
    verify_signature(doc)


def test_raw_delivery_and_content_type(ps, sns, sub_server):
    topic = ps.topic()
    hook = sub_server()
    confirm(hook, sns, topic, raw=True, policy={'requestPolicy': {'headerContentType': 'application/json'}})
    sns.publish(TopicArn=topic, Message='{"raw": true}')
    req = hook.wait(1)[0]
    assert req['body'] == '{"raw": true}'
    assert req['headers']['x-amz-sns-rawdelivery'] == 'true'
    assert req['headers']['content-type'] == 'application/json'


# 500s are retried with the same MessageId until the endpoint answers 2xx.
def test_retries_on_500_until_success(ps, sns, sub_server):
    topic = ps.topic()
    hook = sub_server()
    confirm(hook, sns, topic, policy={'healthyRetryPolicy': {
        'numRetries': 3, 'numNoDelayRetries': 3, 'minDelayTarget': 1, 'maxDelayTarget': 1}})
    hook.statuses = [500, 503, 200, 200]
    mid = sns.publish(TopicArn=topic, Message='persist')['MessageId']
    reqs = hook.wait(3)
    time.sleep(0.5)
    assert len(hook.requests) == 3, 'no retry after the 2xx'
    assert {json.loads(r['body'])['MessageId'] for r in reqs} == {mid}
    assert {r['headers']['x-amz-sns-message-id'] for r in reqs} == {mid}


# The delays between attempts follow the policy: numMinDelayRetries at minDelayTarget seconds.
def test_retry_delay_follows_policy(ps, sns, sub_server):
    topic = ps.topic()
    hook = sub_server()
    confirm(hook, sns, topic, policy={'healthyRetryPolicy': {
        'numRetries': 2, 'numMinDelayRetries': 2, 'minDelayTarget': 1, 'maxDelayTarget': 1}})
    hook.statuses = [500, 500, 200]
    sns.publish(TopicArn=topic, Message='slow')
    reqs = hook.wait(3, timeout=15)
    gaps = [b['at'] - a['at'] for a, b in zip(reqs, reqs[1:])]
    assert all(0.9 <= g < 3.0 for g in gaps), gaps


def with_dead_letter_queue(ps, sns, sub_server, retries):
    """A topic and a confirmed subscriber with `retries` immediate retries and a dead-letter queue
    -> (topic ARN, DLQ URL, subscriber)."""
    topic = ps.topic()
    dlq_url, dlq_arn = ps.queue('dlq')
    hook = sub_server()
    confirm(hook, sns, topic, policy={'healthyRetryPolicy': {
        'numRetries': retries, 'numNoDelayRetries': retries, 'minDelayTarget': 1, 'maxDelayTarget': 1}},
        extra={'RedrivePolicy': json.dumps({'deadLetterTargetArn': dlq_arn})})
    return topic, dlq_url, hook


# An exhausted policy moves the message to the subscription's dead-letter queue.
def test_exhausted_retries_go_to_dead_letter_queue(ps, sns, sqs, sub_server):
    topic, dlq_url, hook = with_dead_letter_queue(ps, sns, sub_server, retries=2)
    hook.statuses = [500]
    mid = sns.publish(TopicArn=topic, Message='doomed')['MessageId']
    hook.wait(3)
    got = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=10, MessageAttributeNames=['All'])['Messages']
    doc = json.loads(got[0]['Body'])
    assert doc['MessageId'] == mid and doc['Message'] == 'doomed'
    attrs = got[0]['MessageAttributes']
    assert attrs['ErrorCode']['StringValue'] == 'EndpointServerError'
    assert '500' in attrs['ErrorMessage']['StringValue']
    assert attrs['RequestID']['StringValue']
    time.sleep(0.3)
    assert len(hook.requests) == 3, 'exactly 1 + numRetries attempts'


# A 4xx is the endpoint's own error: no retry, straight to the dead-letter queue.
def test_client_error_is_not_retried(ps, sns, sqs, sub_server):
    topic, dlq_url, hook = with_dead_letter_queue(ps, sns, sub_server, retries=3)
    hook.statuses = [403]
    sns.publish(TopicArn=topic, Message='forbidden')
    got = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=10, MessageAttributeNames=['All'])['Messages']
    assert got[0]['MessageAttributes']['ErrorCode']['StringValue'] == 'EndpointClientError'
    assert len(hook.requests) == 1


# Fetching UnsubscribeURL removes the subscription; nothing more is delivered.
def test_unsubscribe_url_stops_delivery(ps, sns, sub_server):
    topic = ps.topic()
    hook = sub_server()
    arn = confirm(hook, sns, topic)
    sns.publish(TopicArn=topic, Message='one')
    doc = json.loads(hook.wait(1)[0]['body'])
    with urllib.request.urlopen(doc['UnsubscribeURL'], timeout=5) as r:
        assert '<UnsubscribeResponse' in r.read().decode()
    assert sns.list_subscriptions_by_topic(TopicArn=topic)['Subscriptions'] == []
    with pytest.raises(ClientError) as e:
        sns.get_subscription_attributes(SubscriptionArn=arn)
    assert e.value.response['Error']['Code'] == 'NotFound'
    sns.publish(TopicArn=topic, Message='two')
    time.sleep(0.5)
    assert len(hook.of_type('Notification')) == 1


# Topic-level defaults apply to subscriptions without their own policy.
def test_topic_delivery_policy_defaults(ps, sns, sub_server):
    topic = ps.topic(attributes={'DeliveryPolicy': json.dumps({'http': {
        'defaultHealthyRetryPolicy': {'numRetries': 1, 'numNoDelayRetries': 1, 'minDelayTarget': 1, 'maxDelayTarget': 1},
        'defaultRequestPolicy': {'headerContentType': 'application/json'}}})})
    hook = sub_server()
    confirm(hook, sns, topic)
    hook.statuses = [500, 200]
    sns.publish(TopicArn=topic, Message='x')
    reqs = hook.wait(2)
    assert reqs[1]['headers']['content-type'] == 'application/json'


@pytest.mark.parametrize('policy,fragment', [
    ({'healthyRetryPolicy': {'numRetries': 3, 'minDelayTarget': 0, 'maxDelayTarget': 5}},
     'healthyRetryPolicy.minDelayTarget must be greater than or equal to 1'),
    ({'healthyRetryPolicy': {'numRetries': 101, 'minDelayTarget': 1, 'maxDelayTarget': 1}},
     'healthyRetryPolicy.numRetries must be less than or equal to 100'),
    ({'healthyRetryPolicy': {'minDelayTarget': 1, 'maxDelayTarget': 1}}, 'healthyRetryPolicy.numRetries is required'),
    ({'healthyRetryPolicy': {'numRetries': 100, 'minDelayTarget': 60, 'maxDelayTarget': 60}}, '3600'),
    ({'throttlePolicy': {'maxReceivesPerSecond': 0}}, 'maxReceivesPerSecond'),
])
def test_delivery_policy_validation(ps, sns, sub_server, policy, fragment):
    topic = ps.topic()
    hook = sub_server()
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol='http', Endpoint=hook.url,
                      Attributes={'DeliveryPolicy': json.dumps(policy)})
    err = e.value.response['Error']
    assert err['Code'] == 'InvalidParameter'
    assert err['Message'].startswith('Invalid parameter: Attributes Reason: DeliveryPolicy: ')
    assert fragment in err['Message']
    arn = confirm(hook, sns, topic)
    with pytest.raises(ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName='DeliveryPolicy',
                                        AttributeValue=json.dumps(policy))
    assert e.value.response['Error']['Message'].startswith('Invalid parameter: DeliveryPolicy: ')


# A Lambda subscription whose function does not exist: the delivery fails as "function not found"
# (a client-side error) and goes to the subscription's dead-letter queue.
def test_lambda_subscription_dead_letters(ps, sns, sqs):
    topic = ps.topic()
    dlq_url, dlq_arn = ps.queue('dlq')
    sns.subscribe(TopicArn=topic, Protocol='lambda', Endpoint='arn:aws:lambda:us-east-1:000000000000:function:nope',
                  Attributes={'RedrivePolicy': json.dumps({'deadLetterTargetArn': dlq_arn})})
    mid = sns.publish(TopicArn=topic, Message='to lambda')['MessageId']
    got = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=5, MessageAttributeNames=['All'])['Messages']
    assert json.loads(got[0]['Body'])['MessageId'] == mid
    assert got[0]['MessageAttributes']['ErrorCode']['StringValue'] == 'ResourceNotFoundException'


# A subscribed queue that was deleted: the message goes to the subscription's dead-letter queue.
def test_deleted_queue_dead_letters(ps, sns, sqs):
    topic = ps.topic()
    url, arn = ps.queue('gone')
    dlq_url, dlq_arn = ps.queue('dlq')
    ps.subscribe_queue(topic, arn, RedrivePolicy=json.dumps({'deadLetterTargetArn': dlq_arn}), RawMessageDelivery='true')
    sqs.delete_queue(QueueUrl=url)
    sns.publish(TopicArn=topic, Message='orphan')
    got = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=5, MessageAttributeNames=['All'])['Messages']
    assert got[0]['Body'] == 'orphan'
    assert got[0]['MessageAttributes']['ErrorCode']['StringValue'] in ('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue')


def _client(service, url):
    return boto3.client(service, endpoint_url=url, region_name='us-east-1', aws_access_key_id='test',
                        aws_secret_access_key='test', config=Config(retries={'max_attempts': 0}))


# Deliveries owed when the server dies are stored tasks: after kill -9 and a restart they are made.
def test_pending_deliveries_survive_kill_9(runnel_bin, tmp_path, sub_server):
    server = RunnelServer(runnel_bin, data_dir=str(tmp_path / 'data'), durability='strict')
    server.start()
    try:
        sns = _client('sns', server.url)
        topic = sns.create_topic(Name='http_crash')['TopicArn']
        hook = sub_server()
        # Retries 20 s apart: none happens before the kill, so only the restart can deliver.
        confirm(hook, sns, topic, policy={'healthyRetryPolicy': {
            'numRetries': 3, 'minDelayTarget': 20, 'maxDelayTarget': 20}})
        hook.statuses = [500]
        sent = [sns.publish(TopicArn=topic, Message='m%02d' % i)['MessageId'] for i in range(20)]
        hook.wait(20)
        server.kill()
        with hook.cond:
            hook.requests.clear()
        hook.statuses = [200]
        server.start()
        reqs = hook.wait(20, timeout=20)
        got = {json.loads(r['body'])['MessageId'] for r in reqs}
        assert got == set(sent)
    finally:
        server.cleanup()


# throttlePolicy.maxReceivesPerSecond spaces the deliveries to one subscription.
def test_throttle_policy_spaces_deliveries(ps, sns, sub_server):
    topic = ps.topic()
    hook = sub_server()
    confirm(hook, sns, topic, policy={'throttlePolicy': {'maxReceivesPerSecond': 5}})
    for i in range(6):
        sns.publish(TopicArn=topic, Message='t%d' % i)
    reqs = hook.wait(6)
    assert reqs[-1]['at'] - reqs[0]['at'] >= 0.9, 'six deliveries at 5/s take at least a second'


def self_signed_certificate(directory):
    """A certificate and key for 127.0.0.1 -> (cert path, key path)."""
    import datetime
    import ipaddress
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / 'cert.pem', directory / 'key.pem'
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


# An https endpoint (self-signed, so the server runs with --no-tls-verify) gets the same handshake
# and notifications over TLS.
def test_https_endpoint(runnel_bin, tmp_path, sub_server):
    import ssl
    hook = sub_server()
    cert, key = self_signed_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    hook.server.socket = context.wrap_socket(hook.server.socket, server_side=True)
    hook.url = hook.url.replace('http://', 'https://')
    server = RunnelServer(runnel_bin, in_memory=True, extra_args=['--no-tls-verify'])
    server.start()
    try:
        sns = _client('sns', server.url)
        topic = sns.create_topic(Name='https_hook')['TopicArn']
        arn = sns.subscribe(TopicArn=topic, Protocol='https', Endpoint=hook.url,
                            ReturnSubscriptionArn=True)['SubscriptionArn']
        doc = json.loads(hook.wait(1)[0]['body'])
        verify_signature(doc)
        sns.confirm_subscription(TopicArn=topic, Token=doc['Token'])
        sns.publish(TopicArn=topic, Message='over tls')
        note = json.loads(hook.wait(2)[1]['body'])
        assert note['Message'] == 'over tls' and note['UnsubscribeURL'].endswith(arn)
    finally:
        server.cleanup()
