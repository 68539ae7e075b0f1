"""Accounts stay apart (issue 15, "Isolation"): with --auth-credentials holding keys of accounts A
(111111111111) and B (222222222222), B reaches none of A's tables, streams, queues or topics by ARN
or URL, with AWS's error for each service, unless A's resource policy allows B (or `*`); an
explicit Deny refuses again. An SNS topic of A delivers to a queue of B only when the queue's
policy lets sns.amazonaws.com send for that topic. The mailbox shows each account its own mail,
and only to signed requests; an unsubscribe link of a subscription confirmed with
AuthenticateOnUnsubscribe=true is refused.

SQS runs over the Query protocol with boto3 1.26 and over JSON with boto3 1.43 (run-tests.sh
--boto 1.43): both must answer 403 AccessDenied.
"""

import http.client
import json
import os
import re
import subprocess
import time
import urllib.parse

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from runnel_server import RunnelServer
from util import client_config

A, A_SECRET = '111111111111', 'secret-of-a'
B, B_SECRET = '222222222222', 'secret-of-b'
REGION = 'us-east-1'
SECRETS = {A: A_SECRET, B: B_SECRET}


@pytest.fixture(scope='module')
def server(runnel_bin, tmp_path_factory):
    creds = tmp_path_factory.mktemp('xacct') / 'credentials'
    creds.write_text('%s %s\n%s %s\n' % (A, A_SECRET, B, B_SECRET))
    os.chmod(creds, 0o600)
    s = RunnelServer(runnel_bin, auth_credentials=str(creds))
    s.start()
    yield s
    s.cleanup()


@pytest.fixture(scope='module')
def clients(server):
    def make(service, account):
        return boto3.client(service, endpoint_url=server.url, region_name=REGION, aws_access_key_id=account,
                            aws_secret_access_key=SECRETS[account], config=client_config())
    return {(svc, acct): make(svc, acct) for svc in ('dynamodb', 'dynamodbstreams', 'sqs', 'sns')
            for acct in (A, B)}


def refused(call, code, status):
    with pytest.raises(ClientError) as e:
        call()
    err = e.value.response['Error']
    assert err['Code'] == code, e.value.response
    assert e.value.response['ResponseMetadata']['HTTPStatusCode'] == status
    return err['Message']


def not_authorized(action, resource, deny=False):
    why = ('with an explicit deny in a resource-based policy' if deny else
           'because no resource-based policy allows the %s action' % action)
    return 'User: arn:aws:iam::%s:root is not authorized to perform: %s on resource: %s %s' % (B, action, resource, why)


def unique(tag):
    return 'xa-%s-%d' % (tag, time.time_ns() % 10**12)


# --- DynamoDB and Streams ------------------------------------------------------------------------

@pytest.fixture(scope='module')
def table(clients):
    ddb = clients['dynamodb', A]
    name = unique('t')
    d = ddb.create_table(TableName=name, KeySchema=[{'AttributeName': 'p', 'KeyType': 'HASH'}],
                         AttributeDefinitions=[{'AttributeName': 'p', 'AttributeType': 'S'}],
                         BillingMode='PAY_PER_REQUEST',
                         StreamSpecification={'StreamEnabled': True, 'StreamViewType': 'NEW_IMAGE'})['TableDescription']
    ddb.put_item(TableName=name, Item={'p': {'S': 'k'}})
    return d


def test_dynamodb_other_account_refused(clients, table):
    b = clients['dynamodb', B]
    arn = table['TableArn']
    key = {'p': {'S': 'k'}}
    calls = {
        'dynamodb:GetItem': lambda: b.get_item(TableName=arn, Key=key),
        'dynamodb:Scan': lambda: b.scan(TableName=arn),
        'dynamodb:PutItem': lambda: b.put_item(TableName=arn, Item={'p': {'S': 'evil'}}),
        'dynamodb:DescribeTable': lambda: b.describe_table(TableName=arn),
        'dynamodb:UpdateTable': lambda: b.update_table(TableName=arn, BillingMode='PAY_PER_REQUEST'),
        'dynamodb:DeleteTable': lambda: b.delete_table(TableName=arn),
        # Transactions are authorized per item, with the item's own action.
        'dynamodb:GetItem ': lambda: b.transact_get_items(TransactItems=[{'Get': {'TableName': arn, 'Key': key}}]),
        'dynamodb:ConditionCheckItem': lambda: b.transact_write_items(TransactItems=[
            {'ConditionCheck': {'TableName': arn, 'Key': key, 'ConditionExpression': 'attribute_exists(p)'}}]),
        'dynamodb:BatchGetItem': lambda: b.batch_get_item(RequestItems={arn: {'Keys': [key]}}),
        'dynamodb:ListTagsOfResource': lambda: b.list_tags_of_resource(ResourceArn=arn),
    }
    for action, call in calls.items():
        message = refused(call, 'AccessDeniedException', 400)
        assert message == not_authorized(action.strip(), arn), message
    # A table B cannot see is refused the same way whether it exists or not.
    missing = arn + '-missing'
    assert refused(lambda: b.get_item(TableName=missing, Key=key), 'AccessDeniedException', 400) == \
        not_authorized('dynamodb:GetItem', missing)
    # Nothing changed, and A still reaches its own table by ARN.
    a = clients['dynamodb', A]
    assert a.get_item(TableName=arn, Key={'p': {'S': 'evil'}}).get('Item') is None
    assert a.describe_table(TableName=arn)['Table']['TableStatus'] == 'ACTIVE'


def test_streams_other_account_refused(clients, table):
    arn = table['LatestStreamArn']
    a, b = clients['dynamodbstreams', A], clients['dynamodbstreams', B]
    shard = a.describe_stream(StreamArn=arn)['StreamDescription']['Shards'][0]['ShardId']
    iterator = a.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType='TRIM_HORIZON')['ShardIterator']
    assert a.get_records(ShardIterator=iterator)['Records']
    assert refused(lambda: b.describe_stream(StreamArn=arn), 'AccessDeniedException', 400) == \
        not_authorized('dynamodb:DescribeStream', arn)
    assert refused(lambda: b.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType='TRIM_HORIZON'),
                   'AccessDeniedException', 400) == not_authorized('dynamodb:GetShardIterator', arn)
    # An iterator A was given is of no use to B.
    assert refused(lambda: b.get_records(ShardIterator=iterator), 'AccessDeniedException', 400) == \
        not_authorized('dynamodb:GetRecords', arn)


# --- SQS -----------------------------------------------------------------------------------------

SQS_DENIED = 'Access to the resource https://sqs.%s.amazonaws.com/ is denied.' % REGION


def sqs_refused(call):
    assert refused(call, 'AccessDenied', 403) == SQS_DENIED


def queue_arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']


def set_policy(sqs, url, statements):
    sqs.set_queue_attributes(QueueUrl=url, Attributes={
        'Policy': json.dumps({'Version': '2012-10-17', 'Statement': statements})})


def test_sqs_other_account_refused(clients):
    a, b = clients['sqs', A], clients['sqs', B]
    name = unique('q')
    url = a.create_queue(QueueName=name)['QueueUrl']
    assert '/%s/' % A in url
    a.send_message(QueueUrl=url, MessageBody='mine')
    sqs_refused(lambda: b.receive_message(QueueUrl=url))
    sqs_refused(lambda: b.send_message(QueueUrl=url, MessageBody='theirs'))
    sqs_refused(lambda: b.send_message_batch(QueueUrl=url, Entries=[{'Id': '1', 'MessageBody': 'x'}]))
    sqs_refused(lambda: b.get_queue_attributes(QueueUrl=url, AttributeNames=['All']))
    sqs_refused(lambda: b.set_queue_attributes(QueueUrl=url, Attributes={'VisibilityTimeout': '1'}))
    sqs_refused(lambda: b.purge_queue(QueueUrl=url))
    sqs_refused(lambda: b.delete_queue(QueueUrl=url))
    sqs_refused(lambda: b.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=A))
    # A queue that does not exist is refused alike: B learns nothing of A's queue names.
    sqs_refused(lambda: b.send_message(QueueUrl=url + '-missing', MessageBody='x'))
    # B's own queue of the same name is B's.
    mine = b.create_queue(QueueName=name)['QueueUrl']
    assert '/%s/' % B in mine and b.receive_message(QueueUrl=mine).get('Messages') is None
    # A's queue is untouched.
    got = a.receive_message(QueueUrl=url, WaitTimeSeconds=1)['Messages']
    assert [m['Body'] for m in got] == ['mine']
    assert a.get_queue_attributes(QueueUrl=url, AttributeNames=['VisibilityTimeout'])['Attributes'] == \
        {'VisibilityTimeout': '30'}


def test_sqs_policy_allows_then_deny_refuses(clients):
    a, b = clients['sqs', A], clients['sqs', B]
    name = unique('qp')
    url = a.create_queue(QueueName=name)['QueueUrl']
    arn = queue_arn(a, url)
    allow = {'Sid': 'b-sends', 'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::%s:root' % B},
             'Action': ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:GetQueueUrl'], 'Resource': arn}
    set_policy(a, url, [allow])
    b.send_message(QueueUrl=url, MessageBody='from b')
    b.send_message_batch(QueueUrl=url, Entries=[{'Id': '1', 'MessageBody': 'batch from b'}])
    assert b.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=A)['QueueUrl'] == url
    bodies = set()
    for _ in range(5):
        for m in b.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get('Messages', []):
            bodies.add(m['Body'])
        if len(bodies) == 2:
            break
    assert bodies == {'from b', 'batch from b'}
    # What the statement does not name stays A's alone.
    sqs_refused(lambda: b.purge_queue(QueueUrl=url))
    sqs_refused(lambda: b.delete_queue(QueueUrl=url))
    # An explicit Deny wins over the Allow.
    set_policy(a, url, [allow, {'Effect': 'Deny', 'Principal': {'AWS': B}, 'Action': 'sqs:Send*', 'Resource': arn}])
    sqs_refused(lambda: b.send_message(QueueUrl=url, MessageBody='denied'))
    b.receive_message(QueueUrl=url)  # still allowed
    # Principal "*" with a wildcard action: anyone may do anything, DeleteQueue included.
    set_policy(a, url, [{'Effect': 'Allow', 'Principal': '*', 'Action': 'sqs:*', 'Resource': arn}])
    b.delete_queue(QueueUrl=url)


def test_sqs_add_permission_grants_the_account(clients):
    a, b = clients['sqs', A], clients['sqs', B]
    url = a.create_queue(QueueName=unique('qa'))['QueueUrl']
    sqs_refused(lambda: b.send_message(QueueUrl=url, MessageBody='x'))
    a.add_permission(QueueUrl=url, Label='b-send', AWSAccountIds=[B], Actions=['SendMessage'])
    b.send_message(QueueUrl=url, MessageBody='x')
    sqs_refused(lambda: b.receive_message(QueueUrl=url))
    a.remove_permission(QueueUrl=url, Label='b-send')
    sqs_refused(lambda: b.send_message(QueueUrl=url, MessageBody='x'))


# --- SNS -----------------------------------------------------------------------------------------

def sns_refused(call, action, resource, deny=False):
    message = refused(call, 'AuthorizationError', 403)
    assert message == not_authorized(action, resource, deny), message


def test_sns_other_account_refused(clients):
    a, b = clients['sns', A], clients['sns', B]
    topic = a.create_topic(Name=unique('t'))['TopicArn']
    b_queue = clients['sqs', B].create_queue(QueueName=unique('bq'))['QueueUrl']
    b_queue_arn = queue_arn(clients['sqs', B], b_queue)
    sub = a.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=queue_arn(clients['sqs', A],
                      clients['sqs', A].create_queue(QueueName=unique('aq'))['QueueUrl']))['SubscriptionArn']
    sns_refused(lambda: b.publish(TopicArn=topic, Message='x'), 'SNS:Publish', topic)
    sns_refused(lambda: b.publish(TargetArn=topic, Message='x'), 'SNS:Publish', topic)
    sns_refused(lambda: b.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{'Id': '1', 'Message': 'x'}]),
                'SNS:Publish', topic)
    sns_refused(lambda: b.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=b_queue_arn), 'SNS:Subscribe', topic)
    sns_refused(lambda: b.get_topic_attributes(TopicArn=topic), 'SNS:GetTopicAttributes', topic)
    sns_refused(lambda: b.set_topic_attributes(TopicArn=topic, AttributeName='DisplayName', AttributeValue='x'),
                'SNS:SetTopicAttributes', topic)
    sns_refused(lambda: b.list_subscriptions_by_topic(TopicArn=topic), 'SNS:ListSubscriptionsByTopic', topic)
    sns_refused(lambda: b.delete_topic(TopicArn=topic), 'SNS:DeleteTopic', topic)
    sns_refused(lambda: b.unsubscribe(SubscriptionArn=sub), 'SNS:Unsubscribe', sub)
    sns_refused(lambda: b.get_subscription_attributes(SubscriptionArn=sub), 'SNS:GetSubscriptionAttributes', sub)
    missing = topic + '-missing'
    sns_refused(lambda: b.publish(TopicArn=missing, Message='x'), 'SNS:Publish', missing)
    # All still there, unchanged.
    assert a.get_topic_attributes(TopicArn=topic)['Attributes'].get('DisplayName', '') == ''
    assert [s['SubscriptionArn'] for s in a.list_subscriptions_by_topic(TopicArn=topic)['Subscriptions']] == [sub]


def test_sns_topic_policy_allows_then_deny_refuses(clients):
    a, b = clients['sns', A], clients['sns', B]
    topic = a.create_topic(Name=unique('tp'))['TopicArn']
    allow = {'Sid': 'b-publish', 'Effect': 'Allow', 'Principal': {'AWS': B}, 'Action': 'sns:Publish', 'Resource': topic}
    a.set_topic_attributes(TopicArn=topic, AttributeName='Policy',
                           AttributeValue=json.dumps({'Version': '2012-10-17', 'Statement': [allow]}))
    assert b.publish(TopicArn=topic, Message='allowed')['MessageId']
    sns_refused(lambda: b.get_topic_attributes(TopicArn=topic), 'SNS:GetTopicAttributes', topic)
    deny = {'Effect': 'Deny', 'Principal': '*', 'Action': 'SNS:Publish', 'Resource': topic,
            'Condition': {'StringEquals': {'aws:PrincipalAccount': B}}}
    a.set_topic_attributes(TopicArn=topic, AttributeName='Policy',
                           AttributeValue=json.dumps({'Version': '2012-10-17', 'Statement': [allow, deny]}))
    sns_refused(lambda: b.publish(TopicArn=topic, Message='denied'), 'SNS:Publish', topic, deny=True)
    assert a.publish(TopicArn=topic, Message='the owner is not affected')['MessageId']


def receive_all(sqs, url, wait=1):
    return [m['Body'] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                   WaitTimeSeconds=wait).get('Messages', [])]


# SNS (A) -> SQS (B): delivered only when B's queue policy allows sns.amazonaws.com for A's topic.
def test_sns_to_queue_of_another_account(clients):
    sns_a = clients['sns', A]
    sqs_b = clients['sqs', B]
    topic = sns_a.create_topic(Name=unique('fan'))['TopicArn']
    other_topic = sns_a.create_topic(Name=unique('fan-other'))['TopicArn']
    url = sqs_b.create_queue(QueueName=unique('inbox'))['QueueUrl']
    arn = queue_arn(sqs_b, url)
    sns_a.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=arn, Attributes={'RawMessageDelivery': 'true'})

    sns_a.publish(TopicArn=topic, Message='no policy yet')
    assert receive_all(sqs_b, url) == []

    # A policy for another topic does not let this one in.
    set_policy(sqs_b, url, [{'Effect': 'Allow', 'Principal': {'Service': 'sns.amazonaws.com'},
                             'Action': 'sqs:SendMessage', 'Resource': arn,
                             'Condition': {'ArnEquals': {'aws:SourceArn': other_topic}}}])
    sns_a.publish(TopicArn=topic, Message='wrong topic allowed')
    assert receive_all(sqs_b, url) == []

    # SNS's documented queue policy.
    allow = {'Effect': 'Allow', 'Principal': {'Service': 'sns.amazonaws.com'}, 'Action': 'sqs:SendMessage',
             'Resource': arn, 'Condition': {'ArnEquals': {'aws:SourceArn': topic}}}
    set_policy(sqs_b, url, [allow])
    sns_a.publish(TopicArn=topic, Message='delivered')
    assert receive_all(sqs_b, url, wait=5) == ['delivered']

    # An explicit Deny on the source account stops it again.
    set_policy(sqs_b, url, [allow, {'Effect': 'Deny', 'Principal': '*', 'Action': 'sqs:SendMessage', 'Resource': arn,
                                    'Condition': {'StringEquals': {'aws:SourceAccount': A}}}])
    sns_a.publish(TopicArn=topic, Message='denied')
    assert receive_all(sqs_b, url) == []


# --- the mailbox and unsubscribe links -----------------------------------------------------------

def get(server, path, account=None, service='sns'):
    u = urllib.parse.urlparse(server.url)
    headers = {}
    if account:
        req = AWSRequest(method='GET', url=server.url + path, headers={})
        SigV4Auth(Credentials(account, SECRETS[account]), service, REGION).add_auth(req)
        headers = dict(req.headers.items())
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request('GET', path, headers=headers)
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def mails(server, account, to):
    status, body = get(server, '/_runnel/mailbox?to=' + urllib.parse.quote(to), account)
    assert status == 200, body
    return json.loads(body)['messages']


def wait_for_mail(server, account, to):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = mails(server, account, to)
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError('no mail to %s' % to)


def test_mailbox_scoped_and_signed(server, clients, runnel_bin):
    sns_a = clients['sns', A]
    topic = sns_a.create_topic(Name=unique('mail'))['TopicArn']
    to = unique('a') + '@example.com'
    sns_a.subscribe(TopicArn=topic, Protocol='email', Endpoint=to)
    [mail] = wait_for_mail(server, A, to)
    assert mail['topic_arn'] == topic and 'Token=' in mail['body']
    # B sees none of A's mail, not even by id; an unsigned or badly signed request sees nothing.
    assert mails(server, B, to) == []
    status, _ = get(server, '/_runnel/mailbox?id=%d' % mail['id'], B)
    assert status == 404
    status, body = get(server, '/_runnel/mailbox')
    assert status == 403 and 'MissingAuthenticationToken' in body, body
    status, _ = get(server, '/_runnel/mailbox?id=%d&format=raw' % mail['id'])
    assert status == 403
    # The CLI signs with the key in its environment.
    def cli(account):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=account, AWS_SECRET_ACCESS_KEY=SECRETS[account],
                   AWS_DEFAULT_REGION=REGION)
        return subprocess.run([runnel_bin, 'mailbox', '--endpoint', server.url, '--to', to], env=env,
                              capture_output=True, text=True, timeout=30)
    out = cli(A)
    assert out.returncode == 0 and 'To: %s' % to in out.stdout, out
    out = cli(B)
    assert out.returncode == 0 and out.stdout.strip() == '(no mail)', out
    unsigned = subprocess.run([runnel_bin, 'mailbox', '--endpoint', server.url],
                              env={k: v for k, v in os.environ.items() if not k.startswith('AWS_')},
                              capture_output=True, text=True, timeout=30)
    assert unsigned.returncode == 1 and 'HTTP 403' in unsigned.stderr, unsigned


def confirmed_email_subscription(server, sns, authenticate_on_unsubscribe):
    topic = sns.create_topic(Name=unique('unsub'))['TopicArn']
    to = unique('u') + '@example.com'
    sns.subscribe(TopicArn=topic, Protocol='email', Endpoint=to)
    [mail] = wait_for_mail(server, A, to)
    token = re.search(r'[?&]Token=([^&\s]+)', mail['body']).group(1)
    kwargs = {'AuthenticateOnUnsubscribe': 'true'} if authenticate_on_unsubscribe else {}
    arn = sns.confirm_subscription(TopicArn=topic, Token=urllib.parse.unquote(token), **kwargs)['SubscriptionArn']
    return topic, arn


def unsubscribe_link(arn):
    return '/?Action=Unsubscribe&SubscriptionArn=' + urllib.parse.quote(arn, safe='')


def test_unsubscribe_link_honours_authenticate_on_unsubscribe(server, clients):
    sns_a = clients['sns', A]
    topic, arn = confirmed_email_subscription(server, sns_a, True)
    status, body = get(server, unsubscribe_link(arn))
    assert status == 403 and 'AuthorizationError' in body, body
    assert [s['SubscriptionArn'] for s in sns_a.list_subscriptions_by_topic(TopicArn=topic)['Subscriptions']] == [arn]
    # The topic owner's signed Unsubscribe still works.
    sns_a.unsubscribe(SubscriptionArn=arn)
    assert sns_a.list_subscriptions_by_topic(TopicArn=topic)['Subscriptions'] == []

    # Without the flag the link works unsigned, as AWS's links do.
    topic, arn = confirmed_email_subscription(server, sns_a, False)
    status, body = get(server, unsubscribe_link(arn))
    assert status == 200, body
    assert sns_a.list_subscriptions_by_topic(TopicArn=topic)['Subscriptions'] == []


# --- Lambda ------------------------------------------------------------------------------------

def test_lambda_invoke_of_another_account_needs_its_resource_policy(server):
    from lambda_common import ECHO, make_zip

    def lam(account):
        return boto3.client('lambda', endpoint_url=server.url, region_name=REGION, aws_access_key_id=account,
                            aws_secret_access_key=SECRETS[account], config=client_config())
    name = unique('fn')
    lam(A).create_function(FunctionName=name, Runtime='provided.al2023', Handler='x',
                           Role='arn:aws:iam::%s:role/r' % A, Code={'ZipFile': make_zip(ECHO)})
    arn = 'arn:aws:lambda:%s:%s:function:%s' % (REGION, A, name)
    msg = refused(lambda: lam(B).invoke(FunctionName=arn, Payload=b'{}'), 'AccessDeniedException', 403)
    assert msg == not_authorized('lambda:InvokeFunction', arn)
    # A missing function of A is refused the same way: its absence is not revealed to B.
    missing = arn + 'x'
    msg = refused(lambda: lam(B).invoke(FunctionName=missing, Payload=b'{}'), 'AccessDeniedException', 403)
    assert msg == not_authorized('lambda:InvokeFunction', missing)
    # A grants B (AddPermission with an account principal): B's Invoke runs A's function.
    lam(A).add_permission(FunctionName=name, StatementId='b', Action='lambda:InvokeFunction', Principal=B)
    r = lam(B).invoke(FunctionName=arn, Payload=b'{"hello":"b"}')
    assert r['StatusCode'] == 200 and 'FunctionError' not in r, r
    # Granting another action does not grant Invoke.
    lam(A).remove_permission(FunctionName=name, StatementId='b')
    lam(A).add_permission(FunctionName=name, StatementId='get', Action='lambda:GetFunction', Principal=B)
    refused(lambda: lam(B).invoke(FunctionName=arn, Payload=b'{}'), 'AccessDeniedException', 403)
    # Other operations stay the owner's alone.
    refused(lambda: lam(B).delete_function(FunctionName=arn), 'AccessDeniedException', 403)
    lam(A).delete_function(FunctionName=name)
