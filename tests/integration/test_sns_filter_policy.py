"""SNS subscription filter policies on SQS subscriptions, written to AWS SNS's documented behaviour
(aws-reference.md 5.5 and the SNS developer guide's matching pages): a table of matching and
non-matching messages for every operator (exact string and number, prefix, suffix,
equals-ignore-case, anything-but with lists, prefix and suffix, numeric equality and ranges,
exists, cidr, $or, AND across keys, String.Array attributes, nested keys with
FilterPolicyScope=MessageBody), changing and removing a policy, and invalid policies.

Each table case gets its own topic, queue and raw-delivery subscription with the policy, publishes
its messages, and checks that exactly the matching ones arrive.
"""

import json
import time

import pytest
from botocore.exceptions import ClientError

from sqs_common import moto, skip_on_moto, sqs  # noqa: F401  (moto and sqs are fixtures)
from sns_common import ps, sns  # noqa: F401  (fixtures)
from util import error_code, unique_table_name






def message_attributes(spec):
    """{'k': 'v'} String, {'k': 5} Number, {'k': ['a']} String.Array, {'k': b''} Binary,
    {'k': ('Number', '3.015e2')} an explicit type and text."""
    out = {}
    for name, v in spec.items():
        if isinstance(v, tuple):
            out[name] = {'DataType': v[0], 'StringValue': v[1]}
        elif isinstance(v, bytes):
            out[name] = {'DataType': 'Binary', 'BinaryValue': v}
        elif isinstance(v, list):
            out[name] = {'DataType': 'String.Array', 'StringValue': json.dumps(v)}
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[name] = {'DataType': 'Number', 'StringValue': repr(v)}
        else:
            out[name] = {'DataType': 'String', 'StringValue': v}
    return out


def received_bodies(sqs, url, expected, timeout=10.0):
    """Bodies that arrived: receive until `expected` came (bounded), then one more empty poll."""
    got = []
    deadline = time.monotonic() + timeout
    for _ in range(200):
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get('Messages', [])
        for m in msgs:
            got.append(m['Body'])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m['ReceiptHandle'])
        if len(got) >= expected and not msgs:
            break
        if time.monotonic() > deadline:
            break
    return sorted(got)


def check_attribute_cases(ps, policy, cases):
    """Publish one message per (attributes, should_match) case; exactly the matching ones arrive."""
    topic, url, _ = ps.filtered(policy)
    want = []
    for i, (spec, should_match) in enumerate(cases):
        body = 'case-%02d %s' % (i, json.dumps(spec, default=repr, sort_keys=True))
        kwargs = {'MessageAttributes': message_attributes(spec)} if spec else {}
        ps.sns.publish(TopicArn=topic, Message=body, **kwargs)
        if should_match:
            want.append(body)
    assert received_bodies(ps.sqs, url, len(want)) == sorted(want)


def check_body_cases(ps, policy, cases):
    """Publish each (body, should_match) case (dicts are sent as JSON) with MessageBody scope."""
    topic, url, _ = ps.filtered(policy, scope='MessageBody')
    want = []
    for body, should_match in cases:
        text = body if isinstance(body, str) else json.dumps(body)
        ps.sns.publish(TopicArn=topic, Message=text)
        if should_match:
            want.append(text)
    assert received_bodies(ps.sqs, url, len(want)) == sorted(want)


# --- Attribute scope (the default): one policy, its matching and non-matching messages ---------

# (policy, [(message attributes, should it be delivered)])
ATTRIBUTE_CASES = {
    # Values in a key's list OR together; matching is case-sensitive; a missing attribute fails.
    'exact_string': ({'color': ['red', 'blue']}, [
        ({'color': 'red'}, True), ({'color': 'blue'}, True), ({'color': 'green'}, False),
        ({'color': 'Red'}, False), ({'color': 'reds'}, False), ({'other': 'red'}, False), ({}, False)]),
    # A number in the list matches a Number attribute of that value.
    'exact_number': ({'size': [5]}, [
        ({'size': 5}, True), ({'size': 6}, False), ({}, False)]),
    'prefix': ({'sport': [{'prefix': 'bas'}]}, [
        ({'sport': 'baseball'}, True), ({'sport': 'basketball'}, True), ({'sport': 'rugby'}, False),
        ({'sport': 'Baseball'}, False), ({}, False)]),
    'suffix': ({'sport': [{'suffix': 'ball'}]}, [
        ({'sport': 'baseball'}, True), ({'sport': 'football'}, True), ({'sport': 'rugby'}, False),
        ({'sport': 'footBALL'}, False), ({}, False)]),
    'equals_ignore_case': ({'color': [{'equals-ignore-case': 'ReD'}]}, [
        ({'color': 'red'}, True), ({'color': 'RED'}, True), ({'color': 'reds'}, False),
        ({'color': 'blue'}, False), ({}, False)]),
    # anything-but needs the attribute to be there.
    'anything_but_list': ({'sport': [{'anything-but': ['rugby', 'tennis']}]}, [
        ({'sport': 'baseball'}, True), ({'sport': 'football'}, True), ({'sport': 'rugby'}, False),
        ({'sport': 'tennis'}, False), ({}, False)]),
    'anything_but_single': ({'sport': [{'anything-but': 'rugby'}]}, [
        ({'sport': 'tennis'}, True), ({'sport': 'rugby'}, False), ({}, False)]),
    'anything_but_numbers': ({'price': [{'anything-but': [100, 500]}]}, [
        ({'price': 101}, True), ({'price': 100.1}, True), ({'price': 100}, False), ({'price': 500}, False),
        ({}, False)]),
    'anything_but_prefix': ({'event': [{'anything-but': {'prefix': 'order-'}}]}, [
        ({'event': 'data-entry'}, True), ({'event': 'order_number'}, True), ({'event': 'order-cancelled'}, False),
        ({}, False)]),
    'anything_but_suffix': ({'event': [{'anything-but': {'suffix': '-test'}}]}, [
        ({'event': 'deploy-prod'}, True), ({'event': 'deploy-test'}, False), ({}, False)]),
    # anything-but OR exists:false also lets messages without the attribute through.
    'anything_but_or_missing': ({'sport': [{'anything-but': ['rugby']}, {'exists': False}]}, [
        ({'sport': 'golf'}, True), ({'other': 'x'}, True), ({'sport': 'rugby'}, False)]),
    'numeric_equals': ({'price': [{'numeric': ['=', 301.5]}]}, [
        ({'price': ('Number', '301.5')}, True), ({'price': ('Number', '3.015e2')}, True),
        ({'price': ('Number', '301.50')}, True), ({'price': 301}, False), ({}, False)]),
    'numeric_range': ({'price': [{'numeric': ['>', 0, '<=', 150]}]}, [
        ({'price': 0.5}, True), ({'price': 150}, True), ({'price': 100}, True), ({'price': 0}, False),
        ({'price': 151}, False), ({'price': -5}, False), ({}, False)]),
    'numeric_less_than': ({'price': [{'numeric': ['<', 10]}]}, [
        ({'price': 9.99999}, True), ({'price': -1000}, True), ({'price': 10}, False), ({'price': 11}, False)]),
    'numeric_at_least': ({'price': [{'numeric': ['>=', 10]}]}, [
        ({'price': 10}, True), ({'price': 10.5}, True), ({'price': 9.5}, False)]),
    'exists_true': ({'store': [{'exists': True}]}, [
        ({'store': 'anything'}, True), ({'store': 7}, True), ({'store': ['a']}, True), ({'other': 'x'}, False),
        ({}, False)]),
    'exists_false': ({'store': [{'exists': False}]}, [
        ({'other': 'x'}, True), ({'store': 'anything'}, False)]),
    'cidr': ({'source_ip': [{'cidr': '10.0.0.0/24'}]}, [
        ({'source_ip': '10.0.0.0'}, True), ({'source_ip': '10.0.0.255'}, True), ({'source_ip': '10.1.1.0'}, False),
        ({'source_ip': '10.0.1.0'}, False), ({}, False)]),
    # Keys AND together; attributes the policy does not name are ignored.
    'and_across_keys': ({'store': ['example_corp'], 'event': ['order_placed']}, [
        ({'store': 'example_corp', 'event': 'order_placed'}, True),
        ({'store': 'example_corp', 'event': 'order_placed', 'extra': 'x'}, True),
        ({'store': 'example_corp'}, False), ({'event': 'order_placed'}, False),
        ({'store': 'example_corp', 'event': 'order_cancelled'}, False)]),
    # Exact values and operators mix within one key's list (OR).
    'mixed_list': ({'k': ['exact', {'prefix': 'pre-'}, {'numeric': ['>', 100]}]}, [
        ({'k': 'exact'}, True), ({'k': 'pre-x'}, True), ({'k': 101}, True), ({'k': 'other'}, False),
        ({'k': 50}, False)]),
    '$or': ({'source': ['aws.cloudwatch'], '$or': [{'metricName': ['CPUUtilization']}, {'namespace': ['AWS/EC2']}]}, [
        ({'source': 'aws.cloudwatch', 'metricName': 'CPUUtilization'}, True),
        ({'source': 'aws.cloudwatch', 'namespace': 'AWS/EC2'}, True),
        ({'source': 'aws.cloudwatch', 'metricName': 'Disk', 'namespace': 'AWS/EC2'}, True),
        ({'source': 'aws.cloudwatch'}, False),
        ({'metricName': 'CPUUtilization', 'namespace': 'AWS/EC2'}, False)]),
    # A String.Array attribute matches when any element matches.
    'string_array': ({'interests': ['rugby', 'tennis']}, [
        ({'interests': ['rugby', 'soccer']}, True), ({'interests': ['tennis']}, True),
        ({'interests': ['baseball']}, False), ({'interests': ['Rugby']}, False)]),
    'string_array_prefix': ({'interests': [{'prefix': 'bas'}]}, [
        ({'interests': ['rugby', 'basketball']}, True), ({'interests': ['rugby']}, False)]),
    # Binary attributes are ignored by filtering.
    'binary_ignored': ({'blob': ['x']}, [
        ({'blob': b'x'}, False), ({'blob': 'x'}, True)]),
}

MOTO_GAPS = {
    'anything_but_suffix': 'moto has no anything-but suffix',
    'anything_but_or_missing': 'moto does not combine anything-but with exists:false',
    'cidr': 'moto has no cidr operator',
    'equals_ignore_case': 'moto lower-cases only the attribute, not the policy value',
    'string_array_prefix': 'moto applies prefix to String attributes only',
}


# Each operator delivers exactly the messages it matches.
@pytest.mark.parametrize('case', sorted(ATTRIBUTE_CASES))
def test_attribute_policy(ps, moto, case):
    if case in MOTO_GAPS:
        skip_on_moto(moto, MOTO_GAPS[case])
    policy, cases = ATTRIBUTE_CASES[case]
    check_attribute_cases(ps, policy, cases)


# (exists:false and a message with no attributes at all: AWS's key-matching page says an empty set
# of attributes does not match, and runnel follows it; no test here, as no capture confirms it.)


# --- Body scope -------------------------------------------------------------------------------

BODY_CASES = {
    # Nested keys name nested properties; a body that is not a JSON object never matches.
    'nested': ({'store': {'city': ['paris', 'rome']}}, [
        ({'store': {'city': 'paris'}}, True), ({'store': {'city': 'rome', 'n': 1}}, True),
        ({'store': {'city': 'oslo'}}, False), ({'city': 'paris'}, False), ({'store': 'paris'}, False),
        ('paris', False), ('not json at all', False)]),
    # An array in the body matches when any element matches.
    'array_in_body': ({'tags': ['a']}, [
        ({'tags': ['b', 'a']}, True), ({'tags': 'a'}, True), ({'tags': ['b']}, False), ({}, False)]),
    # Numeric operators need JSON numbers in the body.
    'numeric': ({'order': {'total': [{'numeric': ['>', 100]}]}}, [
        ({'order': {'total': 150}}, True), ({'order': {'total': 100.5}}, True), ({'order': {'total': 50}}, False),
        ({'order': {'total': '150'}}, False)]),
    'operators': ({'event': [{'prefix': 'order.'}], 'region': [{'equals-ignore-case': 'EU-West-1'}],
                   'status': [{'anything-but': ['test']}]}, [
        ({'event': 'order.paid', 'region': 'eu-west-1', 'status': 'live'}, True),
        ({'event': 'order.paid', 'region': 'EU-WEST-1', 'status': 'live', 'x': 1}, True),
        ({'event': 'refund.paid', 'region': 'eu-west-1', 'status': 'live'}, False),
        ({'event': 'order.paid', 'region': 'us-east-1', 'status': 'live'}, False),
        ({'event': 'order.paid', 'region': 'eu-west-1', 'status': 'test'}, False),
        ({'event': 'order.paid', 'region': 'eu-west-1'}, False)]),
    'exists_nested': ({'detail': {'error': [{'exists': False}], 'id': [{'exists': True}]}}, [
        ({'detail': {'id': 1}}, True), ({'detail': {'id': 1, 'error': 'x'}}, False), ({'detail': {}}, False)]),
    '$or': ({'$or': [{'a': {'b': ['x']}}, {'c': [{'numeric': ['<', 0]}]}]}, [
        ({'a': {'b': 'x'}}, True), ({'c': -1}, True), ({'a': {'b': 'y'}, 'c': 1}, False)]),
}


MOTO_BODY_GAPS = {
    'numeric': 'moto fails with an internal error on a string where a number is expected',
    'operators': 'moto lower-cases only the body value, not the policy value',
    '$or': 'moto fails with an internal error',
}


# Each body policy delivers exactly the messages whose JSON body matches.
@pytest.mark.parametrize('case', sorted(BODY_CASES))
def test_body_policy(ps, moto, case):
    if case in MOTO_BODY_GAPS:
        skip_on_moto(moto, MOTO_BODY_GAPS[case])
    policy, cases = BODY_CASES[case]
    check_body_cases(ps, policy, cases)


# With MessageBody scope the message attributes do not count.
def test_body_scope_ignores_attributes(ps, sns, sqs):
    topic, url, _ = ps.filtered({'kind': ['a']}, scope='MessageBody')
    sns.publish(TopicArn=topic, Message=json.dumps({'kind': 'b'}),
                MessageAttributes=message_attributes({'kind': 'a'}))
    sns.publish(TopicArn=topic, Message=json.dumps({'kind': 'a'}),
                MessageAttributes=message_attributes({'kind': 'b'}))
    assert received_bodies(sqs, url, 1) == [json.dumps({'kind': 'a'})]


# With the default scope the body does not count.
def test_attribute_scope_ignores_body(ps, sns, sqs):
    topic, url, _ = ps.filtered({'kind': ['a']})
    sns.publish(TopicArn=topic, Message=json.dumps({'kind': 'a'}))
    sns.publish(TopicArn=topic, Message='attr', MessageAttributes=message_attributes({'kind': 'a'}))
    assert received_bodies(sqs, url, 1) == ['attr']


# The envelope (non-raw) delivery is filtered the same way.
def test_filter_applies_to_enveloped_delivery(ps, sns, sqs):
    topic = ps.topic()
    url, qarn = ps.queue()
    sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=qarn, Attributes={'FilterPolicy': json.dumps({'k': ['v']})})
    sns.publish(TopicArn=topic, Message='no', MessageAttributes=message_attributes({'k': 'w'}))
    sns.publish(TopicArn=topic, Message='yes', MessageAttributes=message_attributes({'k': 'v'}))
    assert [json.loads(b)['Message'] for b in received_bodies(sqs, url, 1)] == ['yes']


# Two subscriptions of one topic each get what their own policy matches.
def test_policies_are_per_subscription(ps, sns, sqs):
    topic = ps.topic()
    (u1, a1), (u2, a2), (u3, a3) = ps.queue(), ps.queue(), ps.queue()
    sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=a1,
                  Attributes={'RawMessageDelivery': 'true', 'FilterPolicy': json.dumps({'c': ['red']})})
    sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=a2,
                  Attributes={'RawMessageDelivery': 'true', 'FilterPolicy': json.dumps({'c': ['blue']})})
    sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=a3, Attributes={'RawMessageDelivery': 'true'})
    for c in ('red', 'blue', 'green'):
        sns.publish(TopicArn=topic, Message=c, MessageAttributes=message_attributes({'c': c}))
    assert received_bodies(sqs, u1, 1) == ['red']
    assert received_bodies(sqs, u2, 1) == ['blue']
    assert received_bodies(sqs, u3, 3) == ['blue', 'green', 'red']


# PublishBatch entries are filtered one by one.
def test_filter_applies_to_publish_batch(ps, sns, sqs):
    topic, url, _ = ps.filtered({'k': ['v']})
    sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {'Id': 'a', 'Message': 'keep', 'MessageAttributes': message_attributes({'k': 'v'})},
        {'Id': 'b', 'Message': 'drop', 'MessageAttributes': message_attributes({'k': 'w'})},
        {'Id': 'c', 'Message': 'drop too'}])
    assert received_bodies(sqs, url, 1) == ['keep']


# --- Changing and removing a policy -----------------------------------------------------------

# A policy set with SetSubscriptionAttributes applies to later publishes.
def test_set_filter_policy_applies(ps, sns, sqs):
    topic, url, sub = ps.filtered()
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName='FilterPolicy',
                                    AttributeValue=json.dumps({'k': ['v']}))
    sns.publish(TopicArn=topic, Message='drop', MessageAttributes=message_attributes({'k': 'w'}))
    sns.publish(TopicArn=topic, Message='keep', MessageAttributes=message_attributes({'k': 'v'}))
    assert received_bodies(sqs, url, 1) == ['keep']


# Switching the scope to MessageBody makes the same policy look at the body.
def test_set_filter_policy_scope_applies(ps, sns, sqs, moto):
    skip_on_moto(moto, 'moto keeps matching with the old scope')
    topic, url, sub = ps.filtered({'k': ['v']})
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName='FilterPolicyScope',
                                    AttributeValue='MessageBody')
    sns.publish(TopicArn=topic, Message='attr only', MessageAttributes=message_attributes({'k': 'v'}))
    sns.publish(TopicArn=topic, Message=json.dumps({'k': 'v'}))
    assert received_bodies(sqs, url, 1) == [json.dumps({'k': 'v'})]


# Overwriting the policy with {} removes it: every message is delivered again.
def test_empty_policy_removes_filter(ps, sns, sqs):
    topic, url, sub = ps.filtered({'k': ['v']})
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName='FilterPolicy', AttributeValue='{}')
    sns.publish(TopicArn=topic, Message='no attributes')
    sns.publish(TopicArn=topic, Message='other', MessageAttributes=message_attributes({'k': 'w'}))
    assert received_bodies(sqs, url, 2) == ['no attributes', 'other']


# --- Invalid policies -------------------------------------------------------------------------

INVALID_POLICIES = {
    'not_json': '{"k": ["v"]',
    'not_an_object': '["v"]',
    'value_not_a_list': '{"k": "v"}',
    'empty_list': '{"k": []}',
    'unknown_operator': '{"k": [{"regex": "v.*"}]}',
    'prefix_not_string': '{"k": [{"prefix": 5}]}',
    'numeric_bad_operator': '{"k": [{"numeric": ["<>", 1]}]}',
    'numeric_not_number': '{"k": [{"numeric": [">", "ten"]}]}',
    'numeric_range_inverted': '{"k": [{"numeric": [">", 10, "<", 5]}]}',
    'numeric_range_wrong_order': '{"k": [{"numeric": ["<", 5, ">", 1]}]}',
    'exists_not_boolean': '{"k": [{"exists": "yes"}]}',
    'cidr_bad_mask': '{"k": [{"cidr": "10.0.0.0/33"}]}',
    'cidr_not_an_address': '{"k": [{"cidr": "ten.zero"}]}',
    'nested_list_value': '{"k": [["a"]]}',
    'nested_in_attribute_scope': '{"a": {"b": ["x"]}}',
    'six_keys': json.dumps({'k%d' % i: ['v'] for i in range(6)}),
    'too_many_combinations': json.dumps({'a': ['v%d' % i for i in range(10)], 'b': ['w%d' % i for i in range(16)]}),
}

MOTO_INVALID_GAPS = {
    'not_json': 'moto fails with an internal error',
    'not_an_object': 'moto fails with an internal error',
    'empty_list': 'moto accepts it',
    'prefix_not_string': 'moto accepts it',
}


# An invalid policy at Subscribe is InvalidParameter and makes no subscription.
@pytest.mark.parametrize('case', sorted(INVALID_POLICIES))
def test_invalid_policy_at_subscribe(ps, sns, moto, case):
    if case in MOTO_INVALID_GAPS:
        skip_on_moto(moto, MOTO_INVALID_GAPS[case])
    topic = ps.topic()
    _, qarn = ps.queue()
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=qarn,
                      Attributes={'FilterPolicy': INVALID_POLICIES[case]})
    assert error_code(e) == 'InvalidParameter'
    if not moto:   # moto subscribes first and checks the policy afterwards
        assert sns.list_subscriptions_by_topic(TopicArn=topic)['Subscriptions'] == []


# An invalid policy at SetSubscriptionAttributes is InvalidParameter; the old policy stays.
@pytest.mark.parametrize('case', ['value_not_a_list', 'unknown_operator', 'numeric_range_inverted', 'six_keys',
                                  'nested_in_attribute_scope', 'not_json'])
def test_invalid_policy_at_set(ps, sns, moto, case):
    if case in MOTO_INVALID_GAPS:
        skip_on_moto(moto, MOTO_INVALID_GAPS[case])
    _, _, sub = ps.filtered({'k': ['v']})
    with pytest.raises(ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName='FilterPolicy',
                                        AttributeValue=INVALID_POLICIES[case])
    assert error_code(e) == 'InvalidParameter'
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)['Attributes']
    assert json.loads(attrs['FilterPolicy']) == {'k': ['v']}


# Five keys are the most a policy may have, and 150 combinations the most it may make.
def test_policy_at_the_limits(ps):
    ps.filtered({'k%d' % i: ['v'] for i in range(5)})
    ps.filtered({'a': ['v%d' % i for i in range(10)], 'b': ['w%d' % i for i in range(15)]})


# A FilterPolicyScope other than MessageAttributes or MessageBody is InvalidParameter.
def test_invalid_filter_policy_scope(ps, sns, moto):
    skip_on_moto(moto, 'moto accepts any scope')
    topic = ps.topic()
    _, qarn = ps.queue()
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=qarn,
                      Attributes={'FilterPolicy': '{"k": ["v"]}', 'FilterPolicyScope': 'Everything'})
    assert error_code(e) == 'InvalidParameter'
