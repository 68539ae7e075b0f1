// DynamoDB Streams through the AWS SDK for JavaScript v3: the DynamoDBStreams_20120810 JSON
// protocol as a non-Python SDK speaks it (records, images, dates, modeled and unmodeled errors).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DynamoDBClient, CreateTableCommand, PutItemCommand, UpdateItemCommand, DeleteItemCommand,
  DeleteTableCommand, DescribeTableCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBStreamsClient, ListStreamsCommand, DescribeStreamCommand, GetShardIteratorCommand,
  GetRecordsCommand, ResourceNotFoundException, DynamoDBStreamsServiceException,
} from '@aws-sdk/client-dynamodb-streams';
import { startRunnel } from './runnel.js';

let server;
let client;
let streams;
let streamArn;
const table = `js-streams-${Date.now()}`;

before(async () => {
  server = await startRunnel();
  const config = {
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  client = new DynamoDBClient(config);
  streams = new DynamoDBStreamsClient(config);
  await client.send(new CreateTableCommand({
    TableName: table,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
    ],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  }));
  const desc = await client.send(new DescribeTableCommand({ TableName: table }));
  streamArn = desc.Table.LatestStreamArn;
});

after(async () => {
  try { await client.send(new DeleteTableCommand({ TableName: table })); } finally { await server.stop(); }
});

// Every record of the stream's shards from TRIM_HORIZON; the open shard until an empty read.
async function readStream() {
  const { StreamDescription: desc } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const records = [];
  for (const shard of desc.Shards) {
    let { ShardIterator: it } = await streams.send(new GetShardIteratorCommand({
      StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON',
    }));
    for (let calls = 0; it; calls++) {
      assert.ok(calls < 100, 'GetRecords did not reach the end of the shard in 100 calls');
      const out = await streams.send(new GetRecordsCommand({ ShardIterator: it }));
      records.push(...out.Records);
      it = out.NextShardIterator;
      if (out.Records.length === 0 && shard.SequenceNumberRange.EndingSequenceNumber === undefined) break;
    }
  }
  return records;
}

test('describe table reports the stream: specification, ARN and label', async () => {
  const out = await client.send(new DescribeTableCommand({ TableName: table }));
  assert.deepEqual(out.Table.StreamSpecification, { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
  assert.match(out.Table.LatestStreamLabel, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
  assert.equal(out.Table.LatestStreamArn,
    `arn:aws:dynamodb:us-east-1:000000000000:table/${table}/stream/${out.Table.LatestStreamLabel}`);
});

test('list streams of the table returns its one stream', async () => {
  const out = await streams.send(new ListStreamsCommand({ TableName: table }));
  assert.equal(out.Streams.length, 1);
  assert.equal(out.Streams[0].StreamArn, streamArn);
  assert.equal(out.Streams[0].TableName, table);
  assert.equal(streamArn.endsWith(`/stream/${out.Streams[0].StreamLabel}`), true);
  assert.equal(out.LastEvaluatedStreamArn, undefined);
});

test('describe stream: enabled, view type, key schema and one open shard', async () => {
  const { StreamDescription: d } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  assert.equal(d.StreamArn, streamArn);
  assert.equal(d.StreamStatus, 'ENABLED');
  assert.equal(d.StreamViewType, 'NEW_AND_OLD_IMAGES');
  assert.equal(d.TableName, table);
  assert.ok(d.CreationRequestDateTime instanceof Date);
  assert.ok(Math.abs(d.CreationRequestDateTime.getTime() - Date.now()) < 600000, String(d.CreationRequestDateTime));
  assert.deepEqual(d.KeySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]);
  assert.equal(d.Shards.length, 1);
  assert.match(d.Shards[0].ShardId, /^shardId-\d{20}-[0-9a-f]{8}$/);
  assert.match(d.Shards[0].SequenceNumberRange.StartingSequenceNumber, /^\d{21}$/);
  assert.equal(d.Shards[0].SequenceNumberRange.EndingSequenceNumber, undefined);
  assert.equal(d.LastEvaluatedShardId, undefined);
});

test('put, update and delete give INSERT, MODIFY, MODIFY, REMOVE records with their images', async () => {
  const key = { pk: { S: 'rec' }, sk: { N: '1' } };
  await client.send(new PutItemCommand({ TableName: table, Item: { ...key, v: { N: '1' } } }));
  await client.send(new PutItemCommand({ TableName: table, Item: { ...key, v: { N: '2' }, s: { S: 'x' } } }));
  await client.send(new UpdateItemCommand({
    TableName: table, Key: key, UpdateExpression: 'SET v = :v REMOVE s', ExpressionAttributeValues: { ':v': { N: '3' } },
  }));
  await client.send(new DeleteItemCommand({ TableName: table, Key: key }));
  await client.send(new DeleteItemCommand({ TableName: table, Key: key })); // nothing to delete: no record

  const records = (await readStream()).filter((r) => r.dynamodb.Keys.pk.S === 'rec');
  assert.deepEqual(records.map((r) => r.eventName), ['INSERT', 'MODIFY', 'MODIFY', 'REMOVE']);
  const img = (v, extra = {}) => ({ ...key, v: { N: v }, ...extra });
  assert.deepEqual(records.map((r) => [r.dynamodb.OldImage, r.dynamodb.NewImage]), [
    [undefined, img('1')],
    [img('1'), img('2', { s: { S: 'x' } })],
    [img('2', { s: { S: 'x' } }), img('3')],
    [img('3'), undefined],
  ]);
  let previous = -1n;
  for (const r of records) {
    assert.deepEqual(r.dynamodb.Keys, key);
    assert.equal(r.eventSource, 'aws:dynamodb');
    assert.equal(r.eventVersion, '1.1');
    assert.equal(r.awsRegion, 'us-east-1');
    assert.match(r.eventID, /^[0-9a-f]{32}$/);
    assert.equal(r.dynamodb.StreamViewType, 'NEW_AND_OLD_IMAGES');
    assert.ok(r.dynamodb.SizeBytes > 0);
    assert.ok(r.dynamodb.ApproximateCreationDateTime instanceof Date);
    assert.ok(Math.abs(r.dynamodb.ApproximateCreationDateTime.getTime() - Date.now()) < 600000);
    assert.equal(r.userIdentity, undefined);
    assert.match(r.dynamodb.SequenceNumber, /^\d{21}$/);
    const seq = BigInt(r.dynamodb.SequenceNumber);
    assert.ok(seq > previous, `sequence numbers not increasing: ${seq} after ${previous}`);
    previous = seq;
  }
  assert.equal(new Set(records.map((r) => r.eventID)).size, records.length);
});

test('an unknown stream is the modeled ResourceNotFoundException', async () => {
  const arn = `arn:aws:dynamodb:us-east-1:000000000000:table/${table}-missing/stream/2026-01-01T00:00:00.000`;
  const isNotFound = (err) => {
    assert.ok(err instanceof ResourceNotFoundException, `${err.name}: ${err.message}`);
    assert.equal(err.name, 'ResourceNotFoundException');
    assert.equal(err.$metadata.httpStatusCode, 400);
    return true;
  };
  await assert.rejects(streams.send(new DescribeStreamCommand({ StreamArn: arn })), isNotFound);
  const { StreamDescription: d } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  await assert.rejects(streams.send(new GetShardIteratorCommand({
    StreamArn: arn, ShardId: d.Shards[0].ShardId, ShardIteratorType: 'TRIM_HORIZON',
  })), isNotFound);
});

test('a garbage shard iterator is a ValidationException', async () => {
  await assert.rejects(
    streams.send(new GetRecordsCommand({ ShardIterator: 'this-is-not-an-iterator' })),
    (err) => {
      assert.equal(err.name, 'ValidationException', `${err.name}: ${err.message}`);
      assert.ok(err instanceof DynamoDBStreamsServiceException);
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    },
  );
});
