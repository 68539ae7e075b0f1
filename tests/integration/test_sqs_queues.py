"""SQS queue management, written to AWS SQS's documented behaviour (aws-reference.md section 6):
CreateQueue (idempotence, name rules, FIFO naming), GetQueueUrl, ListQueues (prefix, paging),
DeleteQueue, PurgeQueue, Get/SetQueueAttributes (defaults, ranges, unknown names), redrive
policies, tags and ListDeadLetterSourceQueues.

Every error code is the legacy (Query) code, which botocore reports for both protocols: the Query
XML <Code> with boto3 1.26, the x-amzn-query-error header with boto3 1.43.
"""

import json
import time

import pytest
from botocore.exceptions import ClientError

from sqs_common import NON_EXISTENT, queue_name, skip_on_moto
from sqs_common import moto, queues, sqs, sqs_noval  # noqa: F401  (fixtures)
from util import error_code, eventually, random_string


def account_of(url):
    return url.rstrip('/').split('/')[-2]


def not_moto(moto):
    if moto:
        pytest.skip('runnel-specific behaviour')


def epoch(value, moto):
    """CreatedTimestamp / LastModifiedTimestamp: whole epoch seconds on AWS (moto sends a float)."""
    return int(float(value)) if moto else int(value)


def all_attributes(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['All'])['Attributes']


# --- CreateQueue / GetQueueUrl ---------------------------------------------------------------

# The queue URL ends in /<12-digit account>/<name>, which clients parse.
def test_create_queue_url_ends_with_account_and_name(sqs, queues):
    name = queue_name()
    url = queues.create(name=name)
    assert url.endswith('/' + name)
    acct = account_of(url)
    assert len(acct) == 12 and acct.isdigit(), url


# runnel builds the URL from the request's Host header, with account 000000000000 for key 'test'.
def test_queue_url_uses_host_header_and_default_account(sqs, queues, runnel_only, moto, target):
    not_moto(moto)
    name = queue_name()
    url = queues.create(name=name)
    assert url == '%s/000000000000/%s' % (target.url, name)


# A 12-digit access key is itself the account: its queues live under that account.
def test_twelve_digit_access_key_is_the_account(make_client, runnel_only, moto, target):
    not_moto(moto)
    client = make_client('sqs', access_key='123456789012')
    name = queue_name()
    url = client.create_queue(QueueName=name)['QueueUrl']
    try:
        assert url == '%s/123456789012/%s' % (target.url, name)
        arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
        assert arn == 'arn:aws:sqs:us-east-1:123456789012:' + name
    finally:
        client.delete_queue(QueueUrl=url)


# CreateQueue is idempotent when the attributes match: same URL, no error.
def test_create_queue_twice_with_same_attributes_is_idempotent(sqs, queues):
    name = queue_name()
    attrs = {'VisibilityTimeout': '45', 'DelaySeconds': '3'}
    url = queues.create(name=name, attributes=attrs)
    assert sqs.create_queue(QueueName=name, Attributes=attrs)['QueueUrl'] == url


# Re-creating without attributes is also idempotent for a queue created without any.
def test_create_queue_twice_without_attributes_is_idempotent(sqs, queues):
    name = queue_name()
    url = queues.create(name=name)
    assert sqs.create_queue(QueueName=name)['QueueUrl'] == url


# A different attribute value for an existing name is QueueAlreadyExists (shape QueueNameExists).
def test_create_queue_with_different_attributes_is_queue_already_exists(sqs, queues):
    name = queue_name()
    queues.create(name=name, attributes={'DelaySeconds': '1'})
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=name, Attributes={'DelaySeconds': '2'})
    assert error_code(e) == 'QueueAlreadyExists'
    assert isinstance(e.value, sqs.exceptions.QueueNameExists)


# Names of up to 80 characters from [A-Za-z0-9_-] are accepted.
@pytest.mark.parametrize('length', [8, 80])
def test_create_queue_valid_names(sqs, queues, length):
    name = (random_string(6) + '_-' + random_string(80))[:length]
    url = queues.create(name=name)
    assert url.endswith('/' + name)


# Anything else in a name is InvalidParameterValue: too long, dots, spaces, slashes, non-ASCII.
@pytest.mark.parametrize('bad', ['x' * 81, 'has.dot', 'has space', 'has/slash', 'ümlaut', 'colon:name'])
def test_create_queue_invalid_name(sqs_noval, bad):
    with pytest.raises(ClientError) as e:
        sqs_noval.create_queue(QueueName=bad)
    assert error_code(e) == 'InvalidParameterValue'


# A standard queue may not end in .fifo.
def test_create_standard_queue_with_fifo_suffix_is_invalid(sqs, moto):
    skip_on_moto(moto, 'moto creates a queue named x.fifo without FifoQueue=true')
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=queue_name() + '.fifo')
    assert error_code(e) == 'InvalidParameterValue'


# FifoQueue=true requires the .fifo suffix.
def test_create_fifo_queue_without_fifo_suffix_is_invalid(sqs):
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=queue_name(), Attributes={'FifoQueue': 'true'})
    assert error_code(e) == 'InvalidParameterValue'


# The .fifo suffix counts toward the 80 characters.
def test_fifo_queue_name_limit_includes_suffix(sqs, queues):
    ok = random_string(75) + '.fifo'
    url = queues.create(name=ok, attributes={'FifoQueue': 'true'})
    assert url.endswith('/' + ok)
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=random_string(76) + '.fifo', Attributes={'FifoQueue': 'true'})
    assert error_code(e) == 'InvalidParameterValue'


# GetQueueUrl returns the URL CreateQueue returned.
def test_get_queue_url(sqs, queues):
    name = queue_name()
    url = queues.create(name=name)
    assert sqs.get_queue_url(QueueName=name)['QueueUrl'] == url


# GetQueueUrl of an unknown name is the legacy NonExistentQueue code, raised as QueueDoesNotExist.
def test_get_queue_url_of_missing_queue(sqs):
    with pytest.raises(ClientError) as e:
        sqs.get_queue_url(QueueName=queue_name('missing'))
    assert error_code(e) == NON_EXISTENT
    assert isinstance(e.value, sqs.exceptions.QueueDoesNotExist)


# Any operation on the URL of a queue that does not exist is NonExistentQueue.
@pytest.mark.parametrize('op', ['send_message', 'receive_message', 'get_queue_attributes', 'purge_queue',
                                'delete_queue', 'list_queue_tags'])
def test_operation_on_missing_queue_url(sqs, queues, op):
    url = queues.create()
    missing = url.rsplit('/', 1)[0] + '/' + queue_name('missing')
    kwargs = {'QueueUrl': missing}
    if op == 'send_message':
        kwargs['MessageBody'] = 'x'
    if op == 'get_queue_attributes':
        kwargs['AttributeNames'] = ['All']
    with pytest.raises(ClientError) as e:
        getattr(sqs, op)(**kwargs)
    assert error_code(e) == NON_EXISTENT


# --- ListQueues ------------------------------------------------------------------------------

# QueueNamePrefix returns exactly the queues whose names start with it.
def test_list_queues_by_prefix(sqs, queues):
    prefix = queue_name('lp')
    mine = {queues.create(name=prefix + s) for s in ('a', 'b', 'c')}
    queues.create(name=queue_name('other'))
    got = sqs.list_queues(QueueNamePrefix=prefix).get('QueueUrls', [])
    assert set(got) == mine
    assert 'NextToken' not in sqs.list_queues(QueueNamePrefix=prefix)


# A prefix that matches nothing gives no QueueUrls.
def test_list_queues_prefix_without_match(sqs):
    r = sqs.list_queues(QueueNamePrefix=queue_name('nomatch'))
    assert r.get('QueueUrls', []) == []


# MaxResults pages the list; NextToken continues it and is absent on the last page.
def test_list_queues_paging(sqs, queues, moto):
    skip_on_moto(moto, 'moto ignores MaxResults')
    prefix = queue_name('pg')
    mine = {queues.create(name=prefix + '_%d' % i) for i in range(5)}
    seen, pages, kwargs = [], 0, {'QueueNamePrefix': prefix, 'MaxResults': 2}
    for _ in range(10):
        r = sqs.list_queues(**kwargs)
        page = r.get('QueueUrls', [])
        assert len(page) <= 2
        seen += page
        pages += 1
        if 'NextToken' not in r:
            break
        kwargs['NextToken'] = r['NextToken']
    else:
        raise AssertionError('ListQueues paging did not end in 10 pages')
    assert sorted(seen) == sorted(mine)
    assert pages >= 3


# --- DeleteQueue -----------------------------------------------------------------------------

# A deleted queue is gone: GetQueueUrl fails and ListQueues no longer shows it.
def test_delete_queue(sqs, queues):
    name = queue_name('del')
    url = queues.create(name=name)
    sqs.delete_queue(QueueUrl=url)

    def gone():
        with pytest.raises(ClientError) as e:
            sqs.get_queue_url(QueueName=name)
        assert error_code(e) == NON_EXISTENT
        assert url not in sqs.list_queues(QueueNamePrefix=name).get('QueueUrls', [])
    eventually(gone, timeout=65)


# A name can not be reused within 60 s of deleting its queue (QueueDeletedRecently).
def test_recreate_deleted_queue_within_60s_is_queue_deleted_recently(sqs, queues, moto):
    skip_on_moto(moto, 'moto lets a deleted name be re-created at once')
    name = queue_name('rec')
    url = queues.create(name=name)
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=name)
    assert error_code(e) == 'AWS.SimpleQueueService.QueueDeletedRecently'


# --- PurgeQueue ------------------------------------------------------------------------------

def count_attrs(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed'])['Attributes']
    return (int(a['ApproximateNumberOfMessages']), int(a['ApproximateNumberOfMessagesNotVisible']),
            int(a['ApproximateNumberOfMessagesDelayed']))


# PurgeQueue removes every message, in flight ones included.
def test_purge_queue_removes_messages(sqs, queues):
    url = queues.create('purge')
    for i in range(4):
        sqs.send_message(QueueUrl=url, MessageBody='m%d' % i)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=30).get('Messages', [])
    assert len(got) == 1
    sqs.purge_queue(QueueUrl=url)
    eventually(lambda: _assert_equal(count_attrs(sqs, url), (0, 0, 0)), timeout=65)
    assert 'Messages' not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)


def _assert_equal(a, b):
    assert a == b


# Only one purge per queue every 60 s: the second is PurgeQueueInProgress (HTTP 403).
def test_second_purge_within_60s_is_purge_queue_in_progress(sqs, queues, moto):
    skip_on_moto(moto, 'moto allows back-to-back purges')
    url = queues.create('purge2')
    sqs.purge_queue(QueueUrl=url)
    with pytest.raises(ClientError) as e:
        sqs.purge_queue(QueueUrl=url)
    assert error_code(e) == 'AWS.SimpleQueueService.PurgeQueueInProgress'
    assert e.value.response['ResponseMetadata']['HTTPStatusCode'] == 403
    assert isinstance(e.value, sqs.exceptions.PurgeQueueInProgress)


# --- Get/SetQueueAttributes ------------------------------------------------------------------

# A new standard queue reports every standard attribute with AWS's defaults.
def test_get_queue_attributes_all_defaults(sqs, queues, moto):
    name = queue_name('attrs')
    before = int(time.time())
    url = queues.create(name=name)
    a = all_attributes(sqs, url)
    after = int(time.time())
    assert a['VisibilityTimeout'] == '30'
    assert a['MaximumMessageSize'] in (('1048576', '262144') if moto else ('1048576',))
    assert a['MessageRetentionPeriod'] == '345600'
    assert a['DelaySeconds'] == '0'
    assert a['ReceiveMessageWaitTimeSeconds'] == '0'
    assert a['QueueArn'] == 'arn:aws:sqs:us-east-1:%s:%s' % (account_of(url), name)
    assert a['ApproximateNumberOfMessages'] == '0'
    assert a['ApproximateNumberOfMessagesNotVisible'] == '0'
    assert a['ApproximateNumberOfMessagesDelayed'] == '0'
    for ts in ('CreatedTimestamp', 'LastModifiedTimestamp'):
        assert before - 5 <= epoch(a[ts], moto) <= after + 5, (ts, a[ts])
    # FIFO-only attributes are not reported for a standard queue.
    assert 'FifoQueue' not in a and 'ContentBasedDeduplication' not in a
    assert 'RedrivePolicy' not in a


# A FIFO queue also reports its FIFO attributes and their defaults.
def test_get_queue_attributes_fifo_defaults(sqs, queues):
    url = queues.create('fattrs', fifo=True)
    a = all_attributes(sqs, url)
    assert a['FifoQueue'] == 'true'
    assert a['ContentBasedDeduplication'] == 'false'
    assert a['DeduplicationScope'] == 'queue'
    assert a['FifoThroughputLimit'] == 'perQueue'
    assert a['QueueArn'].endswith(':' + url.rsplit('/', 1)[1])


# Naming attributes returns just those.
def test_get_queue_attributes_selected_names(sqs, queues):
    url = queues.create()
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['VisibilityTimeout', 'DelaySeconds'])['Attributes']
    assert a == {'VisibilityTimeout': '30', 'DelaySeconds': '0'}


# Without AttributeNames nothing is returned.
def test_get_queue_attributes_without_names_returns_none(sqs, queues):
    url = queues.create()
    assert sqs.get_queue_attributes(QueueUrl=url).get('Attributes', {}) == {}


# The approximate counts follow visible, in-flight and delayed messages.
def test_approximate_counts(sqs, queues):
    url = queues.create('counts')
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody='m%d' % i)
    sqs.send_message(QueueUrl=url, MessageBody='later', DelaySeconds=60)
    eventually(lambda: _assert_equal(count_attrs(sqs, url), (3, 0, 1)))
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60)['Messages']
    assert len(got) == 1
    eventually(lambda: _assert_equal(count_attrs(sqs, url), (2, 1, 1)))


# Attributes given at CreateQueue are stored.
def test_create_queue_with_attributes(sqs, queues):
    attrs = {'VisibilityTimeout': '20', 'MaximumMessageSize': '2048', 'MessageRetentionPeriod': '604800',
             'DelaySeconds': '5', 'ReceiveMessageWaitTimeSeconds': '10'}
    url = queues.create(attributes=attrs)
    a = all_attributes(sqs, url)
    for k, v in attrs.items():
        assert a[k] == v, k


# SetQueueAttributes changes each settable attribute, at the edges of its range too.
@pytest.mark.parametrize('name,value', [
    ('VisibilityTimeout', '0'), ('VisibilityTimeout', '43200'),
    ('MessageRetentionPeriod', '60'), ('MessageRetentionPeriod', '1209600'),
    ('DelaySeconds', '0'), ('DelaySeconds', '900'),
    ('ReceiveMessageWaitTimeSeconds', '20'),
    ('MaximumMessageSize', '1024'), ('MaximumMessageSize', '262144'),
])
def test_set_queue_attributes_round_trip(sqs, queues, name, value):
    url = queues.create()
    sqs.set_queue_attributes(QueueUrl=url, Attributes={name: value})
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])['Attributes'] == {name: value}


# The 1 MiB maximum message size of current SQS is accepted.
def test_set_maximum_message_size_one_mib(sqs, queues):
    url = queues.create()
    sqs.set_queue_attributes(QueueUrl=url, Attributes={'MaximumMessageSize': '1048576'})
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['MaximumMessageSize'])['Attributes']
    assert a == {'MaximumMessageSize': '1048576'}


# Setting an attribute moves LastModifiedTimestamp forward, never before CreatedTimestamp.
def test_set_queue_attributes_updates_last_modified(sqs, queues, moto):
    url = queues.create()
    a0 = all_attributes(sqs, url)
    time.sleep(1.1)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={'VisibilityTimeout': '31'})
    a1 = all_attributes(sqs, url)
    assert a1['VisibilityTimeout'] == '31'
    created, modified = epoch(a1['CreatedTimestamp'], moto), epoch(a1['LastModifiedTimestamp'], moto)
    assert created == epoch(a0['CreatedTimestamp'], moto)
    assert modified >= epoch(a0['LastModifiedTimestamp'], moto) and modified >= created


# Values outside the documented ranges (or not numbers) are InvalidAttributeValue.
@pytest.mark.parametrize('name,value', [
    ('VisibilityTimeout', '43201'), ('VisibilityTimeout', '-1'),
    ('MessageRetentionPeriod', '59'), ('MessageRetentionPeriod', '1209601'),
    ('DelaySeconds', '901'), ('ReceiveMessageWaitTimeSeconds', '21'),
    ('MaximumMessageSize', '1023'), ('MaximumMessageSize', '1048577'),
    ('VisibilityTimeout', 'abc'),
])
def test_set_queue_attributes_out_of_range(sqs, queues, moto, name, value):
    skip_on_moto(moto, 'moto does not range-check queue attributes')
    url = queues.create()
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={name: value})
    assert error_code(e) == 'InvalidAttributeValue'


# The same range check applies at CreateQueue.
def test_create_queue_out_of_range_attribute(sqs, moto):
    skip_on_moto(moto, 'moto does not range-check queue attributes')
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName=queue_name(), Attributes={'VisibilityTimeout': '43201'})
    assert error_code(e) == 'InvalidAttributeValue'


# An unknown attribute name is InvalidAttributeName, for Get, Set and Create.
def test_get_queue_attributes_unknown_name(sqs_noval, queues):
    url = queues.create()
    with pytest.raises(ClientError) as e:
        sqs_noval.get_queue_attributes(QueueUrl=url, AttributeNames=['Bogus'])
    assert error_code(e) == 'InvalidAttributeName'


def test_set_queue_attributes_unknown_name(sqs_noval, queues, moto):
    skip_on_moto(moto, 'moto stores unknown attribute names')
    url = queues.create()
    with pytest.raises(ClientError) as e:
        sqs_noval.set_queue_attributes(QueueUrl=url, Attributes={'Bogus': '1'})
    assert error_code(e) == 'InvalidAttributeName'


def test_create_queue_unknown_attribute_name(sqs_noval, moto):
    skip_on_moto(moto, 'moto stores unknown attribute names')
    with pytest.raises(ClientError) as e:
        sqs_noval.create_queue(QueueName=queue_name(), Attributes={'Bogus': '1'})
    assert error_code(e) == 'InvalidAttributeName'


# --- Redrive policies ------------------------------------------------------------------------

# RedrivePolicy is stored and returned as the same JSON document.
def test_redrive_policy_round_trip(sqs, queues):
    dlq = queues.create('dlq')
    dlq_arn = queues.arn(dlq)
    src = queues.create('src')
    policy = {'deadLetterTargetArn': dlq_arn, 'maxReceiveCount': 3}
    sqs.set_queue_attributes(QueueUrl=src, Attributes={'RedrivePolicy': json.dumps(policy)})
    got = json.loads(all_attributes(sqs, src)['RedrivePolicy'])
    assert got['deadLetterTargetArn'] == dlq_arn
    assert int(got['maxReceiveCount']) == 3


# A RedrivePolicy given at CreateQueue is stored too.
def test_redrive_policy_at_create(sqs, queues):
    dlq_arn = queues.arn(queues.create('dlq'))
    policy = json.dumps({'deadLetterTargetArn': dlq_arn, 'maxReceiveCount': 5})
    src = queues.create('src', attributes={'RedrivePolicy': policy})
    got = json.loads(sqs.get_queue_attributes(QueueUrl=src, AttributeNames=['RedrivePolicy'])
                     ['Attributes']['RedrivePolicy'])
    assert got['deadLetterTargetArn'] == dlq_arn and int(got['maxReceiveCount']) == 5


# A deadLetterTargetArn that is not an ARN is InvalidParameterValue.
def test_redrive_policy_with_invalid_arn(sqs, queues, moto):
    skip_on_moto(moto, 'moto looks the ARN up and answers NonExistentQueue')
    src = queues.create('src')
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=src, Attributes={
            'RedrivePolicy': json.dumps({'deadLetterTargetArn': 'dummy', 'maxReceiveCount': 42})})
    assert error_code(e) == 'InvalidParameterValue'


# RedriveAllowPolicy is stored and returned as the same JSON document.
def test_redrive_allow_policy_round_trip(sqs, queues, moto):
    skip_on_moto(moto, 'moto fails with an internal error on RedriveAllowPolicy')
    dlq = queues.create('dlq')
    src_arn = queues.arn(queues.create('src'))
    policy = {'redrivePermission': 'byQueue', 'sourceQueueArns': [src_arn]}
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={'RedriveAllowPolicy': json.dumps(policy)})
    got = json.loads(sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=['RedriveAllowPolicy'])
                     ['Attributes']['RedriveAllowPolicy'])
    assert got == policy


# ListDeadLetterSourceQueues lists the queues whose RedrivePolicy targets the DLQ.
def test_list_dead_letter_source_queues(sqs, queues):
    dlq = queues.create('dlq')
    policy = queues.redrive_policy(dlq, 2)
    sources = {queues.create('src', attributes={'RedrivePolicy': policy}) for _ in range(2)}
    queues.create('unrelated')
    r = sqs.list_dead_letter_source_queues(QueueUrl=dlq)
    assert set(r['queueUrls']) == sources


# A queue that is nobody's DLQ has no source queues.
def test_list_dead_letter_source_queues_empty(sqs, queues):
    url = queues.create()
    assert sqs.list_dead_letter_source_queues(QueueUrl=url).get('queueUrls', []) == []


# --- Tags ------------------------------------------------------------------------------------

# Tags given at CreateQueue are listed by ListQueueTags.
def test_tags_at_create_queue(sqs, queues):
    url = queues.create(tags={'team': 'core', 'env': 'test'})
    assert sqs.list_queue_tags(QueueUrl=url)['Tags'] == {'team': 'core', 'env': 'test'}


# TagQueue adds and overwrites tags; UntagQueue removes the named keys.
def test_tag_and_untag_queue(sqs, queues):
    url = queues.create()
    sqs.tag_queue(QueueUrl=url, Tags={'a': '1', 'b': '2'})
    sqs.tag_queue(QueueUrl=url, Tags={'b': '3', 'c': ''})
    assert sqs.list_queue_tags(QueueUrl=url)['Tags'] == {'a': '1', 'b': '3', 'c': ''}
    sqs.untag_queue(QueueUrl=url, TagKeys=['a', 'c', 'not-there'])
    assert sqs.list_queue_tags(QueueUrl=url)['Tags'] == {'b': '3'}


# A queue without tags lists none.
def test_list_queue_tags_without_tags(sqs, queues):
    url = queues.create()
    assert sqs.list_queue_tags(QueueUrl=url).get('Tags', {}) == {}
