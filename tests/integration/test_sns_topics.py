"""SNS topics, written to AWS SNS's documented behaviour (aws-reference.md section 5): CreateTopic
(name rules, FIFO naming, idempotence, attributes, tags), DeleteTopic, ListTopics paging,
Get/SetTopicAttributes, TagResource / UntagResource / ListTagsForResource and the error codes for
unknown topics and bad input. SNS speaks the Query protocol with both boto3 generations.
"""

import json
import re

import pytest
from botocore.exceptions import ClientError

from sqs_common import moto, skip_on_moto, sqs  # noqa: F401  (moto and sqs are fixtures)
from sns_common import sns, sns_noval  # noqa: F401  (fixtures)
from util import error_code, eventually, unique_table_name

ARN_RE = re.compile(r'^arn:aws:sns:us-east-1:(\d{12}):([A-Za-z0-9_.-]+)$')


def topic_name(tag='t', fifo=False):
    return unique_table_name('sns_' + tag) + ('.fifo' if fifo else '')


class Topics:
    """Topics for one test, deleted afterwards."""

    def __init__(self, client):
        self.client = client
        self.arns = []

    def create(self, tag='t', fifo=False, attributes=None, name=None, **kwargs):
        attributes = dict(attributes or {})
        if fifo:
            attributes.setdefault('FifoTopic', 'true')
        if attributes:
            kwargs['Attributes'] = attributes
        arn = self.client.create_topic(Name=name or topic_name(tag, fifo), **kwargs)['TopicArn']
        self.arns.append(arn)
        return arn

    def cleanup(self):
        for arn in self.arns:
            try:
                self.client.delete_topic(TopicArn=arn)
            except Exception:
                pass
        self.arns = []




@pytest.fixture
def topics(sns):
    t = Topics(sns)
    yield t
    t.cleanup()


@pytest.fixture
def topic(topics):
    return topics.create()


def attributes(sns, arn):
    return sns.get_topic_attributes(TopicArn=arn)['Attributes']


def tags_of(sns, arn):
    return {t['Key']: t['Value'] for t in sns.list_tags_for_resource(ResourceArn=arn)['Tags']}


def list_all_topics(sns):
    """Every topic ARN, following NextToken (bounded), and the size of each page."""
    arns, sizes, kwargs = [], [], {}
    for _ in range(1000):
        r = sns.list_topics(**kwargs)
        page = [t['TopicArn'] for t in r['Topics']]
        arns += page
        sizes.append(len(page))
        if not r.get('NextToken'):
            return arns, sizes
        kwargs['NextToken'] = r['NextToken']
    raise AssertionError('ListTopics did not finish in 1000 pages')


def fake_arn(sns, topic_arn, name):
    """An ARN of a topic that does not exist, in the same account and region."""
    return topic_arn.rsplit(':', 1)[0] + ':' + name


# --- CreateTopic ------------------------------------------------------------------------------

# The TopicArn is arn:aws:sns:<region>:<12-digit account>:<name>.
def test_create_topic_arn_format(sns, topics):
    name = topic_name()
    arn = topics.create(name=name)
    m = ARN_RE.match(arn)
    assert m, arn
    assert m.group(2) == name


# runnel's account for the key 'test' is 000000000000, the same account its SQS queues use.
def test_create_topic_default_account(sns, sqs, topics, runnel_only, moto):
    skip_on_moto(moto, 'moto uses account 123456789012')
    arn = topics.create()
    assert ARN_RE.match(arn).group(1) == '000000000000'


# The topic ARN and an SQS queue ARN made with the same credentials share one account.
def test_topic_and_queue_share_account(sns, sqs, topics):
    arn = topics.create()
    url = sqs.create_queue(QueueName=unique_table_name('sns_acct'))['QueueUrl']
    try:
        qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
    finally:
        sqs.delete_queue(QueueUrl=url)
    assert qarn.split(':')[4] == arn.split(':')[4]


# Creating an existing topic again returns the same ARN and does not make a second topic.
def test_create_topic_idempotent(sns, topics):
    name = topic_name()
    arn = topics.create(name=name)
    assert sns.create_topic(Name=name)['TopicArn'] == arn
    arns, _ = list_all_topics(sns)
    assert arns.count(arn) == 1


# Creating again with the same attributes is also idempotent.
def test_create_topic_idempotent_same_attributes(sns, topics):
    name = topic_name()
    arn = topics.create(name=name, attributes={'DisplayName': 'same'})
    assert sns.create_topic(Name=name, Attributes={'DisplayName': 'same'})['TopicArn'] == arn
    assert attributes(sns, arn)['DisplayName'] == 'same'


# Creating an existing topic with different attributes is InvalidParameter; the topic is unchanged.
def test_create_topic_different_attributes(sns, topics, moto):
    skip_on_moto(moto, 'moto returns the existing topic')
    name = topic_name()
    arn = topics.create(name=name, attributes={'DisplayName': 'first'})
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name=name, Attributes={'DisplayName': 'second'})
    assert error_code(e) == 'InvalidParameter'
    assert attributes(sns, arn)['DisplayName'] == 'first'


# Names are 1-256 of [A-Za-z0-9_-]: 256 characters are fine.
def test_create_topic_name_256_chars(sns, topics):
    base = topic_name()
    name = base + 'x' * (256 - len(base))
    arn = topics.create(name=name)
    assert arn.endswith(':' + name)


# Anything else in a standard topic name is InvalidParameter.
@pytest.mark.parametrize('name', ['has space', 'dot.name', 'colon:name', 'slash/name', 'ü', '', 'x' * 257,
                                  'plain.fifo'],
                         ids=['space', 'dot', 'colon', 'slash', 'non-ascii', 'empty', '257', 'fifo-suffix'])
def test_create_topic_invalid_name(sns_noval, name):
    with pytest.raises(ClientError) as e:
        sns_noval.create_topic(Name=name)
    assert error_code(e) == 'InvalidParameter'


# A FIFO topic: FifoTopic=true and a name ending in .fifo; its attributes say so.
def test_create_fifo_topic(sns, topics):
    arn = topics.create(fifo=True)
    assert arn.endswith('.fifo')
    a = attributes(sns, arn)
    assert a['FifoTopic'] == 'true'
    assert a['ContentBasedDeduplication'] == 'false'


# ContentBasedDeduplication=true is kept on a FIFO topic.
def test_create_fifo_topic_content_based_dedup(sns, topics):
    arn = topics.create(fifo=True, attributes={'ContentBasedDeduplication': 'true'})
    assert attributes(sns, arn)['ContentBasedDeduplication'] == 'true'


# FifoTopic=true with a name that does not end in .fifo is InvalidParameter.
def test_create_fifo_topic_without_suffix(sns):
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name=topic_name(), Attributes={'FifoTopic': 'true'})
    assert error_code(e) == 'InvalidParameter'


# A .fifo name with FifoTopic=false is InvalidParameter (a dot is not allowed in standard names).
def test_create_standard_topic_with_fifo_suffix(sns):
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name=topic_name(fifo=True), Attributes={'FifoTopic': 'false'})
    assert error_code(e) == 'InvalidParameter'


# ContentBasedDeduplication only exists for FIFO topics.
def test_create_standard_topic_with_content_based_dedup(sns, moto):
    skip_on_moto(moto, 'moto accepts any attribute')
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name=topic_name(), Attributes={'ContentBasedDeduplication': 'true'})
    assert error_code(e) == 'InvalidParameter'


# An attribute name SNS does not know is InvalidParameter.
def test_create_topic_unknown_attribute(sns, moto):
    skip_on_moto(moto, 'moto accepts any attribute')
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name=topic_name(), Attributes={'NoSuchAttribute': 'x'})
    assert error_code(e) == 'InvalidParameter'


# Attributes given at creation come back from GetTopicAttributes.
def test_create_topic_with_attributes(sns, topics):
    policy = {'http': {'defaultHealthyRetryPolicy': {'minDelayTarget': 5, 'maxDelayTarget': 10, 'numRetries': 4,
                                                     'numNoDelayRetries': 0, 'numMinDelayRetries': 0,
                                                     'numMaxDelayRetries': 0, 'backoffFunction': 'linear'}}}
    arn = topics.create(attributes={'DisplayName': 'My Topic', 'DeliveryPolicy': json.dumps(policy)})
    a = attributes(sns, arn)
    assert a['DisplayName'] == 'My Topic'
    got = json.loads(a['DeliveryPolicy'])
    assert got['http']['defaultHealthyRetryPolicy']['numRetries'] == 4
    assert got['http']['defaultHealthyRetryPolicy']['minDelayTarget'] == 5


# Tags given at creation are listed by ListTagsForResource.
def test_create_topic_with_tags(sns, topics):
    arn = topics.create(Tags=[{'Key': 'env', 'Value': 'test'}, {'Key': 'team', 'Value': ''}])
    assert tags_of(sns, arn) == {'env': 'test', 'team': ''}


# --- DeleteTopic ------------------------------------------------------------------------------

# A deleted topic is gone: not listed, and GetTopicAttributes says NotFound.
def test_delete_topic(sns, topics):
    arn = topics.create()
    sns.delete_topic(TopicArn=arn)
    arns, _ = list_all_topics(sns)
    assert arn not in arns
    with pytest.raises(ClientError) as e:
        sns.get_topic_attributes(TopicArn=arn)
    assert error_code(e) == 'NotFound'


# DeleteTopic is idempotent: deleting a topic that does not exist succeeds.
def test_delete_topic_twice(sns, topics):
    arn = topics.create()
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)


# A deleted name can be created again at once, with a fresh set of attributes.
def test_recreate_deleted_topic(sns, topics):
    name = topic_name()
    arn = topics.create(name=name, attributes={'DisplayName': 'old'})
    sns.delete_topic(TopicArn=arn)
    again = topics.create(name=name)
    assert again == arn
    assert attributes(sns, again)['DisplayName'] == ''


# --- ListTopics -------------------------------------------------------------------------------

# ListTopics pages by at most 100 with NextToken, and every topic shows up exactly once.
@pytest.mark.slow
def test_list_topics_paging(sns, topics):
    mine = [topics.create('page') for _ in range(101)]
    arns, sizes = list_all_topics(sns)
    assert len(sizes) >= 2, sizes
    assert all(n <= 100 for n in sizes), sizes
    assert all(n == 100 for n in sizes[:-1]), sizes
    assert len(arns) == len(set(arns))
    assert set(mine) <= set(arns)


# A topic shows up in ListTopics right after CreateTopic.
def test_list_topics_contains_new_topic(sns, topic):
    arns, _ = list_all_topics(sns)
    assert topic in arns


# --- GetTopicAttributes -----------------------------------------------------------------------

# A new standard topic has the documented attributes with their defaults.
def test_get_topic_attributes_defaults(sns, topic, moto):
    a = attributes(sns, topic)
    assert a['TopicArn'] == topic
    assert a['Owner'] == topic.split(':')[4]
    assert a['DisplayName'] == ''
    assert a['SubscriptionsConfirmed'] == '0'
    assert a['SubscriptionsPending'] == '0'
    assert a['SubscriptionsDeleted'] == '0'
    assert json.loads(a['EffectiveDeliveryPolicy'])


# The default access policy is a JSON document whose statement covers this topic.
def test_get_topic_attributes_default_policy(sns, topic):
    policy = json.loads(attributes(sns, topic)['Policy'])
    assert policy['Statement']
    assert all(s['Resource'] == topic for s in policy['Statement'])


# The default HTTP retry policy is 3 retries, 20 s apart, under the "http" key.
def test_effective_delivery_policy_default_retries(sns, topic, moto):
    skip_on_moto(moto, 'moto returns a subscription-style policy without the "http" key')
    effective = json.loads(attributes(sns, topic)['EffectiveDeliveryPolicy'])
    retry = effective['http']['defaultHealthyRetryPolicy']
    assert retry['numRetries'] == 3
    assert retry['minDelayTarget'] == 20
    assert retry['maxDelayTarget'] == 20


# An SQS subscription counts as confirmed; unsubscribing takes it out of the count.
def test_topic_attributes_subscription_counts(sns, sqs, topic, moto):
    skip_on_moto(moto, 'moto never counts subscriptions')
    url = sqs.create_queue(QueueName=unique_table_name('sns_cnt'))['QueueUrl']
    try:
        qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
        sub = sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=qarn)['SubscriptionArn']

        def confirmed(n):
            def check():
                assert attributes(sns, topic)['SubscriptionsConfirmed'] == n
            return check
        eventually(confirmed('1'), timeout=60)
        sns.unsubscribe(SubscriptionArn=sub)
        eventually(confirmed('0'), timeout=60)
    finally:
        sqs.delete_queue(QueueUrl=url)


# An HTTP subscription waits for its confirmation: it counts as pending.
def test_topic_attributes_pending_count(sns, topic, moto):
    skip_on_moto(moto, 'moto confirms every subscription at once')
    sns.subscribe(TopicArn=topic, Protocol='http', Endpoint='http://127.0.0.1:9/sns-pending')

    def check():
        a = attributes(sns, topic)
        assert a['SubscriptionsPending'] == '1'
        assert a['SubscriptionsConfirmed'] == '0'
    eventually(check, timeout=60)


# GetTopicAttributes of a topic that does not exist is NotFound.
def test_get_topic_attributes_unknown_topic(sns, topic):
    with pytest.raises(ClientError) as e:
        sns.get_topic_attributes(TopicArn=fake_arn(sns, topic, topic_name('missing')))
    assert error_code(e) == 'NotFound'
    assert e.value.response['ResponseMetadata']['HTTPStatusCode'] == 404


# A TopicArn that is not an ARN is InvalidParameter.
def test_get_topic_attributes_malformed_arn(sns, moto):
    skip_on_moto(moto, 'moto fails with an internal error')
    with pytest.raises(ClientError) as e:
        sns.get_topic_attributes(TopicArn='not-an-arn')
    assert error_code(e) == 'InvalidParameter'
    assert e.value.response['ResponseMetadata']['HTTPStatusCode'] == 400


# --- SetTopicAttributes -----------------------------------------------------------------------

# SetTopicAttributes changes DisplayName; GetTopicAttributes shows the new value.
def test_set_topic_display_name(sns, topic):
    sns.set_topic_attributes(TopicArn=topic, AttributeName='DisplayName', AttributeValue='Renamed')
    assert attributes(sns, topic)['DisplayName'] == 'Renamed'


# SetTopicAttributes stores a new access policy.
def test_set_topic_policy(sns, topic):
    acct = topic.split(':')[4]
    policy = {'Version': '2012-10-17', 'Id': 'custom', 'Statement': [{
        'Sid': 'allow-publish', 'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::%s:root' % acct},
        'Action': 'SNS:Publish', 'Resource': topic}]}
    sns.set_topic_attributes(TopicArn=topic, AttributeName='Policy', AttributeValue=json.dumps(policy))
    got = json.loads(attributes(sns, topic)['Policy'])
    assert got['Id'] == 'custom'
    assert [s['Sid'] for s in got['Statement']] == ['allow-publish']


# A DeliveryPolicy set later shows up in DeliveryPolicy and EffectiveDeliveryPolicy.
def test_set_topic_delivery_policy(sns, topic, moto):
    policy = {'http': {'defaultHealthyRetryPolicy': {'minDelayTarget': 2, 'maxDelayTarget': 8, 'numRetries': 5,
                                                     'numNoDelayRetries': 0, 'numMinDelayRetries': 0,
                                                     'numMaxDelayRetries': 0, 'backoffFunction': 'exponential'}}}
    sns.set_topic_attributes(TopicArn=topic, AttributeName='DeliveryPolicy', AttributeValue=json.dumps(policy))
    a = attributes(sns, topic)
    assert json.loads(a['DeliveryPolicy'])['http']['defaultHealthyRetryPolicy']['numRetries'] == 5
    if moto:
        return   # moto's EffectiveDeliveryPolicy is a fixed subscription-style document
    effective = json.loads(a['EffectiveDeliveryPolicy'])['http']['defaultHealthyRetryPolicy']
    assert effective['numRetries'] == 5
    assert effective['backoffFunction'] == 'exponential'


# An unknown attribute name is InvalidParameter.
def test_set_topic_unknown_attribute(sns, topic, moto):
    skip_on_moto(moto, 'moto accepts any attribute')
    with pytest.raises(ClientError) as e:
        sns.set_topic_attributes(TopicArn=topic, AttributeName='NoSuchAttribute', AttributeValue='x')
    assert error_code(e) == 'InvalidParameter'


# A Policy that is not JSON is InvalidParameter.
def test_set_topic_policy_not_json(sns, topic, moto):
    skip_on_moto(moto, 'moto does not check the policy')
    with pytest.raises(ClientError) as e:
        sns.set_topic_attributes(TopicArn=topic, AttributeName='Policy', AttributeValue='{not json')
    assert error_code(e) == 'InvalidParameter'


# SetTopicAttributes on a topic that does not exist is NotFound.
def test_set_topic_attributes_unknown_topic(sns, topic):
    with pytest.raises(ClientError) as e:
        sns.set_topic_attributes(TopicArn=fake_arn(sns, topic, topic_name('missing')),
                                 AttributeName='DisplayName', AttributeValue='x')
    assert error_code(e) == 'NotFound'


# --- Tags -------------------------------------------------------------------------------------

# A new topic has no tags.
def test_list_tags_empty(sns, topic):
    assert sns.list_tags_for_resource(ResourceArn=topic)['Tags'] == []


# TagResource adds tags and overwrites the value of an existing key.
def test_tag_resource_adds_and_overwrites(sns, topics):
    arn = topics.create(Tags=[{'Key': 'a', 'Value': '1'}])
    sns.tag_resource(ResourceArn=arn, Tags=[{'Key': 'a', 'Value': '2'}, {'Key': 'b', 'Value': '3'}])
    assert tags_of(sns, arn) == {'a': '2', 'b': '3'}


# UntagResource removes the named keys; naming a key that is not there is fine.
def test_untag_resource(sns, topics):
    arn = topics.create(Tags=[{'Key': 'a', 'Value': '1'}, {'Key': 'b', 'Value': '2'}])
    sns.untag_resource(ResourceArn=arn, TagKeys=['a', 'not-there'])
    assert tags_of(sns, arn) == {'b': '2'}


# Tag operations on a topic that does not exist are ResourceNotFound.
@pytest.mark.parametrize('op', ['list', 'tag', 'untag'])
def test_tags_unknown_topic(sns, topic, op):
    arn = fake_arn(sns, topic, topic_name('missing'))
    with pytest.raises(ClientError) as e:
        if op == 'list':
            sns.list_tags_for_resource(ResourceArn=arn)
        elif op == 'tag':
            sns.tag_resource(ResourceArn=arn, Tags=[{'Key': 'a', 'Value': '1'}])
        else:
            sns.untag_resource(ResourceArn=arn, TagKeys=['a'])
    assert error_code(e) == 'ResourceNotFound'


# Creating an existing topic again with a subset of its tags (or none) is idempotent.
def test_create_topic_again_with_fewer_tags(sns, topics):
    name = topic_name()
    tags = [{'Key': 'a', 'Value': '1'}, {'Key': 'b', 'Value': '2'}]
    arn = topics.create(name=name, Tags=tags)
    assert sns.create_topic(Name=name, Tags=tags[:1])['TopicArn'] == arn
    assert sns.create_topic(Name=name)['TopicArn'] == arn
    assert tags_of(sns, arn) == {'a': '1', 'b': '2'}
