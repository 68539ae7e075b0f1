"""Lambda's control plane, written to AWS's API reference and botocore's model
(botocore/data/lambda/2015-03-31/service-2.json): CreateFunction and what FunctionConfiguration
reports, its validation errors, GetFunction / GetFunctionConfiguration, ListFunctions paging,
DeleteFunction, UpdateFunctionCode / UpdateFunctionConfiguration (and that the next invocation
runs what was updated), the resource policy (AddPermission / GetPolicy / RemovePermission) and
the asynchronous-invocation configuration (Put/Get/DeleteFunctionEventInvokeConfig).
"""

import datetime
import hashlib
import json
import os
import re
import urllib.request

import pytest
from botocore.exceptions import ClientError

from lambda_common import (ARN_PREFIX, ECHO, ENV, ROLE, code_sha256, fns, function_name, lam,  # noqa: F401
                           lam_noval, make_zip, poll, processes_with_environ)
from sqs_common import queues, sqs  # noqa: F401  (fixtures)
from util import error_code

UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
LAST_MODIFIED_RE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$')


def status(e):
    return e.value.response['ResponseMetadata']['HTTPStatusCode']


def versioned(version):
    """A handler answering {'version': version}."""
    return 'def handler(event, ctx):\n    return {"version": %d}\n' % version


def get_config(lam, name):
    c = lam.get_function_configuration(FunctionName=name)
    c.pop('ResponseMetadata', None)
    return c


# --- CreateFunction ---------------------------------------------------------------------------

# CreateFunction answers 201 with the FunctionConfiguration: name, ARN, runtime, role, handler,
# description, the unpublished version, and a function that is ready at once.
def test_create_function_configuration(lam):
    name = function_name('create')
    try:
        r = lam.create_function(FunctionName=name, Runtime='provided.al2023', Role=ROLE, Handler='x.y',
                                Code={'ZipFile': make_zip()}, Description='made by a test ☃')
        assert r['ResponseMetadata']['HTTPStatusCode'] == 201
        assert r['FunctionName'] == name
        assert r['FunctionArn'] == ARN_PREFIX + name
        assert (r['Runtime'], r['Role'], r['Handler'], r['Description']) == \
            ('provided.al2023', ROLE, 'x.y', 'made by a test ☃')
        assert r['Version'] == '$LATEST'
        assert (r['State'], r['LastUpdateStatus'], r['PackageType']) == ('Active', 'Successful', 'Zip')
        assert UUID_RE.match(r['RevisionId']), r['RevisionId']
    finally:
        lam.delete_function(FunctionName=name)


# Without them, Timeout is 3 s, MemorySize 128 MB and the architecture x86_64.
def test_create_defaults(fns):
    c = fns.create().config
    assert (c['Timeout'], c['MemorySize'], c['Architectures']) == (3, 128, ['x86_64'])


# CodeSha256 is the base64 SHA-256 of the zip and CodeSize its length in bytes.
def test_create_code_sha256_and_size(fns):
    fn = fns.create(code=ECHO + '\n# padding ' + 'x' * 300)
    assert fn.config['CodeSha256'] == code_sha256(fn.zip)
    assert fn.config['CodeSize'] == len(fn.zip)


# LastModified is 2024-01-01T00:00:00.000+0000 style and close to now.
def test_create_last_modified(fns):
    lm = fns.create().config['LastModified']
    assert LAST_MODIFIED_RE.match(lm), lm
    when = datetime.datetime.strptime(lm, '%Y-%m-%dT%H:%M:%S.%f+0000').replace(tzinfo=datetime.timezone.utc)
    assert abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) < 60


# Timeout, MemorySize, Environment, DeadLetterConfig and Architectures come back as given.
def test_create_with_settings(fns, queues, sqs):
    dlq = queues.arn(queues.create('dlq'))
    c = fns.create(Timeout=900, MemorySize=10240, env={'ALPHA': 'one', 'B_2': 'two ☃'},
                   DeadLetterConfig={'TargetArn': dlq}, Architectures=['arm64']).config
    assert (c['Timeout'], c['MemorySize']) == (900, 10240)
    assert c['Environment']['Variables'] == {'ALPHA': 'one', 'B_2': 'two ☃'}
    assert c['DeadLetterConfig'] == {'TargetArn': dlq}
    assert c['Architectures'] == ['arm64']


# A second function of the same name is ResourceConflictException (409).
def test_create_duplicate_name(fns):
    fn = fns.create()
    with pytest.raises(ClientError) as e:
        fns.lam.create_function(FunctionName=fn.name, Runtime='provided.al2023', Role=ROLE, Handler='h',
                                Code={'ZipFile': make_zip()})
    assert (error_code(e), status(e)) == ('ResourceConflictException', 409)
    assert fns.lam.get_function_configuration(FunctionName=fn.name)['CodeSha256'] == fn.config['CodeSha256']


# Every custom runtime is accepted and runs the bootstrap.
@pytest.mark.parametrize('runtime', ['provided.al2023', 'provided.al2', 'provided'])
def test_custom_runtimes_run(fns, runtime):
    fn = fns.create(Runtime=runtime)
    assert fn.config['Runtime'] == runtime
    assert fn.call({'hi': runtime}) == {'hi': runtime}


# runnel runs custom runtimes only: a managed runtime is InvalidParameterValueException (400).
@pytest.mark.parametrize('runtime', ['python3.12', 'nodejs20.x', 'java21'])
def test_managed_runtime_refused(lam, runtime):
    name = function_name('rt')
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler='index.handler',
                            Code={'ZipFile': make_zip()})
    assert (error_code(e), status(e)) == ('InvalidParameterValueException', 400)
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=name)
    assert error_code(e) == 'ResourceNotFoundException'


# Container images are not run: PackageType Image is InvalidParameterValueException.
def test_image_package_refused(lam):
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName=function_name('img'), Role=ROLE, PackageType='Image',
                            Code={'ImageUri': '000000000000.dkr.ecr.us-east-1.amazonaws.com/repo:latest'})
    assert (error_code(e), status(e)) == ('InvalidParameterValueException', 400)


# A role that is not an IAM role ARN fails the model's pattern: ValidationException (400).
@pytest.mark.parametrize('role', ['lambda-role', 'arn:aws:iam::12345:role/r', 'arn:aws:iam::000000000000:user/u'])
def test_create_invalid_role(lam, role):
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName=function_name('role'), Runtime='provided.al2023', Role=role, Handler='h',
                            Code={'ZipFile': make_zip()})
    assert (error_code(e), status(e)) == ('ValidationException', 400)


# Timeout is 1-900 and MemorySize 128-10240; outside is ValidationException ("1 validation error
# detected: Value '901' at 'timeout' failed to satisfy constraint: ...").
@pytest.mark.parametrize('setting', [{'Timeout': 0}, {'Timeout': 901}, {'MemorySize': 127}, {'MemorySize': 10241}],
                         ids=['timeout0', 'timeout901', 'memory127', 'memory10241'])
def test_create_out_of_range(lam_noval, setting):
    name = function_name('range')
    with pytest.raises(ClientError) as e:
        lam_noval.create_function(FunctionName=name, Runtime='provided.al2023', Role=ROLE, Handler='h',
                                  Code={'ZipFile': make_zip()}, **setting)
    assert (error_code(e), status(e)) == ('ValidationException', 400)
    assert 'failed to satisfy constraint' in e.value.response['Error']['Message']


# Bytes that are not a zip: InvalidParameterValueException ("Could not unzip uploaded file...").
def test_create_not_a_zip(lam):
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName=function_name('nozip'), Runtime='provided.al2023', Role=ROLE, Handler='h',
                            Code={'ZipFile': b'this is not a zip archive'})
    assert (error_code(e), status(e)) == ('InvalidParameterValueException', 400)


# A zip larger than the other services' 16 MB request bound deploys and runs: Lambda takes zips up
# to 50 MB in the request (here 20 MB of incompressible data, a 27 MB request).
def test_create_large_zip(fns):
    blob = os.urandom(20 * 1024 * 1024)
    code = ("def handler(event, ctx):\n"
            "    with open('blob.bin', 'rb') as f:\n"
            "        data = f.read()\n"
            "    return {'size': len(data), 'sha': hashlib.sha256(data).hexdigest()}\n")
    fn = fns.create(zip_bytes=make_zip('import hashlib\n' + code, files={'blob.bin': blob}))
    assert fn.config['CodeSize'] == len(fn.zip) > 20 * 1024 * 1024
    assert fn.call() == {'size': len(blob), 'sha': hashlib.sha256(blob).hexdigest()}


# A request over Lambda's 69,905,067-byte bound (the base64 of a 50 MB zip) is refused before it
# is read: RequestEntityTooLargeException (413), and the server stays up.
def test_create_request_too_large(lam):
    name = function_name('huge')
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName=name, Runtime='provided.al2023', Role=ROLE, Handler='h',
                            Code={'ZipFile': b'\0' * (53 * 1024 * 1024)})
    assert (error_code(e), status(e)) == ('RequestEntityTooLargeException', 413)
    assert '69905067' in e.value.response['Error']['Message']
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=name)
    assert error_code(e) == 'ResourceNotFoundException'


# Variables Lambda sets itself cannot be set: InvalidParameterValueException naming the key.
@pytest.mark.parametrize('var', ['AWS_REGION', 'AWS_LAMBDA_RUNTIME_API', 'AWS_ACCESS_KEY_ID'])
def test_create_reserved_environment_variable(lam, var):
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName=function_name('env'), Runtime='provided.al2023', Role=ROLE, Handler='h',
                            Code={'ZipFile': make_zip()}, Environment={'Variables': {var: 'x'}})
    assert error_code(e) == 'InvalidParameterValueException'
    assert var in e.value.response['Error']['Message']


# Variable names follow the model's pattern [a-zA-Z]([a-zA-Z0-9_])+ (two characters at least).
@pytest.mark.parametrize('var', ['A', '1ABC', 'HAS-DASH'])
def test_create_invalid_environment_variable_name(lam, var):
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName=function_name('env'), Runtime='provided.al2023', Role=ROLE, Handler='h',
                            Code={'ZipFile': make_zip()}, Environment={'Variables': {var: 'x'}})
    assert (error_code(e), status(e)) == ('ValidationException', 400)


# --- GetFunction, GetFunctionConfiguration, ListFunctions -------------------------------------

# GetFunction: the configuration as created, the code's location, and the tags.
def test_get_function(fns):
    fn = fns.create(Tags={'team': 'runnel', 'env': 'test'})
    r = fns.lam.get_function(FunctionName=fn.name)
    assert r['Configuration'] == fn.config
    assert r['Code']['RepositoryType'] == 'S3'
    assert r['Code']['Location'].startswith(('http://', 'https://'))
    assert r['Tags'] == {'team': 'runnel', 'env': 'test'}


# The code Location is a URL the zip can be downloaded from without credentials.
def test_get_function_code_location_downloads_the_zip(fns):
    fn = fns.create()
    location = fns.lam.get_function(FunctionName=fn.name)['Code']['Location']
    with urllib.request.urlopen(location, timeout=10) as r:
        assert r.read() == fn.zip


# GetFunctionConfiguration is GetFunction's Configuration; a function is found by name or ARN.
def test_get_function_configuration(fns):
    fn = fns.create()
    assert get_config(fns.lam, fn.name) == fn.config
    assert get_config(fns.lam, fn.arn) == fn.config
    assert fns.lam.get_function(FunctionName=fn.arn)['Configuration'] == fn.config


# A function that does not exist is ResourceNotFoundException (404) for every operation.
@pytest.mark.parametrize('op', ['get_function', 'get_function_configuration', 'delete_function', 'get_policy'])
def test_unknown_function(lam, op):
    with pytest.raises(ClientError) as e:
        getattr(lam, op)(FunctionName=function_name('missing'))
    assert (error_code(e), status(e)) == ('ResourceNotFoundException', 404)


# Updates of a function that does not exist are ResourceNotFoundException too.
def test_update_unknown_function(lam):
    name = function_name('missing')
    for call in (lambda: lam.update_function_code(FunctionName=name, ZipFile=make_zip()),
                 lambda: lam.update_function_configuration(FunctionName=name, Timeout=5)):
        with pytest.raises(ClientError) as e:
            call()
        assert (error_code(e), status(e)) == ('ResourceNotFoundException', 404)


# ListFunctions pages with Marker/MaxItems; the paginator sees every function exactly once.
def test_list_functions_paginates(fns):
    made = {fns.create(tag='list').name for _ in range(5)}
    pages = list(fns.lam.get_paginator('list_functions').paginate(PaginationConfig={'PageSize': 2}))
    assert all(len(p['Functions']) <= 2 for p in pages)
    names = [f['FunctionName'] for p in pages for f in p['Functions']]
    assert len(names) == len(set(names)), 'a function listed twice'
    assert made <= set(names)
    listed = {f['FunctionName']: f for p in pages for f in p['Functions']}
    one = sorted(made)[0]
    assert listed[one]['FunctionArn'] == ARN_PREFIX + one
    assert listed[one]['Runtime'] == 'provided.al2023'


# MaxItems=1 gives one function and a NextMarker that continues after it.
def test_list_functions_max_items(fns):
    fns.create(tag='list')
    fns.create(tag='list')
    first = fns.lam.list_functions(MaxItems=1)
    assert len(first['Functions']) == 1 and first.get('NextMarker')
    second = fns.lam.list_functions(MaxItems=1, Marker=first['NextMarker'])
    assert len(second['Functions']) == 1
    assert second['Functions'][0]['FunctionName'] != first['Functions'][0]['FunctionName']


# A page holds at most 50 functions, however large MaxItems is (AWS: "ListFunctions returns a
# maximum of 50 items in each response"); the NextMarker continues.
def test_list_functions_pages_hold_50(fns):
    made = {fns.create(tag='cap').name for _ in range(51)}
    first = fns.lam.list_functions(MaxItems=1000)
    assert len(first['Functions']) == 50 and first.get('NextMarker')
    names = [f['FunctionName'] for f in first['Functions']]
    marker = first['NextMarker']
    while marker:
        page = fns.lam.list_functions(MaxItems=1000, Marker=marker)
        names += [f['FunctionName'] for f in page['Functions']]
        marker = page.get('NextMarker')
    assert made <= set(names) and len(names) == len(set(names))


# --- DeleteFunction ---------------------------------------------------------------------------

# DeleteFunction answers 204; the function is gone from Get and List, and a second delete is 404.
def test_delete_function(fns):
    fn = fns.create()
    r = fns.lam.delete_function(FunctionName=fn.name)
    assert r['ResponseMetadata']['HTTPStatusCode'] == 204
    with pytest.raises(ClientError) as e:
        fns.lam.get_function(FunctionName=fn.name)
    assert (error_code(e), status(e)) == ('ResourceNotFoundException', 404)
    names = [f['FunctionName'] for p in fns.lam.get_paginator('list_functions').paginate() for f in p['Functions']]
    assert fn.name not in names
    with pytest.raises(ClientError) as e:
        fns.lam.delete_function(FunctionName=fn.name)
    assert error_code(e) == 'ResourceNotFoundException'


# A deleted function's name can be used again, for a new function with new code.
def test_recreate_after_delete(fns):
    fn = fns.create(code=versioned(1))
    assert fn.call() == {'version': 1}
    fns.lam.delete_function(FunctionName=fn.name)
    again = fns.create(code=versioned(2), name=fn.name)
    assert again.call() == {'version': 2}


# Deleting a function stops its warm sandbox's process.
def test_delete_stops_the_sandbox(fns, target):
    if target.server is None:
        pytest.skip('needs a server on this machine to see its processes')
    fn = fns.create(code=ENV)
    stream = fn.call()['env']['AWS_LAMBDA_LOG_STREAM_NAME']
    # The function's own pid is its PID namespace's; runnel's side finds it by its environment.
    marker = ('AWS_LAMBDA_LOG_STREAM_NAME=' + stream).encode()
    assert processes_with_environ(marker), 'the sandbox is not running'
    fns.lam.delete_function(FunctionName=fn.name)
    poll(lambda: not processes_with_environ(marker), what='the sandbox of %s to end' % fn.name)


# --- UpdateFunctionCode / UpdateFunctionConfiguration -----------------------------------------

# New code: a new CodeSha256, CodeSize and RevisionId, and the next invocation runs it.
def test_update_function_code(fns):
    fn = fns.create(code=versioned(1))
    assert fn.call() == {'version': 1}
    new_zip = make_zip(versioned(2))
    r = fns.lam.update_function_code(FunctionName=fn.name, ZipFile=new_zip)
    assert r['CodeSha256'] == code_sha256(new_zip) != fn.config['CodeSha256']
    assert r['CodeSize'] == len(new_zip)
    assert r['RevisionId'] != fn.config['RevisionId']
    assert r['LastUpdateStatus'] == 'Successful'
    assert get_config(fns.lam, fn.name)['CodeSha256'] == code_sha256(new_zip)
    assert fn.call() == {'version': 2}
    with urllib.request.urlopen(fns.lam.get_function(FunctionName=fn.name)['Code']['Location'], timeout=10) as d:
        assert d.read() == new_zip


# A zip that is not one is refused and the old code keeps running.
def test_update_function_code_not_a_zip(fns):
    fn = fns.create(code=versioned(1))
    with pytest.raises(ClientError) as e:
        fns.lam.update_function_code(FunctionName=fn.name, ZipFile=b'PK but not really')
    assert error_code(e) == 'InvalidParameterValueException'
    assert get_config(fns.lam, fn.name)['CodeSha256'] == fn.config['CodeSha256']
    assert fn.call() == {'version': 1}


# Timeout, MemorySize, Description, Handler and Environment change; the change is reported and
# the next invocation's environment has it.
def test_update_function_configuration(fns):
    fn = fns.create(code=ENV, env={'KEEP': 'old'})
    before = fn.call()['env']
    assert (before['KEEP'], before['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']) == ('old', '128')
    r = fns.lam.update_function_configuration(FunctionName=fn.name, Timeout=7, MemorySize=256, Description='new',
                                              Handler='other.handler', Environment={'Variables': {'NEW': 'value'}})
    assert (r['Timeout'], r['MemorySize'], r['Description'], r['Handler']) == (7, 256, 'new', 'other.handler')
    assert r['Environment']['Variables'] == {'NEW': 'value'}
    assert r['RevisionId'] != fn.config['RevisionId']
    assert r['CodeSha256'] == fn.config['CodeSha256']
    c = get_config(fns.lam, fn.name)
    assert (c['Timeout'], c['MemorySize'], c['Description'], c['Handler']) == (7, 256, 'new', 'other.handler')
    after = fn.call()
    assert after['env']['NEW'] == 'value' and 'KEEP' not in after['env']
    assert after['env']['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'] == '256'
    assert after['env']['_HANDLER'] == 'other.handler'
    assert after['deadline_ms'] - after['now_ms'] > 4000, 'the new 7 s timeout sets the deadline'


# Members left out of UpdateFunctionConfiguration keep their values.
def test_update_configuration_keeps_the_rest(fns):
    fn = fns.create(env={'AA': '1'}, Timeout=9, Description='kept')
    r = fns.lam.update_function_configuration(FunctionName=fn.name, MemorySize=512)
    assert (r['MemorySize'], r['Timeout'], r['Description']) == (512, 9, 'kept')
    assert r['Environment']['Variables'] == {'AA': '1'}


# Out-of-range values in an update are ValidationException and change nothing.
def test_update_configuration_out_of_range(fns):
    fn = fns.create()
    with pytest.raises(ClientError) as e:
        fns.lam.update_function_configuration(FunctionName=fn.name, Timeout=901)
    assert error_code(e) == 'ValidationException'
    assert get_config(fns.lam, fn.name)['Timeout'] == 3


# --- AddPermission / GetPolicy / RemovePermission ---------------------------------------------

# AddPermission (201) returns the statement; GetPolicy returns a policy holding it.
def test_add_permission_and_get_policy(fns):
    fn = fns.create()
    topic = 'arn:aws:sns:us-east-1:000000000000:some-topic'
    r = fns.lam.add_permission(FunctionName=fn.name, StatementId='sns-invoke', Action='lambda:InvokeFunction',
                               Principal='sns.amazonaws.com', SourceArn=topic)
    assert r['ResponseMetadata']['HTTPStatusCode'] == 201
    stmt = json.loads(r['Statement'])
    assert stmt == {'Sid': 'sns-invoke', 'Effect': 'Allow', 'Principal': {'Service': 'sns.amazonaws.com'},
                    'Action': 'lambda:InvokeFunction', 'Resource': fn.arn,
                    'Condition': {'ArnLike': {'AWS:SourceArn': topic}}}
    p = fns.lam.get_policy(FunctionName=fn.name)
    policy = json.loads(p['Policy'])
    assert policy['Version'] == '2012-10-17'
    assert policy['Statement'] == [stmt]
    assert p['RevisionId']


# An account principal becomes that account's root ARN; SourceAccount a StringEquals condition.
def test_add_permission_account_principal(fns):
    fn = fns.create()
    stmt = json.loads(fns.lam.add_permission(FunctionName=fn.name, StatementId='xaccount', Action='lambda:InvokeFunction',
                                             Principal='223456789012')['Statement'])
    assert stmt['Principal'] == {'AWS': 'arn:aws:iam::223456789012:root'}
    stmt = json.loads(fns.lam.add_permission(FunctionName=fn.name, StatementId='s3', Action='lambda:InvokeFunction',
                                             Principal='s3.amazonaws.com', SourceAccount='123456789012')['Statement'])
    assert stmt['Condition'] == {'StringEquals': {'AWS:SourceAccount': '123456789012'}}
    sids = [s['Sid'] for s in json.loads(fns.lam.get_policy(FunctionName=fn.name)['Policy'])['Statement']]
    assert sorted(sids) == ['s3', 'xaccount']


# A statement id used twice is ResourceConflictException (409).
def test_add_permission_duplicate_sid(fns):
    fn = fns.create()
    kwargs = dict(FunctionName=fn.name, StatementId='dup', Action='lambda:InvokeFunction', Principal='sns.amazonaws.com')
    fns.lam.add_permission(**kwargs)
    with pytest.raises(ClientError) as e:
        fns.lam.add_permission(**kwargs)
    assert (error_code(e), status(e)) == ('ResourceConflictException', 409)


# RemovePermission (204) drops the statement; removing the last leaves no policy (404).
def test_remove_permission(fns):
    fn = fns.create()
    for sid in ('one', 'two'):
        fns.lam.add_permission(FunctionName=fn.name, StatementId=sid, Action='lambda:InvokeFunction',
                               Principal='events.amazonaws.com')
    r = fns.lam.remove_permission(FunctionName=fn.name, StatementId='one')
    assert r['ResponseMetadata']['HTTPStatusCode'] == 204
    assert [s['Sid'] for s in json.loads(fns.lam.get_policy(FunctionName=fn.name)['Policy'])['Statement']] == ['two']
    fns.lam.remove_permission(FunctionName=fn.name, StatementId='two')
    with pytest.raises(ClientError) as e:
        fns.lam.get_policy(FunctionName=fn.name)
    assert error_code(e) == 'ResourceNotFoundException'


# A statement id the policy does not have is ResourceNotFoundException; so is GetPolicy of a
# function that never had one.
def test_remove_unknown_permission(fns):
    fn = fns.create()
    with pytest.raises(ClientError) as e:
        fns.lam.get_policy(FunctionName=fn.name)
    assert (error_code(e), status(e)) == ('ResourceNotFoundException', 404)
    with pytest.raises(ClientError) as e:
        fns.lam.remove_permission(FunctionName=fn.name, StatementId='never-added')
    assert (error_code(e), status(e)) == ('ResourceNotFoundException', 404)


# --- FunctionEventInvokeConfig ----------------------------------------------------------------

# Put returns the configuration (FunctionArn qualified with $LATEST); Get returns the same.
def test_event_invoke_config_put_get(fns):
    fn = fns.create()
    r = fns.lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumRetryAttempts=0,
                                                 MaximumEventAgeInSeconds=3600)
    assert r['FunctionArn'] == fn.arn + ':$LATEST'
    assert (r['MaximumRetryAttempts'], r['MaximumEventAgeInSeconds']) == (0, 3600)
    assert isinstance(r['LastModified'], datetime.datetime)
    g = fns.lam.get_function_event_invoke_config(FunctionName=fn.name)
    assert (g['FunctionArn'], g['MaximumRetryAttempts'], g['MaximumEventAgeInSeconds']) == (fn.arn + ':$LATEST', 0, 3600)


# A second Put replaces the first.
def test_event_invoke_config_replaced(fns):
    fn = fns.create()
    fns.lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumRetryAttempts=0, MaximumEventAgeInSeconds=60)
    fns.lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumRetryAttempts=2, MaximumEventAgeInSeconds=21600)
    g = fns.lam.get_function_event_invoke_config(FunctionName=fn.name)
    assert (g['MaximumRetryAttempts'], g['MaximumEventAgeInSeconds']) == (2, 21600)


# Without a configuration, and after Delete (204), Get is ResourceNotFoundException.
def test_event_invoke_config_delete(fns):
    fn = fns.create()
    with pytest.raises(ClientError) as e:
        fns.lam.get_function_event_invoke_config(FunctionName=fn.name)
    assert error_code(e) == 'ResourceNotFoundException'
    fns.lam.put_function_event_invoke_config(FunctionName=fn.name, MaximumRetryAttempts=1)
    r = fns.lam.delete_function_event_invoke_config(FunctionName=fn.name)
    assert r['ResponseMetadata']['HTTPStatusCode'] == 204
    with pytest.raises(ClientError) as e:
        fns.lam.get_function_event_invoke_config(FunctionName=fn.name)
    assert error_code(e) == 'ResourceNotFoundException'


# MaximumRetryAttempts is 0-2 and MaximumEventAgeInSeconds 60-21600: ValidationException outside.
@pytest.mark.parametrize('setting', [{'MaximumRetryAttempts': 3}, {'MaximumRetryAttempts': -1},
                                     {'MaximumEventAgeInSeconds': 59}, {'MaximumEventAgeInSeconds': 21601}],
                         ids=['retries3', 'retries-1', 'age59', 'age21601'])
def test_event_invoke_config_out_of_range(fns, lam_noval, setting):
    fn = fns.create()
    with pytest.raises(ClientError) as e:
        lam_noval.put_function_event_invoke_config(FunctionName=fn.name, **setting)
    assert (error_code(e), status(e)) == ('ValidationException', 400)


# The configuration of a function that does not exist: ResourceNotFoundException.
def test_event_invoke_config_unknown_function(lam):
    with pytest.raises(ClientError) as e:
        lam.put_function_event_invoke_config(FunctionName=function_name('missing'), MaximumRetryAttempts=0)
    assert (error_code(e), status(e)) == ('ResourceNotFoundException', 404)
