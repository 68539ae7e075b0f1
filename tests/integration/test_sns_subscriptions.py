"""SNS subscriptions, written to AWS SNS's documented behaviour (aws-reference.md 5.2, 5.3):
Subscribe (sqs confirmed at once; http/https/email/email-json pending, with and without
ReturnSubscriptionArn; attributes at subscribe time; idempotence; endpoint checks), Unsubscribe,
ListSubscriptions / ListSubscriptionsByTopic paging and Get/SetSubscriptionAttributes.
"""

import json
import re

import pytest
from botocore.exceptions import ClientError

from sqs_common import moto, skip_on_moto, sqs  # noqa: F401  (moto and sqs are fixtures)
from sns_common import ps, sns, sns_noval  # noqa: F401  (fixtures)
from util import error_code, eventually, unique_table_name

UUID = r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
PENDING_HTTP = 'http://127.0.0.1:9/sns-endpoint'   # nothing listens there: stays pending






@pytest.fixture
def topic(ps):
    return ps.topic()


def sub_attributes(sns, arn):
    return sns.get_subscription_attributes(SubscriptionArn=arn)['Attributes']


def list_all(sns, op, **kwargs):
    """All subscriptions of ListSubscriptions / ListSubscriptionsByTopic (bounded), page sizes."""
    subs, sizes = [], []
    for _ in range(1000):
        r = getattr(sns, op)(**kwargs)
        subs += r['Subscriptions']
        sizes.append(len(r['Subscriptions']))
        if not r.get('NextToken'):
            return subs, sizes
        kwargs['NextToken'] = r['NextToken']
    raise AssertionError('%s did not finish in 1000 pages' % op)


def by_topic(sns, topic_arn):
    return list_all(sns, 'list_subscriptions_by_topic', TopicArn=topic_arn)[0]


def missing_topic(topic_arn):
    return topic_arn.rsplit(':', 1)[0] + ':' + unique_table_name('sns_missing')


# --- Subscribe: sqs ---------------------------------------------------------------------------

# An SQS subscription is confirmed at once: its ARN is <topic ARN>:<uuid>.
def test_subscribe_sqs_returns_arn(ps, topic):
    _, qarn = ps.queue()
    arn = ps.subscribe_queue(topic, qarn)
    assert re.match('^' + re.escape(topic) + ':' + UUID + '$', arn), arn


# ReturnSubscriptionArn makes no difference for sqs: the ARN either way.
def test_subscribe_sqs_return_subscription_arn(ps, sns, topic):
    _, qarn = ps.queue()
    arn = sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=qarn, ReturnSubscriptionArn=True)['SubscriptionArn']
    assert arn.startswith(topic + ':')


# Subscribing the same queue again returns the same subscription, not a second one.
def test_subscribe_sqs_idempotent(ps, sns, topic):
    _, qarn = ps.queue()
    first = ps.subscribe_queue(topic, qarn)
    assert ps.subscribe_queue(topic, qarn) == first
    assert [s['SubscriptionArn'] for s in by_topic(sns, topic)] == [first]


# Subscribing again with the same attributes is idempotent too.
def test_subscribe_same_attributes_idempotent(ps, topic):
    _, qarn = ps.queue()
    first = ps.subscribe_queue(topic, qarn, RawMessageDelivery='true')
    assert ps.subscribe_queue(topic, qarn, RawMessageDelivery='true') == first


# Subscribing again with different attributes is InvalidParameter.
def test_subscribe_different_attributes(ps, topic, moto):
    skip_on_moto(moto, 'moto returns the existing subscription and changes it')
    _, qarn = ps.queue()
    first = ps.subscribe_queue(topic, qarn, RawMessageDelivery='true')
    with pytest.raises(ClientError) as e:
        ps.subscribe_queue(topic, qarn, RawMessageDelivery='false')
    assert error_code(e) == 'InvalidParameter'
    assert sub_attributes(ps.sns, first)['RawMessageDelivery'] == 'true'


# One queue may subscribe to two topics: two subscriptions.
def test_one_queue_two_topics(ps):
    _, qarn = ps.queue()
    t1, t2 = ps.topic(), ps.topic()
    s1, s2 = ps.subscribe_queue(t1, qarn), ps.subscribe_queue(t2, qarn)
    assert s1 != s2
    assert s1.startswith(t1 + ':') and s2.startswith(t2 + ':')


# An sqs endpoint that is not an ARN is InvalidParameter.
def test_subscribe_sqs_endpoint_not_arn(sns, topic, sqs, ps):
    url, _ = ps.queue()
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=url)
    assert error_code(e) == 'InvalidParameter'


# Subscribing to a topic that does not exist is NotFound.
def test_subscribe_unknown_topic(ps, sns, topic):
    _, qarn = ps.queue()
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=missing_topic(topic), Protocol='sqs', Endpoint=qarn)
    assert error_code(e) == 'NotFound'


# A protocol SNS does not know is InvalidParameter.
def test_subscribe_unknown_protocol(sns, topic, moto):
    skip_on_moto(moto, 'moto accepts any protocol')
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol='carrier-pigeon', Endpoint='coop-1')
    assert error_code(e) == 'InvalidParameter'


# FIFO topics deliver to SQS queues only: any other protocol is InvalidParameter, worded as an
# unknown protocol, and nothing is subscribed.
@pytest.mark.parametrize('protocol,endpoint', [('http', 'http://127.0.0.1:9/fifo'), ('email', 'someone@example.com'),
                                               ('email-json', 'someone@example.com')])
def test_fifo_topic_refuses_non_sqs_protocols(sns, ps, moto, protocol, endpoint):
    skip_on_moto(moto, 'moto subscribes any protocol to a FIFO topic')
    fifo = ps.topic(fifo=True)
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=fifo, Protocol=protocol, Endpoint=endpoint)
    assert error_code(e) == 'InvalidParameter'
    assert e.value.response['Error']['Message'] == 'Invalid parameter: Invalid protocol type: ' + protocol
    assert sns.list_subscriptions_by_topic(TopicArn=fifo)['Subscriptions'] == []


# --- Subscribe: protocols that need confirmation -----------------------------------------------

# http, https, email and email-json subscriptions wait for confirmation: the result is the
# literal "pending confirmation".
@pytest.mark.parametrize('protocol,endpoint', [
    ('http', PENDING_HTTP), ('https', 'https://127.0.0.1:9/sns-endpoint'),
    ('email', 'someone@example.com'), ('email-json', 'someone-json@example.com')])
def test_subscribe_pending_confirmation(sns, topic, moto, protocol, endpoint):
    skip_on_moto(moto, 'moto confirms every subscription at once')
    r = sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint)
    assert r['SubscriptionArn'] == 'pending confirmation'


# With ReturnSubscriptionArn=true a pending subscription's ARN comes back; it says it is pending.
@pytest.mark.parametrize('protocol,endpoint', [('http', PENDING_HTTP), ('email', 'someone@example.com')])
def test_subscribe_pending_return_subscription_arn(sns, topic, moto, protocol, endpoint):
    skip_on_moto(moto, 'moto confirms every subscription at once')
    arn = sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint,
                        ReturnSubscriptionArn=True)['SubscriptionArn']
    assert re.match('^' + re.escape(topic) + ':' + UUID + '$', arn), arn
    a = sub_attributes(sns, arn)
    assert a['PendingConfirmation'] == 'true'
    assert a['ConfirmationWasAuthenticated'] == 'false'
    assert a['Protocol'] == protocol
    assert a['Endpoint'] == endpoint


# A pending subscription is listed with SubscriptionArn "PendingConfirmation".
def test_list_shows_pending_confirmation(sns, topic, moto):
    skip_on_moto(moto, 'moto confirms every subscription at once')
    sns.subscribe(TopicArn=topic, Protocol='http', Endpoint=PENDING_HTTP)
    subs = by_topic(sns, topic)
    assert [(s['SubscriptionArn'], s['Protocol'], s['Endpoint']) for s in subs] == \
        [('PendingConfirmation', 'http', PENDING_HTTP)]


# An https subscription needs an https:// URL, an http one an http:// URL.
@pytest.mark.parametrize('protocol,endpoint', [('https', 'http://example.com/x'), ('http', 'https://example.com/x'),
                                               ('http', 'ftp://example.com/x'), ('http', 'not a url')])
def test_subscribe_http_endpoint_mismatch(sns, topic, moto, protocol, endpoint):
    skip_on_moto(moto, 'moto does not check http endpoints')
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint)
    assert error_code(e) == 'InvalidParameter'


# An email endpoint must be an address.
@pytest.mark.parametrize('protocol', ['email', 'email-json'])
def test_subscribe_email_invalid_address(sns, topic, moto, protocol):
    skip_on_moto(moto, 'moto does not check email endpoints')
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint='not-an-address')
    assert error_code(e) == 'InvalidParameter'


# Raw message delivery does not exist for email: InvalidParameter.
def test_subscribe_email_raw_delivery(sns, topic, moto):
    skip_on_moto(moto, 'moto accepts any attribute')
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol='email', Endpoint='someone@example.com',
                      Attributes={'RawMessageDelivery': 'true'})
    assert error_code(e) == 'InvalidParameter'


# --- Subscribe attributes ---------------------------------------------------------------------

# RawMessageDelivery given at Subscribe is stored.
def test_subscribe_with_raw_message_delivery(ps, sns, topic):
    _, qarn = ps.queue()
    arn = ps.subscribe_queue(topic, qarn, RawMessageDelivery='true')
    assert sub_attributes(sns, arn)['RawMessageDelivery'] == 'true'


# A FilterPolicy given at Subscribe is stored, with the default scope MessageAttributes.
def test_subscribe_with_filter_policy(ps, sns, topic):
    _, qarn = ps.queue()
    policy = {'color': ['red', 'blue'], 'size': [{'numeric': ['>', 3]}]}
    arn = ps.subscribe_queue(topic, qarn, FilterPolicy=json.dumps(policy))
    a = sub_attributes(sns, arn)
    assert json.loads(a['FilterPolicy']) == policy
    assert a['FilterPolicyScope'] == 'MessageAttributes'


# FilterPolicyScope=MessageBody given at Subscribe is stored with its (nested) policy.
def test_subscribe_with_filter_policy_scope(ps, sns, topic):
    _, qarn = ps.queue()
    policy = {'order': {'status': ['paid']}}
    arn = ps.subscribe_queue(topic, qarn, FilterPolicy=json.dumps(policy), FilterPolicyScope='MessageBody')
    a = sub_attributes(sns, arn)
    assert json.loads(a['FilterPolicy']) == policy
    assert a['FilterPolicyScope'] == 'MessageBody'


# A RedrivePolicy given at Subscribe is stored.
def test_subscribe_with_redrive_policy(ps, sns, topic):
    _, qarn = ps.queue()
    _, dlq = ps.queue('dlq')
    arn = ps.subscribe_queue(topic, qarn, RedrivePolicy=json.dumps({'deadLetterTargetArn': dlq}))
    assert json.loads(sub_attributes(sns, arn)['RedrivePolicy']) == {'deadLetterTargetArn': dlq}


# A RedrivePolicy whose target is not an ARN is InvalidParameter.
def test_subscribe_redrive_policy_bad_arn(ps, sns, topic, moto):
    skip_on_moto(moto, 'moto does not check the redrive policy')
    _, qarn = ps.queue()
    with pytest.raises(ClientError) as e:
        ps.subscribe_queue(topic, qarn, RedrivePolicy=json.dumps({'deadLetterTargetArn': 'not-an-arn'}))
    assert error_code(e) == 'InvalidParameter'


# RawMessageDelivery must be true or false.
def test_subscribe_raw_message_delivery_bad_value(ps, topic, moto):
    skip_on_moto(moto, 'moto accepts any value')
    _, qarn = ps.queue()
    with pytest.raises(ClientError) as e:
        ps.subscribe_queue(topic, qarn, RawMessageDelivery='yes')
    assert error_code(e) == 'InvalidParameter'


# An attribute name Subscribe does not know is InvalidParameter.
def test_subscribe_unknown_attribute(ps, topic):
    _, qarn = ps.queue()
    with pytest.raises(ClientError) as e:
        ps.subscribe_queue(topic, qarn, NoSuchAttribute='x')
    assert error_code(e) == 'InvalidParameter'


# --- GetSubscriptionAttributes ----------------------------------------------------------------

# An SQS subscription's attributes: who, what, where, confirmed and authenticated, not raw.
def test_get_subscription_attributes_sqs(ps, sns, topic):
    _, qarn = ps.queue()
    arn = ps.subscribe_queue(topic, qarn)
    a = sub_attributes(sns, arn)
    assert a['SubscriptionArn'] == arn
    assert a['TopicArn'] == topic
    assert a['Owner'] == topic.split(':')[4]
    assert a['Protocol'] == 'sqs'
    assert a['Endpoint'] == qarn
    assert a['PendingConfirmation'] == 'false'
    assert a['ConfirmationWasAuthenticated'] == 'true'
    assert a['RawMessageDelivery'] == 'false'
    assert 'FilterPolicy' not in a


# An SQS subscription also reports its EffectiveDeliveryPolicy, a JSON document.
def test_get_subscription_attributes_effective_delivery_policy(ps, sns, topic, moto):
    skip_on_moto(moto, 'moto reports it for http subscriptions only')
    _, qarn = ps.queue()
    arn = ps.subscribe_queue(topic, qarn)
    assert isinstance(json.loads(sub_attributes(sns, arn)['EffectiveDeliveryPolicy']), dict)


# GetSubscriptionAttributes of a subscription that does not exist is NotFound.
def test_get_subscription_attributes_unknown(sns, topic):
    with pytest.raises(ClientError) as e:
        sns.get_subscription_attributes(SubscriptionArn=topic + ':0a1b2c3d-0000-4000-8000-000000000000')
    assert error_code(e) == 'NotFound'
    assert e.value.response['ResponseMetadata']['HTTPStatusCode'] == 404


# --- SetSubscriptionAttributes ----------------------------------------------------------------

# RawMessageDelivery can be switched on and off.
def test_set_raw_message_delivery(ps, sns, topic):
    _, qarn = ps.queue()
    arn = ps.subscribe_queue(topic, qarn)
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName='RawMessageDelivery', AttributeValue='true')
    assert sub_attributes(sns, arn)['RawMessageDelivery'] == 'true'
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName='RawMessageDelivery', AttributeValue='false')
    assert sub_attributes(sns, arn)['RawMessageDelivery'] == 'false'


# A FilterPolicy set later is stored; FilterPolicyScope then reads MessageAttributes.
def test_set_filter_policy(ps, sns, topic):
    _, qarn = ps.queue()
    arn = ps.subscribe_queue(topic, qarn)
    policy = {'event': [{'prefix': 'order.'}]}
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName='FilterPolicy',
                                    AttributeValue=json.dumps(policy))
    a = sub_attributes(sns, arn)
    assert json.loads(a['FilterPolicy']) == policy
    assert a['FilterPolicyScope'] == 'MessageAttributes'


# FilterPolicyScope can be changed to MessageBody and the policy replaced with a nested one.
def test_set_filter_policy_scope(ps, sns, topic):
    _, qarn = ps.queue()
    arn = ps.subscribe_queue(topic, qarn, FilterPolicy=json.dumps({'a': ['x']}))
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName='FilterPolicyScope',
                                    AttributeValue='MessageBody')
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName='FilterPolicy',
                                    AttributeValue=json.dumps({'a': {'b': ['x']}}))
    a = sub_attributes(sns, arn)
    assert a['FilterPolicyScope'] == 'MessageBody'
    assert json.loads(a['FilterPolicy']) == {'a': {'b': ['x']}}


# A RedrivePolicy set later is stored.
def test_set_redrive_policy(ps, sns, topic):
    _, qarn = ps.queue()
    _, dlq = ps.queue('dlq')
    arn = ps.subscribe_queue(topic, qarn)
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName='RedrivePolicy',
                                    AttributeValue=json.dumps({'deadLetterTargetArn': dlq}))
    assert json.loads(sub_attributes(sns, arn)['RedrivePolicy'])['deadLetterTargetArn'] == dlq


# Read-only or unknown attribute names are InvalidParameter.
@pytest.mark.parametrize('name', ['NoSuchAttribute', 'Protocol', 'Endpoint'])
def test_set_subscription_attribute_invalid_name(ps, sns, topic, name):
    _, qarn = ps.queue()
    arn = ps.subscribe_queue(topic, qarn)
    with pytest.raises(ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName=name, AttributeValue='x')
    assert error_code(e) == 'InvalidParameter'


# RawMessageDelivery must be true or false.
def test_set_raw_message_delivery_bad_value(ps, sns, topic, moto):
    skip_on_moto(moto, 'moto accepts any value')
    _, qarn = ps.queue()
    arn = ps.subscribe_queue(topic, qarn)
    with pytest.raises(ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName='RawMessageDelivery',
                                        AttributeValue='maybe')
    assert error_code(e) == 'InvalidParameter'


# SetSubscriptionAttributes on a subscription that does not exist is NotFound.
def test_set_subscription_attributes_unknown(sns, topic):
    with pytest.raises(ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=topic + ':0a1b2c3d-0000-4000-8000-000000000000',
                                        AttributeName='RawMessageDelivery', AttributeValue='true')
    assert error_code(e) == 'NotFound'


# --- Unsubscribe ------------------------------------------------------------------------------

# After Unsubscribe the subscription is gone: not listed, attributes NotFound.
def test_unsubscribe(ps, sns, topic):
    _, qarn = ps.queue()
    arn = ps.subscribe_queue(topic, qarn)
    sns.unsubscribe(SubscriptionArn=arn)
    assert by_topic(sns, topic) == []
    assert arn not in [s['SubscriptionArn'] for s in list_all(sns, 'list_subscriptions')[0]]
    with pytest.raises(ClientError) as e:
        sns.get_subscription_attributes(SubscriptionArn=arn)
    assert error_code(e) == 'NotFound'


# Unsubscribe is idempotent: a second call for the same ARN succeeds.
def test_unsubscribe_twice(ps, sns, topic):
    _, qarn = ps.queue()
    arn = ps.subscribe_queue(topic, qarn)
    sns.unsubscribe(SubscriptionArn=arn)
    sns.unsubscribe(SubscriptionArn=arn)


# A SubscriptionArn that is not an ARN is InvalidParameter.
def test_unsubscribe_malformed_arn(sns, moto):
    skip_on_moto(moto, 'moto accepts anything')
    with pytest.raises(ClientError) as e:
        sns.unsubscribe(SubscriptionArn='not-an-arn')
    assert error_code(e) == 'InvalidParameter'


# After unsubscribing, subscribing the same queue again makes a new subscription.
def test_resubscribe_after_unsubscribe(ps, sns, topic):
    _, qarn = ps.queue()
    first = ps.subscribe_queue(topic, qarn)
    sns.unsubscribe(SubscriptionArn=first)
    second = ps.subscribe_queue(topic, qarn)
    assert second != first
    assert [s['SubscriptionArn'] for s in by_topic(sns, topic)] == [second]


# Deleting a topic deletes its subscriptions.
def test_delete_topic_removes_subscriptions(ps, sns):
    topic = ps.topic()
    _, qarn = ps.queue()
    arn = ps.subscribe_queue(topic, qarn)
    sns.delete_topic(TopicArn=topic)

    def gone():
        assert arn not in [s['SubscriptionArn'] for s in list_all(sns, 'list_subscriptions')[0]]
    eventually(gone, timeout=60)


# --- ListSubscriptions / ListSubscriptionsByTopic ---------------------------------------------

# ListSubscriptionsByTopic describes each subscription: ARN, owner, protocol, endpoint, topic.
def test_list_subscriptions_by_topic_fields(ps, sns, topic):
    _, q1 = ps.queue()
    _, q2 = ps.queue()
    s1, s2 = ps.subscribe_queue(topic, q1), ps.subscribe_queue(topic, q2)
    owner = topic.split(':')[4]
    got = sorted(by_topic(sns, topic), key=lambda s: s['SubscriptionArn'])
    want = sorted([{'SubscriptionArn': s1, 'Owner': owner, 'Protocol': 'sqs', 'Endpoint': q1, 'TopicArn': topic},
                   {'SubscriptionArn': s2, 'Owner': owner, 'Protocol': 'sqs', 'Endpoint': q2, 'TopicArn': topic}],
                  key=lambda s: s['SubscriptionArn'])
    assert got == want


# ListSubscriptionsByTopic lists only that topic's subscriptions.
def test_list_subscriptions_by_topic_only_that_topic(ps, sns):
    t1, t2 = ps.topic(), ps.topic()
    _, qarn = ps.queue()
    s1 = ps.subscribe_queue(t1, qarn)
    ps.subscribe_queue(t2, qarn)
    assert [s['SubscriptionArn'] for s in by_topic(sns, t1)] == [s1]


# A topic without subscriptions lists none.
def test_list_subscriptions_by_topic_empty(sns, topic):
    r = sns.list_subscriptions_by_topic(TopicArn=topic)
    assert r['Subscriptions'] == []
    assert not r.get('NextToken')


# ListSubscriptionsByTopic of a topic that does not exist is NotFound.
def test_list_subscriptions_by_topic_unknown(sns, topic):
    with pytest.raises(ClientError) as e:
        sns.list_subscriptions_by_topic(TopicArn=missing_topic(topic))
    assert error_code(e) == 'NotFound'


# ListSubscriptions includes new subscriptions of every topic with the same fields.
def test_list_subscriptions_includes_new(ps, sns, topic):
    _, qarn = ps.queue()
    arn = ps.subscribe_queue(topic, qarn)
    subs = {s['SubscriptionArn']: s for s in list_all(sns, 'list_subscriptions')[0]}
    assert subs[arn] == {'SubscriptionArn': arn, 'Owner': topic.split(':')[4], 'Protocol': 'sqs',
                         'Endpoint': qarn, 'TopicArn': topic}


# Both list operations page by at most 100 with NextToken and list each subscription once.
@pytest.mark.slow
def test_list_subscriptions_paging(ps, sns, topic):
    mine = set()
    for _ in range(101):
        _, qarn = ps.queue('page')
        mine.add(ps.subscribe_queue(topic, qarn))
    subs, sizes = list_all(sns, 'list_subscriptions_by_topic', TopicArn=topic)
    arns = [s['SubscriptionArn'] for s in subs]
    assert sizes[0] == 100 and len(sizes) == 2, sizes
    assert sorted(arns) == sorted(mine)
    subs, sizes = list_all(sns, 'list_subscriptions')
    arns = [s['SubscriptionArn'] for s in subs]
    assert len(sizes) >= 2 and all(n <= 100 for n in sizes), sizes
    assert len([a for a in arns if a != 'PendingConfirmation']) == len(set(arns) - {'PendingConfirmation'})
    assert mine <= set(arns)
