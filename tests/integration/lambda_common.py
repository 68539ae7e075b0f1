"""What the Lambda suites share: deployment packages built from a few lines of Python, the
per-test function registry, the client fixtures, and invoke/poll helpers.

runnel runs custom runtimes only (provided.al2023, provided.al2, provided): the function process is
the zip's executable `bootstrap`, which talks to its sandbox's Runtime API
(http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/...). make_zip() writes that bootstrap as a
Python script (standard library only) around a handler given as source text:

    def handler(event, ctx):      # event: the parsed JSON payload; ctx: request_id, deadline_ms,
        return {'echo': event}    #   function_arn, headers (lower-cased), raw (the payload bytes)

The handler's return value is the response (bytes as they are, anything else as JSON). Raising
FunctionError(message, type) (or any exception) posts {"errorMessage", "errorType"} to
/invocation/<id>/error. record(**fields) writes a JSON file into $OUT_DIR (a directory the test
passes through Environment.Variables) atomically, so a test can see what asynchronous invocations
delivered. Code before the handler runs once per sandbox (the init phase).

The bootstraps need a python3 on the machine running the server, so these suites are runnel-only.
A module uses the fixtures by importing them by name (`from lambda_common import lam, fns`).
"""

import base64
import hashlib
import io
import json
import os
import shutil
import tempfile
import textwrap
import time
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError

from runnel_server import RunnelServer
from util import client_config, unique_table_name

ROLE = 'arn:aws:iam::000000000000:role/lambda-role'
RUNTIME = 'provided.al2023'
HANDLER = 'function.handler'
ACCOUNT = '000000000000'
REGION = 'us-east-1'
ARN_PREFIX = 'arn:aws:lambda:%s:%s:function:' % (REGION, ACCOUNT)
WAIT_S = 15.0
# Asynchronous retries 200 ms apart instead of AWS's minute and two (runnel's test-only flag).
FAST_RETRY_ARGS = ['--lambda-async-retry-delay-ms', '200']


def processes_with_environ(marker):
    """Pids of this machine's processes whose environment holds `marker` (bytes)."""
    found = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/environ' % name, 'rb') as f:
                if marker in f.read().split(b'\0'):
                    found.append(int(name))
        except OSError:
            pass
    return found


def shared_out_dir(prefix='runnel-lambda-out-'):
    """A directory a function can write into and the test can read: outside /tmp (a sandbox has a
    /tmp of its own when runnel runs as root) and open to every uid (functions run under their own)."""
    path = tempfile.mkdtemp(prefix=prefix, dir='/var/tmp')
    os.chmod(path, 0o777)
    return path

# The bootstrap around a handler. Exits (on an exception) when the Runtime API goes away, so no
# sandbox outlives its server.
BOOTSTRAP = r'''#!/usr/bin/env python3
import json, os, sys, time, urllib.request, uuid
sys.stdout.reconfigure(line_buffering=True)
sys.stderr.reconfigure(line_buffering=True)
API = 'http://%s/2018-06-01/runtime' % os.environ['AWS_LAMBDA_RUNTIME_API']


def post(path, body, headers=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(API + path, data=data, method='POST', headers=dict(headers or {}))
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()


def record(**fields):
    """One JSON file in $OUT_DIR per call, written to a temp name and renamed into place."""
    out = os.environ['OUT_DIR']
    name = '%020d-%s.json' % (time.time_ns(), uuid.uuid4().hex)
    tmp = os.path.join(out, '.tmp-' + name)
    with open(tmp, 'w') as f:
        json.dump(fields, f)
    os.rename(tmp, os.path.join(out, name))


class FunctionError(Exception):
    def __init__(self, message, error_type='HandlerError'):
        super().__init__(message)
        self.message, self.error_type = message, error_type


#__CODE__


while True:
    with urllib.request.urlopen(API + '/invocation/next') as r:
        headers = {k.lower(): v for k, v in r.headers.items()}
        raw = r.read()
    ctx = {'request_id': headers['lambda-runtime-aws-request-id'],
           'deadline_ms': int(headers.get('lambda-runtime-deadline-ms') or 0),
           'function_arn': headers.get('lambda-runtime-invoked-function-arn'),
           'headers': headers, 'raw': raw}
    rid = ctx['request_id']
    try:
        event = json.loads(raw) if raw.strip() else None
        result = handler(event, ctx)
    except Exception as e:
        kind = e.error_type if isinstance(e, FunctionError) else type(e).__name__
        text = e.message if isinstance(e, FunctionError) else str(e)
        post('/invocation/%s/error' % rid, {'errorMessage': text, 'errorType': kind, 'stackTrace': []},
             {'Lambda-Runtime-Function-Error-Type': kind})
        continue
    post('/invocation/%s/response' % rid, result if isinstance(result, bytes) else json.dumps(result).encode())
'''

ECHO = '''
def handler(event, ctx):
    return event
'''

FAIL = '''
def handler(event, ctx):
    raise FunctionError('boom', 'TestError')
'''

RECORD = '''
def handler(event, ctx):
    record(request_id=ctx['request_id'], event=event, pid=os.getpid(), at=time.time())
    return {'recorded': ctx['request_id']}
'''

RECORD_AND_FAIL = '''
def handler(event, ctx):
    record(request_id=ctx['request_id'], event=event, pid=os.getpid(), at=time.time())
    raise FunctionError('boom', 'TestError')
'''

SLEEP = '''
def handler(event, ctx):
    time.sleep(event.get('sleep', 0))
    return {'slept': event.get('sleep', 0), 'pid': os.getpid()}
'''

ENV = '''
def handler(event, ctx):
    return {'env': dict(os.environ), 'cwd': os.getcwd(), 'pid': os.getpid(), 'request_id': ctx['request_id'],
            'deadline_ms': ctx['deadline_ms'], 'function_arn': ctx['function_arn'], 'now_ms': int(time.time() * 1000)}
'''


def zip_entries(entries):
    """A zip of {name: (data, mode)} with Unix modes kept (create_system 3) and fixed dates, so the
    same entries always give the same bytes (and CodeSha256)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, (data, mode) in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data.encode() if isinstance(data, str) else data)
    return buf.getvalue()


def bootstrap_script(code=ECHO):
    return BOOTSTRAP.replace('#__CODE__', textwrap.dedent(code).strip())


def make_zip(code=ECHO, files=None, mode=0o755, script=None):
    """A deployment package: an executable `bootstrap` running `code` (or the given `script`
    verbatim), plus `files` ({name: text or bytes}, mode 0644)."""
    entries = {'bootstrap': (script if script is not None else bootstrap_script(code), mode)}
    for name, data in (files or {}).items():
        entries[name] = (data, 0o644)
    return zip_entries(entries)


def code_sha256(zip_bytes):
    """CodeSha256 as Lambda reports it: the base64 SHA-256 of the zip."""
    return base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()


def function_name(tag='fn'):
    return unique_table_name('fn_' + tag)


def invoke(lam, name, event=None, payload=None, **kwargs):
    """Invoke -> (response without the stream, the payload bytes)."""
    if event is not None:
        kwargs['Payload'] = json.dumps(event).encode()
    elif payload is not None:
        kwargs['Payload'] = payload
    r = lam.invoke(FunctionName=name, **kwargs)
    body = r.pop('Payload').read() if 'Payload' in r else b''
    return r, body


def log_of(response):
    """The invocation's log tail (LogType Tail), decoded."""
    return base64.b64decode(response['LogResult']).decode('utf-8', 'replace')


def poll(check, timeout=WAIT_S, interval=0.1, what='condition'):
    """Calls check() until it returns something truthy (returned), bounded in time."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %.0fs waiting for %s (last: %r)' % (timeout, what, value))
        time.sleep(interval)


def read_records(out_dir):
    """The records a RECORD-style function wrote, in the order written."""
    got = []
    for name in sorted(os.listdir(out_dir)):
        if name.endswith('.json') and not name.startswith('.tmp-'):
            with open(os.path.join(out_dir, name)) as f:
                got.append(json.load(f))
    return got


class Fn:
    """A function created for one test."""

    def __init__(self, lam, name, config, zip_bytes, out_dir):
        self.lam, self.name, self.config, self.zip, self.out_dir = lam, name, config, zip_bytes, out_dir

    @property
    def arn(self):
        return self.config['FunctionArn']

    def invoke(self, event=None, **kwargs):
        return invoke(self.lam, self.name, event, **kwargs)

    def call(self, event=None, **kwargs):
        """A RequestResponse invoke that must succeed -> the parsed response."""
        r, body = invoke(self.lam, self.name, event if event is not None else {}, **kwargs)
        assert r['StatusCode'] == 200 and 'FunctionError' not in r, (r, body)
        return json.loads(body)

    def records(self):
        return read_records(self.out_dir)

    def wait_records(self, n, timeout=WAIT_S):
        """At least n records (all that are there when n arrived)."""
        return poll(lambda: (lambda got: got if len(got) >= n else None)(self.records()), timeout,
                    what='%d records of %s' % (n, self.name))


class Functions:
    """Functions for one test, deleted afterwards (with their OUT_DIRs)."""

    def __init__(self, lam):
        self.lam = lam
        self.names, self.dirs = [], []

    def create(self, code=ECHO, zip_bytes=None, tag='fn', name=None, record=False, env=None, **kwargs):
        """CreateFunction with a bootstrap running `code` -> Fn. record=True makes an OUT_DIR."""
        name = name or function_name(tag)
        variables = dict(env or {})
        out_dir = None
        if record:
            out_dir = shared_out_dir()
            self.dirs.append(out_dir)
            variables['OUT_DIR'] = out_dir
        if variables:
            kwargs['Environment'] = {'Variables': variables}
        kwargs.setdefault('Runtime', RUNTIME)
        kwargs.setdefault('Role', ROLE)
        kwargs.setdefault('Handler', HANDLER)
        zip_bytes = zip_bytes if zip_bytes is not None else make_zip(code)
        config = self.lam.create_function(FunctionName=name, Code={'ZipFile': zip_bytes}, **kwargs)
        config.pop('ResponseMetadata', None)
        self.names.append(name)
        return Fn(self.lam, name, config, zip_bytes, out_dir)

    def cleanup(self):
        for name in self.names:
            try:
                self.lam.delete_function(FunctionName=name)
            except Exception:  # deleted by the test, or the server is gone
                pass
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)
        self.names, self.dirs = [], []


@pytest.fixture(scope='module')
def lam(make_client, target):
    if target.is_aws:
        pytest.skip('the functions are Python bootstraps for runnel (fake role, local python3)')
    return make_client('lambda')


@pytest.fixture(scope='module')
def lam_noval(make_client, lam):
    """A client without botocore's parameter validation, so the server sees invalid input."""
    return make_client('lambda', validate=False)


@pytest.fixture
def mappings(lam):
    """Event source mapping UUIDs a test made (it appends them), deleted afterwards."""
    made = []
    yield made
    for uuid in made:
        try:
            lam.delete_event_source_mapping(UUID=uuid)
        except ClientError:
            pass


@pytest.fixture
def fns(lam):
    f = Functions(lam)
    yield f
    f.cleanup()


def client_for(service, url):
    """A client of a server a test started itself."""
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id='test',
                        aws_secret_access_key='test', config=client_config())


@pytest.fixture(scope='module')
def fast_server(target, runnel_bin):
    """A server whose asynchronous retries come 200 ms apart: the session server when it was
    started with FAST_RETRY_ARGS, else one of this module's own."""
    if target.server is not None and FAST_RETRY_ARGS[0] in target.server.command():
        yield target.server
        return
    server = RunnelServer(runnel_bin, extra_args=FAST_RETRY_ARGS)
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def fast_fns(fast_server):
    f = Functions(client_for('lambda', fast_server.url))
    yield f
    f.cleanup()
