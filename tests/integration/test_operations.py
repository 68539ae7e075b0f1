"""The operation tables: GET /_runnel/operations lists what each service serves, named as the
botocore models name it, with the traits the router acts on; and a body over an operation's limit
is refused (413) in the caller's own protocol, which real clients parse into an error code."""

import json
import urllib.request

import botocore
import botocore.session
import pytest
from botocore.exceptions import ClientError

from util import unique_table_name

# The signing names runnel lists services under -> the botocore model names.
MODELS = {'dynamodb': 'dynamodb', 'dynamodbstreams': 'dynamodbstreams', 'sqs': 'sqs', 'sns': 'sns',
          'lambda': 'lambda', 'logs': 'logs'}
LAMBDA_LARGE = 69905067  # base64 of a 50 MB zip, as Lambda's message names it


@pytest.fixture(scope='module')
def listing(target, runnel_only):
    with urllib.request.urlopen(target.url + '/_runnel/operations', timeout=5) as r:
        assert r.status == 200
        assert r.headers['Content-Type'] == 'application/json'
        return json.loads(r.read())['operations']


def entries(listing, service, protocol=None):
    return {e['name']: e for e in listing if e['service'] == service and (protocol is None or e['protocol'] == protocol)}


def test_every_service_and_protocol_is_listed(listing):
    pairs = {(e['service'], e['protocol']) for e in listing}
    assert pairs == {('dynamodb', 'json'), ('dynamodbstreams', 'json'), ('sqs', 'json'), ('sqs', 'query'),
                     ('sns', 'query'), ('lambda', 'rest-json'), ('logs', 'json')}
    # SQS serves one table to both of its protocols.
    assert set(entries(listing, 'sqs', 'json')) == set(entries(listing, 'sqs', 'query'))
    assert {'PutItem', 'Query', 'TransactWriteItems'} <= set(entries(listing, 'dynamodb'))
    assert set(entries(listing, 'dynamodbstreams')) == {'ListStreams', 'DescribeStream', 'GetShardIterator',
                                                        'GetRecords'}


@pytest.mark.skipif(tuple(int(p) for p in botocore.__version__.split('.')[:2]) < (1, 31),
                    reason="an older model lacks operations AWS added since (SQS's message move tasks)")
def test_names_are_the_models(listing):
    session = botocore.session.get_session()
    for service, model_name in MODELS.items():
        modeled = set(session.get_service_model(model_name).operation_names)
        listed = set(entries(listing, service))
        assert listed <= modeled, (service, listed - modeled)


def test_traits(listing):
    for e in listing:
        # A Get/List/Describe operation changes nothing.
        if e['name'].startswith(('Get', 'List', 'Describe')):
            assert not e['mutating'], e
        if e['name'] in ('PutItem', 'SendMessage', 'Publish', 'CreateFunction', 'Invoke', 'DeleteTable', 'PutLogEvents'):
            assert e['mutating'], e
        # Only SNS's mail links arrive unsigned; only SQS's receive parks.
        assert e['anonymous'] == (e['service'] == 'sns' and e['name'] in ('ConfirmSubscription', 'Unsubscribe')), e
        assert e['long_poll'] == (e['name'] == 'ReceiveMessage'), e
        large = e['service'] == 'lambda' and e['name'] in ('CreateFunction', 'UpdateFunctionCode', 'Invoke')
        assert (e['body_limit'] == LAMBDA_LARGE) == large, e
        assert e['body_limit'] >= 16 * 1024 * 1024, e


# 17 MB passes the default limit (DynamoDB's 16 MB BatchWriteItem plus envelope): each client gets
# RequestEntityTooLargeException with 413, parsed from its own protocol (JSON 1.0 for DynamoDB and
# SQS under boto3 >= 1.31, Query XML for SQS under older boto3 and for SNS), before the server
# buffers the body; and the server keeps serving.
OVERSIZED = 'a' * (17 * 1024 * 1024)


def assert_too_large(call):
    with pytest.raises(ClientError) as e:
        call()
    assert e.value.response['Error']['Code'] == 'RequestEntityTooLargeException', e.value.response
    assert e.value.response['ResponseMetadata']['HTTPStatusCode'] == 413


def test_oversized_dynamodb_request(dynamodb, runnel_only):
    assert_too_large(lambda: dynamodb.put_item(TableName='oversized', Item={'p': {'S': OVERSIZED}}))
    dynamodb.list_tables()


def test_oversized_sqs_request(make_client, runnel_only):
    sqs = make_client('sqs')
    url = sqs.create_queue(QueueName=unique_table_name('sqs_big'))['QueueUrl']
    assert_too_large(lambda: sqs.send_message(QueueUrl=url, MessageBody=OVERSIZED))
    sqs.delete_queue(QueueUrl=url)


def test_oversized_sns_request(make_client, runnel_only):
    sns = make_client('sns')
    arn = sns.create_topic(Name=unique_table_name('sns_big'))['TopicArn']
    assert_too_large(lambda: sns.publish(TopicArn=arn, Message=OVERSIZED))
    sns.delete_topic(TopicArn=arn)
