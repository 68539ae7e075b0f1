"""What a function may not reach (docs/compatibility/lambda.md, "Isolation"), zips that lie or
collide, and GetFunction's presigned code URL.

The server here runs as root (as the tests do on this machine): functions run under their own uid,
in a PID and mount namespace with a private /tmp and a memory cgroup. Tests that need root skip
without it. The data dir and the credentials file live under /var/tmp, outside the private /tmp, so
that a refusal comes from permissions, not from the path being hidden.
"""

import io
import os
import shutil
import struct
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError

from lambda_common import HANDLER, ROLE, RUNTIME, make_zip, processes_with_environ, zip_entries
from runnel_server import RunnelServer
from util import client_config

KEY, SECRET = '000000000000', 'isolation-secret'
AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason='isolation by uid needs runnel to run as root')


@pytest.fixture(scope='module')
def server(runnel_bin):
    base = tempfile.mkdtemp(prefix='runnel-iso-', dir='/var/tmp')
    os.chmod(base, 0o755)
    creds = os.path.join(base, 'credentials')
    with open(creds, 'w') as f:
        f.write('%s %s\n' % (KEY, SECRET))
    os.chmod(creds, 0o644)  # runnel tightens it to 0600
    s = RunnelServer(runnel_bin, data_dir=os.path.join(base, 'data'), auth_credentials=creds)
    s.creds = creds
    s.start()
    yield s
    s.cleanup()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope='module')
def lam(server):
    return boto3.client('lambda', endpoint_url=server.url, region_name='us-east-1', aws_access_key_id=KEY,
                        aws_secret_access_key=SECRET, config=client_config())


def create(lam, name, code, **kwargs):
    kwargs.setdefault('Timeout', 10)
    lam.create_function(FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler=HANDLER,
                        Code={'ZipFile': make_zip(code)}, **kwargs)
    return name


def call(lam, name, event=None):
    import json
    r = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode())
    return r.get('FunctionError'), json.loads(r['Payload'].read())


PROBE = '''
import os, socket, urllib.request
def attempt(f):
    try:
        return 'ok:' + str(f())
    except Exception as e:
        return type(e).__name__
def handler(event, ctx):
    out = {'uid': os.getuid()}
    out['creds'] = attempt(lambda: open(event['creds']).read())
    out['data_list'] = attempt(lambda: os.listdir(event['data']))
    out['data_file'] = attempt(lambda: open(os.path.join(event['data'], 'CURRENT')).read())
    out['code'] = attempt(lambda: len(open(os.path.join(os.environ['LAMBDA_TASK_ROOT'], 'bootstrap')).read()) > 0)
    if event.get('other_api'):
        def other():
            req = urllib.request.Request('http://%s/2018-06-01/runtime/invocation/next' % event['other_api'])
            try:
                return urllib.request.urlopen(req, timeout=3).status
            except urllib.error.HTTPError as e:
                return e.code
        out['other_api'] = other()
    with open('/tmp/mine', 'w') as f:
        f.write(ctx['request_id'])
    out['tmp'] = sorted(os.listdir('/tmp'))
    out['api'] = os.environ['AWS_LAMBDA_RUNTIME_API']
    return out
'''


@AS_ROOT
def test_a_function_reads_neither_the_credentials_nor_the_data_dir(server, lam):
    name = create(lam, 'iso_probe', PROBE)
    error, out = call(lam, name, {'creds': server.creds, 'data': server.data_dir})
    assert error is None, out
    assert out['uid'] != 0
    assert out['creds'] == 'PermissionError'
    assert oct(os.stat(server.creds).st_mode & 0o777) == '0o600'
    assert out['data_list'] == 'PermissionError'
    assert out['data_file'] == 'PermissionError'
    assert out['code'] == 'ok:True'  # its own code stays readable


@AS_ROOT
def test_tmp_is_private_and_another_functions_runtime_api_refuses(lam):
    # One function parks a sandbox; the other reaches for its Runtime API.
    a = create(lam, 'iso_a', PROBE)
    b = create(lam, 'iso_b', PROBE)
    _, first = call(lam, a, {'creds': '/nonexistent', 'data': '/nonexistent'})
    assert first['tmp'] == ['mine']  # an empty /tmp of its own
    _, second = call(lam, b, {'creds': '/nonexistent', 'data': '/nonexistent', 'other_api': first['api']})
    assert second['other_api'] == 403
    assert second['tmp'] == ['mine']
    assert second['uid'] != first['uid']  # one uid per function
    assert not os.path.exists('/tmp/mine')


SETSID = '''
import os, subprocess
def handler(event, ctx):
    subprocess.Popen(['setsid', 'sleep', '1000'], start_new_session=True)
    return {'stream': os.environ['AWS_LAMBDA_LOG_STREAM_NAME']}
'''


def test_a_setsid_grandchild_ends_with_the_sandbox_and_the_server(runnel_bin):
    s = RunnelServer(runnel_bin)
    s.start()
    try:
        lam = boto3.client('lambda', endpoint_url=s.url, region_name='us-east-1', aws_access_key_id='test',
                           aws_secret_access_key='test', config=client_config())
        name = create(lam, 'iso_setsid', SETSID)
        _, out = call(lam, name)
        marker = ('AWS_LAMBDA_LOG_STREAM_NAME=' + out['stream']).encode()
        deadline = time.time() + 5
        while len(processes_with_environ(marker)) < 2 and time.time() < deadline:
            time.sleep(0.05)
        assert len(processes_with_environ(marker)) >= 2  # the bootstrap and its sleep
        s.kill()  # kill -9: nothing of runnel's runs its shutdown
        deadline = time.time() + 10
        while processes_with_environ(marker) and time.time() < deadline:
            time.sleep(0.1)
        assert processes_with_environ(marker) == []
    finally:
        s.cleanup()


HOG = '''
def handler(event, ctx):
    blocks = []
    for _ in range(400):
        blocks.append(bytearray(1024 * 1024))
    return {'allocated': len(blocks)}
'''


@AS_ROOT
def test_memory_past_memory_size_is_killed_as_aws_reports_it(lam):
    name = create(lam, 'iso_hog', HOG, MemorySize=128)
    error, out = call(lam, name)
    assert error == 'Unhandled'
    assert out['errorType'] == 'Runtime.ExitError'
    assert out['errorMessage'].endswith('Error: Runtime exited with error: signal: killed'), out
    # The same code with room for it runs.
    lam.update_function_configuration(FunctionName=name, MemorySize=1024)
    time.sleep(0.2)
    error, out = call(lam, name)
    assert error is None and out == {'allocated': 400}


def lying_zip(real_bytes, declared):
    """A zip of one `bootstrap` whose headers declare `declared` bytes but inflate to real_bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('bootstrap', b'\0' * real_bytes)
    data = bytearray(buf.getvalue())
    struct.pack_into('<I', data, 22, declared)                       # local header
    struct.pack_into('<I', data, data.rfind(b'PK\x01\x02') + 24, declared)  # central directory
    return bytes(data)


def test_a_zip_that_lies_about_its_sizes_is_refused(lam):
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName='iso_bomb', Runtime=RUNTIME, Role=ROLE, Handler=HANDLER,
                            Code={'ZipFile': lying_zip(300 * 1024 * 1024, 1000)})
    err = e.value.response
    assert err['Error']['Code'] == 'InvalidParameterValueException'
    assert err['ResponseMetadata']['HTTPStatusCode'] == 400
    assert err['Error']['Message'] == 'Unzipped size must be smaller than 262144000 bytes'
    with pytest.raises(ClientError):
        lam.get_function(FunctionName='iso_bomb')


@pytest.mark.parametrize('entries', [
    {'bootstrap': ('x', 0o755), 'bootstrap/inner': ('y', 0o644)},
    {'lib/a': ('x', 0o644), 'lib': ('y', 0o644), 'bootstrap': ('z', 0o755)},
])
def test_colliding_entries_are_a_400(lam, entries):
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName='iso_collide', Runtime=RUNTIME, Role=ROLE, Handler=HANDLER,
                            Code={'ZipFile': zip_entries(entries)})
    assert e.value.response['Error']['Code'] == 'InvalidParameterValueException'
    assert e.value.response['ResponseMetadata']['HTTPStatusCode'] == 400


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_the_code_url_needs_getfunctions_unexpired_token(server, lam):
    code = make_zip('def handler(event, ctx):\n    return 1\n')
    lam.create_function(FunctionName='iso_code', Runtime=RUNTIME, Role=ROLE, Handler=HANDLER, Code={'ZipFile': code})
    location = lam.get_function(FunctionName='iso_code')['Code']['Location']
    status, body = get(location)
    assert status == 200 and body == code
    parts = urllib.parse.urlsplit(location)
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert int(query['Expires']) - time.time() == pytest.approx(600, abs=30)  # ten minutes, as AWS's

    def with_query(q):
        return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q)))
    bare = with_query({'FunctionArn': query['FunctionArn']})
    bad = with_query(dict(query, Signature='0' * 64))
    expired = with_query(dict(query, Expires=str(int(time.time()) - 1)))  # the signature no longer matches either
    for url in (bare, bad, expired):
        status, body = get(url)
        assert status == 403, url
        assert b'<Code>AccessDenied</Code>' in body
