// DynamoDB through the AWS SDK for JavaScript v3: the JSON 1.0 protocol as a non-Python SDK speaks
// it (error shapes, modeled exceptions, CancellationReasons, numbers as strings).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand, UpdateItemCommand,
  QueryCommand, TransactWriteItemsCommand, DeleteTableCommand, DescribeTableCommand,
  TagResourceCommand, UntagResourceCommand, ListTagsOfResourceCommand, DescribeEndpointsCommand,
} from '@aws-sdk/client-dynamodb';
import { startRunnel } from './runnel.js';

let server;
let client;
const table = `js-${Date.now()}`;

before(async () => {
  server = await startRunnel();
  client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await client.send(new CreateTableCommand({
    TableName: table,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
    ],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
});

after(async () => {
  try { await client.send(new DeleteTableCommand({ TableName: table })); } finally { await server.stop(); }
});

test('describe table reports ACTIVE and the ARN of this account and region', async () => {
  const out = await client.send(new DescribeTableCommand({ TableName: table }));
  assert.equal(out.Table.TableStatus, 'ACTIVE');
  assert.equal(out.Table.TableArn, `arn:aws:dynamodb:us-east-1:000000000000:table/${table}`);
});

test('put, get and update round-trip with exact numbers', async () => {
  await client.send(new PutItemCommand({
    TableName: table,
    Item: { pk: { S: 'a' }, sk: { N: '1' }, n: { N: '0.1' } },
  }));
  const updated = await client.send(new UpdateItemCommand({
    TableName: table,
    Key: { pk: { S: 'a' }, sk: { N: '1' } },
    UpdateExpression: 'SET n = n + :d',
    ExpressionAttributeValues: { ':d': { N: '0.2' } },
    ReturnValues: 'ALL_NEW',
  }));
  assert.equal(updated.Attributes.n.N, '0.3');
  const got = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'a' }, sk: { N: '1' } } }));
  assert.equal(got.Item.n.N, '0.3');
});

test('a failed condition is the modeled ConditionalCheckFailedException', async () => {
  await assert.rejects(
    client.send(new PutItemCommand({
      TableName: table,
      Item: { pk: { S: 'a' }, sk: { N: '1' } },
      ConditionExpression: 'attribute_not_exists(pk)',
    })),
    (err) => err.name === 'ConditionalCheckFailedException' && err.$metadata.httpStatusCode === 400,
  );
});

test('query pages in sort-key order', async () => {
  for (let i = 2; i <= 5; i++) {
    await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'q' }, sk: { N: String(i) } } }));
  }
  const first = await client.send(new QueryCommand({
    TableName: table,
    KeyConditionExpression: 'pk = :p AND sk > :s',
    ExpressionAttributeValues: { ':p': { S: 'q' }, ':s': { N: '2' } },
    Limit: 2,
  }));
  assert.deepEqual(first.Items.map((i) => i.sk.N), ['3', '4']);
  assert.ok(first.LastEvaluatedKey);
  const second = await client.send(new QueryCommand({
    TableName: table,
    KeyConditionExpression: 'pk = :p AND sk > :s',
    ExpressionAttributeValues: { ':p': { S: 'q' }, ':s': { N: '2' } },
    ExclusiveStartKey: first.LastEvaluatedKey,
  }));
  assert.deepEqual(second.Items.map((i) => i.sk.N), ['5']);
});

test('a cancelled transaction carries CancellationReasons aligned with the input', async () => {
  await assert.rejects(
    client.send(new TransactWriteItemsCommand({
      TransactItems: [
        { Put: { TableName: table, Item: { pk: { S: 't' }, sk: { N: '1' } } } },
        {
          ConditionCheck: {
            TableName: table,
            Key: { pk: { S: 'missing' }, sk: { N: '1' } },
            ConditionExpression: 'attribute_exists(pk)',
          },
        },
      ],
    })),
    (err) => {
      assert.equal(err.name, 'TransactionCanceledException');
      assert.deepEqual(err.CancellationReasons.map((r) => r.Code), ['None', 'ConditionalCheckFailed']);
      return true;
    },
  );
  const got = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 't' }, sk: { N: '1' } } }));
  assert.equal(got.Item, undefined);
});

test('tagging answers an empty body, and DescribeEndpoints names this endpoint', async () => {
  const arn = `arn:aws:dynamodb:us-east-1:000000000000:table/${table}`;
  await client.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'team', Value: 'chat' }] }));
  const tags = await client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
  assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'chat' }]);
  await client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['team'] }));
  assert.deepEqual((await client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }))).Tags, []);
  const endpoints = await client.send(new DescribeEndpointsCommand({}));
  assert.equal(endpoints.Endpoints[0].Address, new URL(server.endpoint).host);
});
