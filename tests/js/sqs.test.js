// SQS through the AWS SDK for JavaScript v3: the JSON protocol (AmazonSQS.*, x-amzn-query-mode)
// as a non-Python SDK speaks it. The SDK itself checks MD5OfMessageBody on SendMessage,
// SendMessageBatch and ReceiveMessage (it throws on a mismatch); MD5OfMessageAttributes it does not
// check, so these tests compute it with the documented algorithm (checked against the published
// vectors first). RUNNEL_URL points the tests at a running server instead of starting build/runnel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  SQSClient, CreateQueueCommand, GetQueueUrlCommand, SendMessageCommand, SendMessageBatchCommand,
  ReceiveMessageCommand, DeleteMessageCommand, DeleteQueueCommand, GetQueueAttributesCommand,
  QueueDoesNotExist, SQSServiceException,
} from '@aws-sdk/client-sqs';
import { startRunnel } from './runnel.js';

let server;
let client;
let queueUrl;
const queueName = `js-sqs-${Date.now()}`;

// SQS's MD5 over message attributes: names sorted by bytes; for each, length-prefixed name and
// DataType, a transport byte (1 string, 2 binary) and the length-prefixed value.
function md5OfAttributes(attrs) {
  const parts = [];
  const field = (buf) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(buf.length);
    parts.push(len, buf);
  };
  const names = Object.keys(attrs).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of names) {
    const v = attrs[name];
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(v.DataType, 'utf8'));
    if (v.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      field(Buffer.from(v.BinaryValue));
    } else {
      parts.push(Buffer.from([1]));
      field(Buffer.from(v.StringValue, 'utf8'));
    }
  }
  return createHash('md5').update(Buffer.concat(parts)).digest('hex');
}

const md5 = (s) => createHash('md5').update(Buffer.from(s, 'utf8')).digest('hex');

const ATTRS = {
  attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
  customNumberTypeAttrib: { DataType: 'Number.float', StringValue: '4563442423554324324264524243.32543234' },
  binaryAttribute: { DataType: 'Binary', BinaryValue: new Uint8Array(Buffer.from('Hello binary world!')) },
};

before(async () => {
  let endpoint = process.env.RUNNEL_URL;
  if (!endpoint) {
    server = await startRunnel();
    endpoint = server.endpoint;
  }
  client = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  ({ QueueUrl: queueUrl } = await client.send(new CreateQueueCommand({ QueueName: queueName })));
});

after(async () => {
  try {
    await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  } finally {
    if (server) await server.stop();
  }
});

async function receiveAll(expected, extra = {}) {
  const got = new Map();
  for (let i = 0; i < 20 && got.size < expected; i++) {
    const out = await client.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, ...extra,
    }));
    for (const m of out.Messages ?? []) got.set(m.MessageId, m);
  }
  return [...got.values()];
}

async function deleteAll(messages) {
  for (const m of messages) {
    await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
  }
}

test('the attribute MD5 encoder reproduces the published vectors', () => {
  assert.equal(md5OfAttributes({ attribName1: ATTRS.attribName1 }), '19e27d4e946b072f3f58da80d94fd778');
  assert.equal(md5OfAttributes({ customNumberTypeAttrib: ATTRS.customNumberTypeAttrib }), '9fe1b90bbd9965bdf77bac517c7d2495');
  assert.equal(md5OfAttributes({ binaryAttribute: ATTRS.binaryAttribute }), '31a92b15d92f8db860eda32aceb656c3');
  assert.equal(md5OfAttributes(ATTRS), 'c932db14a896c663f83c260297d594ff');
});

test('create queue is idempotent and get queue url returns the same URL', async () => {
  assert.ok(queueUrl.endsWith(`/${queueName}`), queueUrl);
  assert.match(queueUrl, /\/\d{12}\/[^/]+$/);
  const again = await client.send(new CreateQueueCommand({ QueueName: queueName }));
  assert.equal(again.QueueUrl, queueUrl);
  const got = await client.send(new GetQueueUrlCommand({ QueueName: queueName }));
  assert.equal(got.QueueUrl, queueUrl);
  const attrs = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
  assert.equal(attrs.Attributes.VisibilityTimeout, '30');
  assert.ok(attrs.Attributes.QueueArn.endsWith(`:${queueName}`));
});

test('send with attributes, receive them back, delete', async () => {
  const body = 'héllo ☃ 😀 <&>';
  // The SDK throws if MD5OfMessageBody is wrong.
  const sent = await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: ATTRS }));
  assert.equal(sent.MD5OfMessageBody, md5(body));
  assert.equal(sent.MD5OfMessageAttributes, 'c932db14a896c663f83c260297d594ff');

  const [m] = await receiveAll(1, { MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] });
  assert.ok(m, 'no message received');
  assert.equal(m.MessageId, sent.MessageId);
  assert.equal(m.Body, body);
  assert.equal(m.MD5OfBody, md5(body));
  assert.equal(m.MessageAttributes.attribName1.StringValue, 'attribValue 1');
  assert.equal(m.MessageAttributes.customNumberTypeAttrib.DataType, 'Number.float');
  assert.equal(Buffer.from(m.MessageAttributes.binaryAttribute.BinaryValue).toString(), 'Hello binary world!');
  assert.equal(m.MD5OfMessageAttributes, md5OfAttributes(m.MessageAttributes));
  assert.equal(m.MD5OfMessageAttributes, 'c932db14a896c663f83c260297d594ff');
  assert.equal(m.Attributes.ApproximateReceiveCount, '1');
  assert.match(m.Attributes.SentTimestamp, /^\d{13}$/);

  await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
  const after = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
  assert.equal(after.Messages, undefined);
});

test('send message batch: every entry with its MD5s, all received', async () => {
  const attrs = { k: { DataType: 'String', StringValue: 'v' } };
  const out = await client.send(new SendMessageBatchCommand({
    QueueUrl: queueUrl,
    Entries: [
      { Id: 'a', MessageBody: 'batch one' },
      { Id: 'b', MessageBody: 'batch two ☃', MessageAttributes: attrs },
    ],
  }));
  assert.deepEqual((out.Failed ?? []), []);
  const byId = Object.fromEntries(out.Successful.map((s) => [s.Id, s]));
  assert.equal(byId.a.MD5OfMessageBody, md5('batch one'));
  assert.equal(byId.b.MD5OfMessageAttributes, md5OfAttributes(attrs));
  const got = await receiveAll(2, { MessageAttributeNames: ['All'] });
  assert.deepEqual(got.map((m) => m.Body).sort(), ['batch one', 'batch two ☃']);
  const withAttrs = got.find((m) => m.Body === 'batch two ☃');
  assert.equal(withAttrs.MD5OfMessageAttributes, md5OfAttributes(attrs));
  await deleteAll(got);
});

test('a missing queue is QueueDoesNotExist with the legacy code', async () => {
  const missing = queueUrl.replace(/[^/]+$/, `missing-${Date.now()}`);
  await assert.rejects(
    client.send(new SendMessageCommand({ QueueUrl: missing, MessageBody: 'x' })),
    (err) => {
      assert.ok(err instanceof QueueDoesNotExist, `${err.name}: ${err.message}`);
      assert.ok(err instanceof SQSServiceException);
      assert.equal(err.name, 'QueueDoesNotExist');
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.equal(err.Code, 'AWS.SimpleQueueService.NonExistentQueue');
      return true;
    },
  );
  await assert.rejects(
    client.send(new GetQueueUrlCommand({ QueueName: `missing-${Date.now()}` })),
    (err) => err instanceof QueueDoesNotExist,
  );
});

test('a long poll returns as soon as a message is sent', async () => {
  const poll = (async () => {
    const out = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5 }));
    return { out, at: performance.now() };
  })();
  await new Promise((r) => setTimeout(r, 1000));
  const sentAt = performance.now();
  await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'wake up' }));
  const { out, at } = await poll;
  assert.deepEqual((out.Messages ?? []).map((m) => m.Body), ['wake up']);
  assert.ok(at - sentAt < 500, `long poll returned ${Math.round(at - sentAt)} ms after the send`);
  await deleteAll(out.Messages);
});

test('an empty long poll waits WaitTimeSeconds and returns no messages', async () => {
  const t0 = performance.now();
  const out = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
  const elapsed = performance.now() - t0;
  assert.equal(out.Messages, undefined);
  assert.ok(elapsed >= 900 && elapsed <= 2500, `empty long poll took ${Math.round(elapsed)} ms`);
});
