"""Reserved concurrency (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html):
PutFunctionConcurrency / GetFunctionConcurrency / DeleteFunctionConcurrency, throttling past the
reservation (429 TooManyRequestsException, Reason ReservedFunctionConcurrentInvocationLimitExceeded),
and an event source mapping whose function is throttled: its records wait, no retry is spent, and
they arrive once the reservation allows it."""

import json
import threading
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

from lambda_common import RECORD, SLEEP, fns, lam, lam_noval, poll, invoke  # noqa: F401
from util import error_code, unique_table_name

pytestmark = pytest.mark.usefixtures('runnel_only')


def test_put_get_delete(lam, lam_noval, fns):
    fn = fns.create()
    assert 'ReservedConcurrentExecutions' not in lam.get_function_concurrency(FunctionName=fn.name)
    r = lam.put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=5)
    assert r['ReservedConcurrentExecutions'] == 5
    assert lam.get_function_concurrency(FunctionName=fn.name)['ReservedConcurrentExecutions'] == 5
    assert lam.get_function(FunctionName=fn.name)['Concurrency'] == {'ReservedConcurrentExecutions': 5}
    with pytest.raises(ClientError) as e:
        lam.put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=901)
    assert error_code(e) == 'InvalidParameterValueException'
    assert 'minimum value of [100]' in e.value.response['Error']['Message']
    with pytest.raises(ClientError) as e:
        lam_noval.put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=-1)
    assert error_code(e) == 'ValidationException'
    assert lam.delete_function_concurrency(FunctionName=fn.name)['ResponseMetadata']['HTTPStatusCode'] == 204
    assert 'ReservedConcurrentExecutions' not in lam.get_function_concurrency(FunctionName=fn.name)
    with pytest.raises(ClientError) as e:
        lam.get_function_concurrency(FunctionName='no-such-function-here')
    assert error_code(e) == 'ResourceNotFoundException'


def test_invocations_past_the_reservation_are_throttled(lam, fns):
    fn = fns.create(SLEEP)
    lam.put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as e:
        invoke(lam, fn.name, {'sleep': 0})
    assert error_code(e) == 'TooManyRequestsException'
    assert e.value.response['ResponseMetadata']['HTTPStatusCode'] == 429
    assert e.value.response.get('Reason') == 'ReservedFunctionConcurrentInvocationLimitExceeded'
    lam.put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=1)
    outcomes = []

    def call():
        try:
            invoke(lam, fn.name, {'sleep': 1.0})
            outcomes.append('ok')
        except ClientError as err:
            outcomes.append(err.response['Error']['Code'])
    first = threading.Thread(target=call)
    first.start()
    time.sleep(0.3)
    call()  # while the first still runs
    first.join()
    assert sorted(outcomes) == ['TooManyRequestsException', 'ok']


def test_a_throttled_mapping_waits_without_spending_retries(target, lam, dynamodb, fns):
    name = unique_table_name('esm-throttle')
    stream = dynamodb.create_table(TableName=name, KeySchema=[{'AttributeName': 'pk', 'KeyType': 'HASH'}],
                                   AttributeDefinitions=[{'AttributeName': 'pk', 'AttributeType': 'S'}],
                                   BillingMode='PAY_PER_REQUEST',
                                   StreamSpecification={'StreamEnabled': True, 'StreamViewType': 'NEW_IMAGE'}
                                   )['TableDescription']['LatestStreamArn']
    fn = fns.create(RECORD, record=True)
    lam.put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=0)
    uuid = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=fn.name, StartingPosition='LATEST',
                                           MaximumRetryAttempts=0)['UUID']
    try:
        dynamodb.put_item(TableName=name, Item={'pk': {'S': 'a'}})

        def mine():
            with urllib.request.urlopen(target.url + '/_runnel/health', timeout=5) as r:
                return [m for m in json.load(r)['lambda']['event_source_mappings'] if m['uuid'] == uuid][0]
        poll(lambda: mine()['throttled'] >= 2, what='throttled batches')
        assert fn.records() == [] and mine()['dropped'] == 0
        assert lam.get_event_source_mapping(UUID=uuid)['LastProcessingResult'] == 'PROBLEM: Function call throttled'
        lam.delete_function_concurrency(FunctionName=fn.name)
        got = fn.wait_records(1)
        assert got[0]['event']['Records'][0]['dynamodb']['Keys'] == {'pk': {'S': 'a'}}
    finally:
        lam.delete_event_source_mapping(UUID=uuid)
        dynamodb.delete_table(TableName=name)
