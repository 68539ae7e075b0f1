// CloudWatch Logs through the AWS SDK for JavaScript v3: the Logs_20140328 JSON 1.1 protocol as a
// non-Python SDK speaks it (groups, streams, events, tokens, modeled errors).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DescribeLogGroupsCommand,
  DescribeLogStreamsCommand, PutLogEventsCommand, GetLogEventsCommand, FilterLogEventsCommand,
  DeleteLogGroupCommand, ResourceAlreadyExistsException, ResourceNotFoundException, InvalidParameterException,
} from '@aws-sdk/client-cloudwatch-logs';
import { startRunnel } from './runnel.js';

let server;
let logs;
const group = `/js/logs-${Date.now()}`;

before(async () => {
  server = await startRunnel();
  logs = new CloudWatchLogsClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 's' }));
});

after(async () => {
  await server?.stop();
});

test('groups and streams are described as the SDK models them', async () => {
  const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }));
  assert.equal(groups.logGroups.length, 1);
  assert.equal(groups.logGroups[0].logGroupName, group);
  assert.equal(typeof groups.logGroups[0].creationTime, 'number');
  assert.match(groups.logGroups[0].arn, /^arn:aws:logs:us-east-1:\d{12}:log-group:.*:\*$/);
  const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }));
  assert.deepEqual(streams.logStreams.map((s) => s.logStreamName), ['s']);
  await assert.rejects(logs.send(new CreateLogGroupCommand({ logGroupName: group })), (e) => {
    assert.ok(e instanceof ResourceAlreadyExistsException);
    assert.equal(e.message, 'The specified log group already exists');
    return true;
  });
  await assert.rejects(logs.send(new CreateLogStreamCommand({ logGroupName: `${group}-none`, logStreamName: 's' })),
    ResourceNotFoundException);
});

test('events go in and come back, by stream and across the group', async () => {
  const t = Date.now() - 1000;
  const put = await logs.send(new PutLogEventsCommand({
    logGroupName: group,
    logStreamName: 's',
    logEvents: [{ timestamp: t, message: 'first ERROR' }, { timestamp: t + 1, message: 'second' }],
  }));
  assert.equal(typeof put.nextSequenceToken, 'string');
  const got = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 's', startFromHead: true }));
  assert.deepEqual(got.events.map((e) => e.message), ['first ERROR', 'second']);
  assert.equal(got.events[0].timestamp, t);
  assert.match(got.nextForwardToken, /^f\/\d{56}$/);
  const filtered = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: 'ERROR' }));
  assert.deepEqual(filtered.events.map((e) => [e.logStreamName, e.message]), [['s', 'first ERROR']]);
  await assert.rejects(logs.send(new PutLogEventsCommand({
    logGroupName: group,
    logStreamName: 's',
    logEvents: [{ timestamp: t + 1, message: 'b' }, { timestamp: t, message: 'a' }],
  })), (e) => {
    assert.ok(e instanceof InvalidParameterException);
    assert.equal(e.message, 'Log events in a single PutLogEvents request must be in chronological order.');
    return true;
  });
});

test('deleting the group takes its streams and events', async () => {
  const name = `${group}-gone`;
  await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
  await logs.send(new DeleteLogGroupCommand({ logGroupName: name }));
  await assert.rejects(logs.send(new FilterLogEventsCommand({ logGroupName: name })), ResourceNotFoundException);
});
