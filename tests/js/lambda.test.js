// Lambda through the AWS SDK for JavaScript v3: the REST-JSON protocol (/2015-03-31/functions,
// /2019-09-25/functions for the event-invoke configs) as a non-Python SDK speaks it, with the
// SDK's own exception classes. runnel runs custom runtimes only, so every function is a zip with an
// executable `bootstrap`: a Python script (python3 must be on the PATH of the machine running the
// server, as for tests/integration/lambda_common.py) looping on the Runtime API. The zip is made by
// `python3 -m zipfile`, which keeps the file's Unix mode (0755) in the zip. RUNNEL_URL points the
// tests at a running server instead of starting build/runnel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LambdaClient, CreateFunctionCommand, GetFunctionCommand, GetFunctionConfigurationCommand,
  ListFunctionsCommand, UpdateFunctionConfigurationCommand, UpdateFunctionCodeCommand, InvokeCommand,
  AddPermissionCommand, GetPolicyCommand, RemovePermissionCommand, PutFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand, DeleteFunctionEventInvokeConfigCommand, DeleteFunctionCommand,
  ResourceNotFoundException, ResourceConflictException, InvalidParameterValueException, LambdaServiceException,
  CreateEventSourceMappingCommand, GetEventSourceMappingCommand, ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand, DeleteEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { DynamoDBClient, CreateTableCommand, PutItemCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { startRunnel } from './runnel.js';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/lambda-role`;
const RUNTIME = 'provided.al2023';
const HANDLER = 'function.handler';
const ARN_PREFIX = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:`;

let server;
let client;
let dynamo;
let sqs;
let workDir;
// Where a function writes what the test reads: outside /tmp (a sandbox has its own when runnel runs
// as root) and open to every uid (each function runs under its own).
function sharedOutDir() {
  const dir = mkdtempSync(join('/var/tmp', 'runnel-js-out-'));
  chmodSync(dir, 0o777);
  return dir;
}
const created = new Set();
let counter = 0;

// The bootstrap around a handler (Python source defining handler(event, ctx)); the same loop as
// tests/integration/lambda_common.py's: the handler's return value is posted as JSON to
// /invocation/<id>/response, an exception as {errorMessage, errorType} to /invocation/<id>/error.
const BOOTSTRAP = `#!/usr/bin/env python3
import json, os, sys, time, urllib.request
sys.stdout.reconfigure(line_buffering=True)
API = 'http://%s/2018-06-01/runtime' % os.environ['AWS_LAMBDA_RUNTIME_API']


def post(path, body, headers=None):
    req = urllib.request.Request(API + path, data=json.dumps(body).encode(), method='POST', headers=dict(headers or {}))
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()


class FunctionError(Exception):
    def __init__(self, message, error_type):
        super().__init__(message)
        self.message, self.error_type = message, error_type


#__CODE__


while True:
    with urllib.request.urlopen(API + '/invocation/next') as r:
        rid = r.headers['Lambda-Runtime-Aws-Request-Id']
        raw = r.read()
    try:
        result = handler(json.loads(raw), {'request_id': rid})
    except FunctionError as e:
        post('/invocation/%s/error' % rid, {'errorMessage': e.message, 'errorType': e.error_type, 'stackTrace': []},
             {'Lambda-Runtime-Function-Error-Type': e.error_type})
        continue
    post('/invocation/%s/response' % rid, result)
`;

const ECHO = `
def handler(event, ctx):
    return event
`;

const versioned = (v) => `
def handler(event, ctx):
    return {'version': ${v}, 'event': event}
`;

const FAIL = `
def handler(event, ctx):
    raise FunctionError('boom: ' + event['why'], 'TestError')
`;

const LOG = `
def handler(event, ctx):
    print('log line from the handler: ' + event['marker'])
    return {'logged': event['marker']}
`;

const ENV = `
def handler(event, ctx):
    return {'greeting': os.environ.get('GREETING'), 'name': os.environ['AWS_LAMBDA_FUNCTION_NAME']}
`;

// Writes {request_id, event} to $OUT_DIR/<request id>.json (renamed into place).
const RECORD = `
def handler(event, ctx):
    path = os.path.join(os.environ['OUT_DIR'], ctx['request_id'] + '.json')
    with open(path + '.tmp', 'w') as f:
        json.dump({'request_id': ctx['request_id'], 'event': event}, f)
    os.rename(path + '.tmp', path)
    return {}
`;

// A deployment package: the bootstrap running `code`, mode 0755, zipped by python3's zipfile.
function makeZip(code) {
  const dir = mkdtempSync(join(workDir, 'zip-'));
  const bootstrap = join(dir, 'bootstrap');
  writeFileSync(bootstrap, BOOTSTRAP.replace('#__CODE__', code.trim()));
  chmodSync(bootstrap, 0o755);
  execFileSync('python3', ['-m', 'zipfile', '-c', 'fn.zip', 'bootstrap'], { cwd: dir });
  return new Uint8Array(readFileSync(join(dir, 'fn.zip')));
}

const sha256b64 = (bytes) => createHash('sha256').update(bytes).digest('base64');
const decode = (payload) => Buffer.from(payload ?? new Uint8Array()).toString('utf8');
const encode = (value) => new TextEncoder().encode(JSON.stringify(value));

function uniqueName(tag) {
  counter += 1;
  return `js-lambda-${tag}-${process.pid}-${Date.now()}-${counter}`;
}

async function createFunction(tag, code = ECHO, extra = {}) {
  const name = uniqueName(tag);
  const zip = makeZip(code);
  const config = await client.send(new CreateFunctionCommand({
    FunctionName: name, Runtime: RUNTIME, Role: ROLE, Handler: HANDLER, Code: { ZipFile: zip }, ...extra,
  }));
  created.add(name);
  return { name, zip, config };
}

async function deleteFunction(name) {
  await client.send(new DeleteFunctionCommand({ FunctionName: name }));
  created.delete(name);
}

// The error a command rejects with (fails the test if it resolves).
async function rejection(command) {
  try {
    const out = await client.send(command);
    assert.fail(`expected an error, got ${JSON.stringify(out)}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    return err;
  }
}

async function poll(check, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'runnel-js-lambda-'));
  let endpoint = process.env.RUNNEL_URL;
  if (!endpoint) {
    server = await startRunnel();
    endpoint = server.endpoint;
  }
  client = new LambdaClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  dynamo = new DynamoDBClient({ endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  sqs = new SQSClient({ endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});

after(async () => {
  try {
    for (const name of created) {
      try {
        await client.send(new DeleteFunctionCommand({ FunctionName: name }));
      } catch { /* the server is gone */ }
    }
  } finally {
    if (server) await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
});

test('the deployment package keeps bootstrap executable', () => {
  const zip = makeZip(ECHO);
  const dir = mkdtempSync(join(workDir, 'check-'));
  writeFileSync(join(dir, 'fn.zip'), zip);
  const out = execFileSync('python3', ['-c',
    'import sys, zipfile\n(i,) = zipfile.ZipFile(sys.argv[1]).infolist()\nprint(i.filename, i.create_system, oct(i.external_attr >> 16))',
    join(dir, 'fn.zip')]).toString().trim();
  assert.equal(out, 'bootstrap 3 0o100755');
});

test('CreateFunction returns the configuration', async () => {
  const { name, zip, config } = await createFunction('create', ECHO, {
    Description: 'made by the JS SDK', Timeout: 10, MemorySize: 256, Environment: { Variables: { APP_MODE: 'test' } },
  });
  try {
    assert.equal(config.$metadata.httpStatusCode, 201);
    assert.equal(config.FunctionName, name);
    assert.equal(config.FunctionArn, ARN_PREFIX + name);
    assert.equal(config.Runtime, RUNTIME);
    assert.equal(config.Role, ROLE);
    assert.equal(config.Handler, HANDLER);
    assert.equal(config.Description, 'made by the JS SDK');
    assert.equal(config.Timeout, 10);
    assert.equal(config.MemorySize, 256);
    assert.deepEqual(config.Environment, { Variables: { APP_MODE: 'test' } });
    assert.equal(config.CodeSha256, sha256b64(zip));
    assert.equal(config.CodeSize, zip.length);
    assert.equal(config.Version, '$LATEST');
    assert.equal(config.State, 'Active');
    assert.equal(config.LastUpdateStatus, 'Successful');
    assert.equal(config.PackageType, 'Zip');
    assert.match(config.RevisionId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(typeof config.LastModified, 'string');
  } finally {
    await deleteFunction(name);
  }
});

test('GetFunction returns the configuration and a Code.Location serving the zip', async () => {
  const { name, zip, config } = await createFunction('get');
  try {
    const out = await client.send(new GetFunctionCommand({ FunctionName: name }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.equal(out.Configuration.FunctionArn, ARN_PREFIX + name);
    assert.equal(out.Configuration.CodeSha256, sha256b64(zip));
    assert.equal(out.Configuration.CodeSize, zip.length);
    assert.equal(out.Configuration.RevisionId, config.RevisionId);
    assert.equal(out.Configuration.State, 'Active');
    assert.equal(out.Code.RepositoryType, 'S3');
    const res = await fetch(out.Code.Location);
    assert.equal(res.status, 200);
    const body = new Uint8Array(await res.arrayBuffer());
    assert.deepEqual(Buffer.from(body), Buffer.from(zip));
  } finally {
    await deleteFunction(name);
  }
});

test('GetFunctionConfiguration returns what CreateFunction did', async () => {
  const { name, config } = await createFunction('getconf');
  try {
    const out = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    const { $metadata: _a, ...got } = out;
    const { $metadata: _b, ...want } = config;
    assert.deepEqual(got, want);
    // By ARN as well as by name.
    const byArn = await client.send(new GetFunctionConfigurationCommand({ FunctionName: config.FunctionArn }));
    assert.equal(byArn.FunctionName, name);
  } finally {
    await deleteFunction(name);
  }
});

test('ListFunctions contains the function', async () => {
  const { name, zip } = await createFunction('list');
  try {
    const found = [];
    let Marker;
    do {
      const page = await client.send(new ListFunctionsCommand({ Marker, MaxItems: 50 }));
      found.push(...page.Functions);
      Marker = page.NextMarker;
    } while (Marker);
    const mine = found.filter((f) => f.FunctionName === name);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].FunctionArn, ARN_PREFIX + name);
    assert.equal(mine[0].CodeSha256, sha256b64(zip));
    assert.equal(mine[0].Runtime, RUNTIME);
  } finally {
    await deleteFunction(name);
  }
});

test('UpdateFunctionConfiguration changes Timeout and Environment, and the next invoke sees them', async () => {
  const { name, config } = await createFunction('updconf', ENV);
  try {
    const before = await client.send(new InvokeCommand({ FunctionName: name, Payload: encode({}) }));
    assert.deepEqual(JSON.parse(decode(before.Payload)), { greeting: null, name });

    const out = await client.send(new UpdateFunctionConfigurationCommand({
      FunctionName: name, Timeout: 42, Environment: { Variables: { GREETING: 'hello', OTHER: 'x' } },
    }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.equal(out.Timeout, 42);
    assert.deepEqual(out.Environment, { Variables: { GREETING: 'hello', OTHER: 'x' } });
    assert.equal(out.MemorySize, config.MemorySize);
    assert.notEqual(out.RevisionId, config.RevisionId);
    assert.equal(out.LastUpdateStatus, 'Successful');

    const got = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    assert.equal(got.Timeout, 42);
    assert.deepEqual(got.Environment, { Variables: { GREETING: 'hello', OTHER: 'x' } });
    assert.equal(got.RevisionId, out.RevisionId);

    const after = await client.send(new InvokeCommand({ FunctionName: name, Payload: encode({}) }));
    assert.deepEqual(JSON.parse(decode(after.Payload)), { greeting: 'hello', name });
  } finally {
    await deleteFunction(name);
  }
});

test('UpdateFunctionCode changes CodeSha256 and the next invoke runs the new code', async () => {
  const { name, zip, config } = await createFunction('updcode', versioned(1));
  try {
    const first = await client.send(new InvokeCommand({ FunctionName: name, Payload: encode({ n: 1 }) }));
    assert.deepEqual(JSON.parse(decode(first.Payload)), { version: 1, event: { n: 1 } });

    const zip2 = makeZip(versioned(2));
    assert.notEqual(sha256b64(zip2), sha256b64(zip));
    const out = await client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip2 }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.equal(out.CodeSha256, sha256b64(zip2));
    assert.equal(out.CodeSize, zip2.length);
    assert.notEqual(out.RevisionId, config.RevisionId);

    const second = await client.send(new InvokeCommand({ FunctionName: name, Payload: encode({ n: 2 }) }));
    assert.deepEqual(JSON.parse(decode(second.Payload)), { version: 2, event: { n: 2 } });

    const got = await client.send(new GetFunctionCommand({ FunctionName: name }));
    assert.equal(got.Configuration.CodeSha256, sha256b64(zip2));
    const res = await fetch(got.Code.Location);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), Buffer.from(zip2));
  } finally {
    await deleteFunction(name);
  }
});

test('Invoke RequestResponse returns the function response', async () => {
  const { name } = await createFunction('invoke');
  try {
    const event = { hello: 'wörld ☃', n: [1, 2.5, null], nested: { ok: true } };
    const out = await client.send(new InvokeCommand({ FunctionName: name, Payload: encode(event) }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.equal(out.ExecutedVersion, '$LATEST');
    assert.equal(out.FunctionError, undefined);
    assert.equal(out.LogResult, undefined);
    assert.ok(out.Payload instanceof Uint8Array);
    assert.deepEqual(JSON.parse(decode(out.Payload)), event);
    // InvocationType RequestResponse named explicitly, by ARN with the $LATEST qualifier.
    const again = await client.send(new InvokeCommand({
      FunctionName: ARN_PREFIX + name, Qualifier: '$LATEST', InvocationType: 'RequestResponse', Payload: encode([1, 'two']),
    }));
    assert.equal(again.StatusCode, 200);
    assert.deepEqual(JSON.parse(decode(again.Payload)), [1, 'two']);
  } finally {
    await deleteFunction(name);
  }
});

test('Invoke of a failing function reports FunctionError Unhandled', async () => {
  const { name } = await createFunction('fail', FAIL);
  try {
    const out = await client.send(new InvokeCommand({ FunctionName: name, Payload: encode({ why: 'testing' }) }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, 'Unhandled');
    assert.equal(out.ExecutedVersion, '$LATEST');
    const body = JSON.parse(decode(out.Payload));
    assert.equal(body.errorMessage, 'boom: testing');
    assert.equal(body.errorType, 'TestError');
  } finally {
    await deleteFunction(name);
  }
});

test('Invoke with LogType Tail returns the log of the invocation', async () => {
  const { name } = await createFunction('tail', LOG);
  try {
    const marker = `m-${Date.now()}`;
    const out = await client.send(new InvokeCommand({ FunctionName: name, LogType: 'Tail', Payload: encode({ marker }) }));
    assert.equal(out.StatusCode, 200);
    assert.deepEqual(JSON.parse(decode(out.Payload)), { logged: marker });
    const requestId = out.$metadata.requestId;
    assert.match(requestId, /^[0-9a-f-]{36}$/);
    assert.equal(typeof out.LogResult, 'string');
    const log = Buffer.from(out.LogResult, 'base64').toString('utf8');
    const lines = log.split('\n').filter((l) => l.length > 0);
    const start = lines.findIndex((l) => l.startsWith(`START RequestId: ${requestId} Version: $LATEST`));
    const printed = lines.indexOf(`log line from the handler: ${marker}`);
    const end = lines.findIndex((l) => l.startsWith(`END RequestId: ${requestId}`));
    const report = lines.findIndex((l) => l.startsWith(`REPORT RequestId: ${requestId}`));
    assert.ok(start >= 0 && start < printed && printed < end && end < report, log);
    assert.match(lines[report], /\tDuration: [0-9.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\t/);
  } finally {
    await deleteFunction(name);
  }
});

test('Invoke Event is accepted with 202 and runs under its request id', async () => {
  const outDir = sharedOutDir();
  const { name } = await createFunction('event', RECORD, { Environment: { Variables: { OUT_DIR: outDir } } });
  try {
    const out = await client.send(new InvokeCommand({
      FunctionName: name, InvocationType: 'Event', Payload: encode({ async: true }),
    }));
    assert.equal(out.StatusCode, 202);
    assert.equal(out.$metadata.httpStatusCode, 202);
    assert.equal(out.FunctionError, undefined);
    assert.equal(decode(out.Payload), '');
    const requestId = out.$metadata.requestId;
    const file = await poll(() => readdirSync(outDir).find((f) => f === `${requestId}.json`), 'the Event invocation to run');
    assert.deepEqual(JSON.parse(readFileSync(join(outDir, file), 'utf8')), { request_id: requestId, event: { async: true } });
  } finally {
    await deleteFunction(name);
  }
});

test('Invoke DryRun answers 204 and runs nothing', async () => {
  const outDir = sharedOutDir();
  const { name } = await createFunction('dryrun', RECORD, { Environment: { Variables: { OUT_DIR: outDir } } });
  try {
    const out = await client.send(new InvokeCommand({ FunctionName: name, InvocationType: 'DryRun', Payload: encode({}) }));
    assert.equal(out.StatusCode, 204);
    assert.equal(out.$metadata.httpStatusCode, 204);
    assert.equal(decode(out.Payload), '');
    // A synchronous invoke after it is the first and only one to run.
    const sync = await client.send(new InvokeCommand({ FunctionName: name, Payload: encode({ sync: true }) }));
    assert.equal(sync.StatusCode, 200);
    assert.deepEqual(readdirSync(outDir), [`${sync.$metadata.requestId}.json`]);
  } finally {
    await deleteFunction(name);
  }
});

test('AddPermission, GetPolicy and RemovePermission manage the resource policy', async () => {
  const { name } = await createFunction('perm');
  const arn = ARN_PREFIX + name;
  const sourceArn = 'arn:aws:s3:::some-bucket';
  try {
    const added = await client.send(new AddPermissionCommand({
      FunctionName: name, StatementId: 's3-invoke', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com',
      SourceArn: sourceArn, SourceAccount: ACCOUNT,
    }));
    assert.equal(added.$metadata.httpStatusCode, 201);
    const statement = {
      Sid: 's3-invoke',
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: arn,
      Condition: { StringEquals: { 'AWS:SourceAccount': ACCOUNT }, ArnLike: { 'AWS:SourceArn': sourceArn } },
    };
    assert.deepEqual(JSON.parse(added.Statement), statement);

    const dup = await rejection(new AddPermissionCommand({
      FunctionName: name, StatementId: 's3-invoke', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com',
    }));
    assert.equal(dup.name, 'ResourceConflictException');
    assert.ok(dup instanceof ResourceConflictException);
    assert.equal(dup.$metadata.httpStatusCode, 409);

    const policy = await client.send(new GetPolicyCommand({ FunctionName: name }));
    assert.equal(policy.$metadata.httpStatusCode, 200);
    assert.deepEqual(JSON.parse(policy.Policy), { Version: '2012-10-17', Id: 'default', Statement: [statement] });
    assert.match(policy.RevisionId, /^[0-9a-f-]{36}$/);

    const removed = await client.send(new RemovePermissionCommand({ FunctionName: name, StatementId: 's3-invoke' }));
    assert.equal(removed.$metadata.httpStatusCode, 204);

    const gone = await rejection(new GetPolicyCommand({ FunctionName: name }));
    assert.equal(gone.name, 'ResourceNotFoundException');
    assert.ok(gone instanceof ResourceNotFoundException);
    assert.equal(gone.$metadata.httpStatusCode, 404);

    const again = await rejection(new RemovePermissionCommand({ FunctionName: name, StatementId: 's3-invoke' }));
    assert.equal(again.name, 'ResourceNotFoundException');
    assert.equal(again.$metadata.httpStatusCode, 404);
  } finally {
    await deleteFunction(name);
  }
});

test('Put, Get and DeleteFunctionEventInvokeConfig', async () => {
  const { name } = await createFunction('eic');
  try {
    const missing = await rejection(new GetFunctionEventInvokeConfigCommand({ FunctionName: name }));
    assert.equal(missing.name, 'ResourceNotFoundException');
    assert.equal(missing.$metadata.httpStatusCode, 404);

    const t0 = Date.now();
    const put = await client.send(new PutFunctionEventInvokeConfigCommand({
      FunctionName: name, MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 120,
    }));
    assert.equal(put.$metadata.httpStatusCode, 200);
    assert.equal(put.FunctionArn, `${ARN_PREFIX}${name}:$LATEST`);
    assert.equal(put.MaximumRetryAttempts, 1);
    assert.equal(put.MaximumEventAgeInSeconds, 120);
    assert.ok(put.LastModified instanceof Date);
    assert.ok(Math.abs(put.LastModified.getTime() - t0) < 60000, put.LastModified.toISOString());

    const got = await client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: name }));
    assert.equal(got.$metadata.httpStatusCode, 200);
    assert.equal(got.FunctionArn, put.FunctionArn);
    assert.equal(got.MaximumRetryAttempts, 1);
    assert.equal(got.MaximumEventAgeInSeconds, 120);
    assert.equal(got.LastModified.getTime(), put.LastModified.getTime());

    const del = await client.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: name }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    const after = await rejection(new GetFunctionEventInvokeConfigCommand({ FunctionName: name }));
    assert.equal(after.name, 'ResourceNotFoundException');
    assert.ok(after instanceof ResourceNotFoundException);
    assert.equal(after.$metadata.httpStatusCode, 404);
  } finally {
    await deleteFunction(name);
  }
});

test('DeleteFunction removes the function', async () => {
  const { name } = await createFunction('delete');
  const out = await client.send(new DeleteFunctionCommand({ FunctionName: name }));
  created.delete(name);
  assert.equal(out.$metadata.httpStatusCode, 204);
  const err = await rejection(new GetFunctionConfigurationCommand({ FunctionName: name }));
  assert.equal(err.name, 'ResourceNotFoundException');
  assert.equal(err.$metadata.httpStatusCode, 404);
  const list = await client.send(new ListFunctionsCommand({}));
  assert.ok(!list.Functions.some((f) => f.FunctionName === name));
  const again = await rejection(new DeleteFunctionCommand({ FunctionName: name }));
  assert.equal(again.name, 'ResourceNotFoundException');
  assert.equal(again.$metadata.httpStatusCode, 404);
});

test('GetFunction and Invoke of a missing function are ResourceNotFoundException', async () => {
  const name = uniqueName('missing');
  for (const command of [
    new GetFunctionCommand({ FunctionName: name }),
    new InvokeCommand({ FunctionName: name, Payload: encode({}) }),
  ]) {
    const err = await rejection(command);
    assert.equal(err.name, 'ResourceNotFoundException');
    assert.ok(err instanceof ResourceNotFoundException);
    assert.ok(err instanceof LambdaServiceException);
    assert.equal(err.$metadata.httpStatusCode, 404);
    assert.equal(err.$fault, 'client');
    assert.equal(err.message, `Function not found: ${ARN_PREFIX}${name}`);
  }
});

test('CreateFunction of an existing name is ResourceConflictException', async () => {
  const { name } = await createFunction('dup');
  try {
    const err = await rejection(new CreateFunctionCommand({
      FunctionName: name, Runtime: RUNTIME, Role: ROLE, Handler: HANDLER, Code: { ZipFile: makeZip(ECHO) },
    }));
    assert.equal(err.name, 'ResourceConflictException');
    assert.ok(err instanceof ResourceConflictException);
    assert.equal(err.$metadata.httpStatusCode, 409);
    assert.equal(err.message, `Function already exist: ${name}`);
  } finally {
    await deleteFunction(name);
  }
});

test('CreateFunction with a managed runtime is InvalidParameterValueException', async () => {
  const name = uniqueName('python');
  const err = await rejection(new CreateFunctionCommand({
    FunctionName: name, Runtime: 'python3.12', Role: ROLE, Handler: 'index.handler', Code: { ZipFile: makeZip(ECHO) },
  }));
  assert.equal(err.name, 'InvalidParameterValueException');
  assert.ok(err instanceof InvalidParameterValueException);
  assert.equal(err.$metadata.httpStatusCode, 400);
  const get = await rejection(new GetFunctionCommand({ FunctionName: name }));
  assert.equal(get.name, 'ResourceNotFoundException');
});

test('CreateFunction with Timeout 901 is ValidationException', async () => {
  const name = uniqueName('timeout');
  const err = await rejection(new CreateFunctionCommand({
    FunctionName: name, Runtime: RUNTIME, Role: ROLE, Handler: HANDLER, Code: { ZipFile: makeZip(ECHO) }, Timeout: 901,
  }));
  // Lambda's model has no ValidationException shape: the SDK gives the service's base class with
  // the error code as its name.
  assert.equal(err.name, 'ValidationException');
  assert.ok(err instanceof LambdaServiceException);
  assert.equal(err.$metadata.httpStatusCode, 400);
  assert.equal(err.message,
    "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900");
  const get = await rejection(new GetFunctionCommand({ FunctionName: name }));
  assert.equal(get.name, 'ResourceNotFoundException');
});

test('an event source mapping delivers a stream\'s records; Create/Get/List/Update/Delete', async () => {
  const table = uniqueName('esm-table');
  const created = await dynamo.send(new CreateTableCommand({
    TableName: table, BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
  }));
  const stream = created.TableDescription.LatestStreamArn;
  const outDir = sharedOutDir();
  try {
    const { name, config } = await createFunction('esm', RECORD, { Environment: { Variables: { OUT_DIR: outDir } } });
    const m = await client.send(new CreateEventSourceMappingCommand({
      EventSourceArn: stream, FunctionName: name, StartingPosition: 'LATEST', BatchSize: 10,
    }));
    assert.equal(m.$metadata.httpStatusCode, 202);
    assert.equal(m.State, 'Creating');
    assert.equal(m.FunctionArn, config.FunctionArn);
    assert.equal(m.BatchSize, 10);
    await dynamo.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'k1' }, v: { S: 'hello' } } }));
    const files = await poll(() => { const f = readdirSync(outDir).filter((n) => n.endsWith('.json')); return f.length ? f : null; },
      'the stream record at the function');
    const event = JSON.parse(readFileSync(join(outDir, files[0]), 'utf8')).event;
    assert.equal(event.Records[0].eventSourceARN, stream);
    assert.deepEqual(event.Records[0].dynamodb.NewImage.v, { S: 'hello' });
    const got = await client.send(new GetEventSourceMappingCommand({ UUID: m.UUID }));
    assert.equal(got.State, 'Enabled');
    const listed = await client.send(new ListEventSourceMappingsCommand({ EventSourceArn: stream }));
    assert.deepEqual(listed.EventSourceMappings.map((x) => x.UUID), [m.UUID]);
    const up = await client.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, Enabled: false }));
    assert.equal(up.State, 'Disabling');
    const conflict = await rejection(new CreateEventSourceMappingCommand({ EventSourceArn: stream, FunctionName: name, StartingPosition: 'LATEST' }));
    assert.ok(conflict instanceof ResourceConflictException, conflict.name);
    const gone = await client.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
    assert.equal(gone.State, 'Deleting');
    const missing = await rejection(new GetEventSourceMappingCommand({ UUID: m.UUID }));
    assert.ok(missing instanceof ResourceNotFoundException, missing.name);
  } finally {
    await dynamo.send(new DeleteTableCommand({ TableName: table }));
    rmSync(outDir, { recursive: true, force: true });
  }
});

test('an event source mapping delivers a queue\'s messages; ScalingConfig and the queue-only validation', async () => {
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('esm-queue') }))).QueueUrl;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes.QueueArn;
  const outDir = sharedOutDir();
  try {
    const { name, config } = await createFunction('esmq', RECORD, { Environment: { Variables: { OUT_DIR: outDir } } });
    const refused = await rejection(new CreateEventSourceMappingCommand({ EventSourceArn: queueArn, FunctionName: name, StartingPosition: 'LATEST' }));
    assert.ok(refused instanceof InvalidParameterValueException, refused.name);
    assert.equal(refused.message, 'StartingPosition is not valid for SQS event sources.');
    const m = await client.send(new CreateEventSourceMappingCommand({
      EventSourceArn: queueArn, FunctionName: name, ScalingConfig: { MaximumConcurrency: 2 },
    }));
    assert.equal(m.$metadata.httpStatusCode, 202);
    assert.equal(m.FunctionArn, config.FunctionArn);
    assert.equal(m.BatchSize, 10);
    assert.deepEqual(m.ScalingConfig, { MaximumConcurrency: 2 });
    assert.equal(m.StartingPosition, undefined);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'hello from js' }));
    const files = await poll(() => { const f = readdirSync(outDir).filter((n) => n.endsWith('.json')); return f.length ? f : null; },
      'the message at the function');
    const record = JSON.parse(readFileSync(join(outDir, files[0]), 'utf8')).event.Records[0];
    assert.equal(record.body, 'hello from js');
    assert.equal(record.eventSource, 'aws:sqs');
    assert.equal(record.eventSourceARN, queueArn);
    assert.equal(record.md5OfBody, createHash('md5').update('hello from js').digest('hex'));
    const up = await client.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, ScalingConfig: { MaximumConcurrency: 4 } }));
    assert.deepEqual(up.ScalingConfig, { MaximumConcurrency: 4 });
    const tooFew = await rejection(new UpdateEventSourceMappingCommand({ UUID: m.UUID, ScalingConfig: { MaximumConcurrency: 1 } }));
    assert.equal(tooFew.name, 'ValidationException');
    // The message was deleted once the function succeeded.
    await poll(async () => {
      const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }))).Attributes;
      return a.ApproximateNumberOfMessages === '0' && a.ApproximateNumberOfMessagesNotVisible === '0';
    }, 'the queue to be empty');
    await client.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
  } finally {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    rmSync(outDir, { recursive: true, force: true });
  }
});
