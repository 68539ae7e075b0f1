"""Crash safety of SQS: kill -9 under send/receive/delete load loses no acknowledged message.

A private server with --durability strict. Four producer threads send numbered messages and log
every acknowledged send (and the one send that got no answer when the server died: each thread
stops at its first error, so at most one send per thread is "in doubt"). Two consumer threads
receive up to 10 messages at a time (VisibilityTimeout 2 s), log every receive with the client
times the request started and its answer came, delete each message and log every acknowledged
delete (at most one delete per consumer is in doubt). After about 3 s the server is SIGKILLed,
restarted on the same data dir, and the queue is drained: receive and delete until it stays empty
for longer than the visibility timeout (so messages in flight at the crash come back) and its
counters read zero.

A delete is "surely effective" when its acknowledgement came before the receive that gave its
receipt handle could have timed out (ack time < receive start + 2 s): the handle was current, so
the message is gone for good. For a standard queue:
  * every acknowledged send was deleted (acknowledged or in doubt) before the crash or is drained;
  * nothing is received that was never sent;
  * no message is received after a surely effective delete (later in the load or in the drain).
For a FIFO queue (one message group per producer, deduplication id = body), each producer also
re-sends its in-doubt message after the restart, as a client retrying would, and:
  * every sent message is delivered, nothing else is, and each body has exactly one MessageId (no
    copy was made, not by the crash and not by the retry, which deduplication must absorb);
  * no message is received after a surely effective delete;
  * group order: the first deliveries of each group run 0, 1, 2, ... in time order, and a receive
    returns a group's messages as consecutive numbers;
  * group lock: while a message of a group is surely in flight (received, not yet deleted, its
    visibility timeout surely not over) no receive returns any message of that group.
Every loop is bounded in count and time.
"""

import threading
import time

import boto3
import pytest
from botocore.config import Config

from runnel_server import RunnelServer

PRODUCERS = 4
CONSUMERS = 2
LOAD_SECONDS = 3.0
VISIBILITY = 2
MAX_OPS_PER_THREAD = 20000
DRAIN_TIMEOUT_S = 90.0
MAX_DRAIN_CALLS = 5000


def make_client(url, timeout=10):
    return boto3.client('sqs', endpoint_url=url, region_name='us-east-1', aws_access_key_id='test',
                        aws_secret_access_key='test',
                        config=Config(retries={'max_attempts': 0}, connect_timeout=2, read_timeout=timeout))


def number(body):
    return int(body.split('-')[1])


def group_of(body):
    return body.split('-')[0]


class Producer(threading.Thread):
    def __init__(self, idx, url, queue_url, fifo, stop, deadline):
        super().__init__(daemon=True)
        self.group = 'p%d' % idx
        self.client = make_client(url)
        self.queue_url, self.fifo = queue_url, fifo
        self.stop, self.deadline = stop, deadline
        self.acked = []        # bodies whose SendMessage was acknowledged, in order
        self.in_doubt = None   # the body whose SendMessage got no answer
        self.error = None

    def kwargs(self, body):
        return {'MessageGroupId': self.group, 'MessageDeduplicationId': body} if self.fifo else {}

    def run(self):
        for n in range(MAX_OPS_PER_THREAD):
            if self.stop.is_set() or time.monotonic() > self.deadline:
                return
            body = '%s-%06d' % (self.group, n)
            try:
                self.client.send_message(QueueUrl=self.queue_url, MessageBody=body, **self.kwargs(body))
            except Exception as e:  # the crash: connection reset/refused, timeout
                self.in_doubt, self.error = body, e
                return
            self.acked.append(body)


class Receive:
    """One ReceiveMessage answer: client times around it and its messages (body, id, handle)."""

    def __init__(self, t0, t1, msgs, drain=False):
        self.t0, self.t1, self.drain = t0, t1, drain
        self.msgs = [(m['Body'], m['MessageId'], m['ReceiptHandle']) for m in msgs]


class Delete:
    def __init__(self, body, handle, t0, t1, receive):
        self.body, self.handle, self.t0, self.t1, self.receive = body, handle, t0, t1, receive

    def surely_effective(self):
        """Acknowledged before the receive that gave the handle could have timed out."""
        return self.t1 is not None and self.t1 < self.receive.t0 + VISIBILITY


class Consumer(threading.Thread):
    def __init__(self, url, queue_url, receives, lock, stop, deadline):
        super().__init__(daemon=True)
        self.client = make_client(url)
        self.queue_url, self.receives, self.lock = queue_url, receives, lock
        self.stop, self.deadline = stop, deadline
        self.deletes = []      # acknowledged Deletes
        self.in_doubt = None   # the Delete that got no answer (t1 None)
        self.error = None

    def run(self):
        for _ in range(MAX_OPS_PER_THREAD):
            if self.stop.is_set() or time.monotonic() > self.deadline:
                return
            t0 = time.monotonic()
            try:
                msgs = self.client.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                                   VisibilityTimeout=VISIBILITY, WaitTimeSeconds=1).get('Messages', [])
            except Exception as e:
                self.error = e
                return
            rec = Receive(t0, time.monotonic(), msgs)
            with self.lock:
                self.receives.append(rec)
            for body, _, handle in rec.msgs:
                d = Delete(body, handle, time.monotonic(), None, rec)
                try:
                    self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=handle)
                except Exception as e:
                    self.in_doubt, self.error = d, e
                    return
                d.t1 = time.monotonic()
                self.deletes.append(d)


@pytest.fixture
def strict_server(runnel_bin):
    server = RunnelServer(runnel_bin, durability='strict')
    server.start()
    yield server
    server.cleanup()


def run_load_and_crash(server, queue_url, fifo):
    stop = threading.Event()
    deadline = time.monotonic() + LOAD_SECONDS + 10
    receives, lock = [], threading.Lock()
    producers = [Producer(i, server.url, queue_url, fifo, stop, deadline) for i in range(PRODUCERS)]
    consumers = [Consumer(server.url, queue_url, receives, lock, stop, deadline) for _ in range(CONSUMERS)]
    for t in producers + consumers:
        t.start()
    time.sleep(LOAD_SECONDS)
    dead = [repr(t.error) for t in producers + consumers if not t.is_alive()]
    assert not dead, 'threads stopped before the crash: %s' % dead
    server.kill()   # SIGKILL with sends, receives and deletes in flight
    stop.set()
    for t in producers + consumers:
        t.join(timeout=20)
    assert not any(t.is_alive() for t in producers + consumers), 'load threads did not stop'
    n_sent = sum(len(p.acked) for p in producers)
    n_deleted = sum(len(c.deletes) for c in consumers)
    print('\nacknowledged sends: %d (in doubt %d), messages received: %d, acknowledged deletes: %d (in doubt %d)'
          % (n_sent, sum(1 for p in producers if p.in_doubt), sum(len(r.msgs) for r in receives), n_deleted,
             sum(1 for c in consumers if c.in_doubt)))
    assert n_sent >= 100, 'too little load to mean anything: %d sends' % n_sent
    assert n_deleted >= 20, 'too little load to mean anything: %d deletes' % n_deleted
    return producers, consumers, sorted(receives, key=lambda r: r.t1)


def drain(client, queue_url):
    """Receive and delete until the queue stays empty past the visibility timeout and its
    counters say zero. Returns the Receives (drain=True) in order."""
    got = []
    start = time.monotonic()
    empty_since = None
    for _ in range(MAX_DRAIN_CALLS):
        assert time.monotonic() - start < DRAIN_TIMEOUT_S, \
            'drain did not finish in %.0fs (%d received)' % (DRAIN_TIMEOUT_S, sum(len(r.msgs) for r in got))
        t0 = time.monotonic()
        msgs = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                      WaitTimeSeconds=1).get('Messages', [])
        if msgs:
            got.append(Receive(t0, time.monotonic(), msgs, drain=True))
        for m in msgs:
            client.delete_message(QueueUrl=queue_url, ReceiptHandle=m['ReceiptHandle'])
        if msgs:
            empty_since = None
            continue
        empty_since = empty_since or time.monotonic()
        if time.monotonic() - empty_since > VISIBILITY + 2:
            a = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=['All'])['Attributes']
            counts = [int(a[k]) for k in ('ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible',
                                          'ApproximateNumberOfMessagesDelayed')]
            if counts == [0, 0, 0]:
                return got
    raise AssertionError('drain did not finish in %d calls' % MAX_DRAIN_CALLS)


def received_after_effective_delete(consumers, receives, drained):
    """Messages received after a surely effective delete: later in the load, or in the drain."""
    bad = []
    for c in consumers:
        for d in c.deletes:
            if not d.surely_effective():
                continue
            for r in receives:
                if r.t0 > d.t1 and any(b == d.body for b, _, _ in r.msgs):
                    bad.append('%s (deleted at %.3f, received again at %.3f)' % (d.body, d.t1, r.t0))
            if any(b == d.body for r in drained for b, _, _ in r.msgs):
                bad.append('%s (deleted at %.3f, back after the restart)' % (d.body, d.t1))
    return bad


@pytest.mark.slow
def test_kill9_under_load_loses_no_standard_queue_message(strict_server):
    client = make_client(strict_server.url)
    name = 'sqs_durability_std'
    queue_url = client.create_queue(QueueName=name)['QueueUrl']
    producers, consumers, receives = run_load_and_crash(strict_server, queue_url, fifo=False)

    strict_server.start()   # same data dir, new port
    client = make_client(strict_server.url, timeout=60)
    queue_url = client.get_queue_url(QueueName=name)['QueueUrl']
    drained = drain(client, queue_url)
    drained_bodies = {b for r in drained for b, _, _ in r.msgs}
    print('drained after restart: %d messages' % sum(len(r.msgs) for r in drained))

    sent = {b for p in producers for b in p.acked}
    sent_in_doubt = {p.in_doubt for p in producers if p.in_doubt}
    deleted = {d.body for c in consumers for d in c.deletes}
    delete_in_doubt = {c.in_doubt.body for c in consumers if c.in_doubt}

    lost = sent - deleted - delete_in_doubt - drained_bodies
    assert not lost, '%d acknowledged messages lost, e.g. %s' % (len(lost), sorted(lost)[:10])
    received = {b for r in receives for b, _, _ in r.msgs}
    invented = (received | drained_bodies) - sent - sent_in_doubt
    assert not invented, 'messages nobody sent: %s' % sorted(invented)[:10]
    again = received_after_effective_delete(consumers, receives, drained)
    assert not again, '%d receives after an acknowledged delete, e.g. %s' % (len(again), again[:10])

    # The restarted server keeps working on the same queue.
    client.send_message(QueueUrl=queue_url, MessageBody='after-restart')
    m = client.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)['Messages']
    assert [x['Body'] for x in m] == ['after-restart']


def group_lock_violations(consumers, receives):
    """Receives that returned a message of a group while another message of it was surely in
    flight: received (by an answer that began at u.t0), not deleted before the new receive began,
    and the new receive answered before u.t0 + VISIBILITY (so its timeout had surely not run out)."""
    deleted_at = {}   # receipt handle -> (delete start, delete ack or None)
    for c in consumers:
        for d in c.deletes + ([c.in_doubt] if c.in_doubt else []):
            deleted_at[d.handle] = (d.t0, d.t1)
    bad = []
    for i, r2 in enumerate(receives):
        groups2 = {group_of(b) for b, _, _ in r2.msgs}
        for r1 in receives[:i]:
            if r1 is r2 or not r2.t1 < r1.t0 + VISIBILITY:
                continue
            for b, _, handle in r1.msgs:
                if group_of(b) not in groups2:
                    continue
                d0, d1 = deleted_at.get(handle, (None, None))
                surely_not_deleted = d0 is None or d0 >= r2.t1
                if surely_not_deleted:
                    bad.append('%s in flight since %.3f, yet %s received at %.3f-%.3f' % (
                        b, r1.t0, [x for x, _, _ in r2.msgs if group_of(x) == group_of(b)], r2.t0, r2.t1))
    return bad


@pytest.mark.slow
def test_kill9_under_load_keeps_fifo_exactly_once_and_in_order(strict_server):
    client = make_client(strict_server.url)
    name = 'sqs_durability.fifo'
    queue_url = client.create_queue(QueueName=name, Attributes={'FifoQueue': 'true'})['QueueUrl']
    producers, consumers, receives = run_load_and_crash(strict_server, queue_url, fifo=True)

    strict_server.start()   # same data dir, new port
    client = make_client(strict_server.url, timeout=60)
    queue_url = client.get_queue_url(QueueName=name)['QueueUrl']
    # A client retries the send that got no answer, with the same deduplication id.
    for p in producers:
        if p.in_doubt:
            client.send_message(QueueUrl=queue_url, MessageBody=p.in_doubt, MessageGroupId=p.group,
                                MessageDeduplicationId=p.in_doubt)
    drained = drain(client, queue_url)
    print('drained after restart: %d messages' % sum(len(r.msgs) for r in drained))

    everything = receives + drained   # in time order: the drain came after the load
    sent = {b for p in producers for b in p.acked} | {p.in_doubt for p in producers if p.in_doubt}
    delivered = {b for r in everything for b, _, _ in r.msgs}
    missing = sent - delivered
    assert not missing, '%d sent messages never delivered, e.g. %s' % (len(missing), sorted(missing)[:10])
    invented = delivered - sent
    assert not invented, 'messages nobody sent: %s' % sorted(invented)[:10]

    ids = {}
    for r in everything:
        for b, mid, _ in r.msgs:
            ids.setdefault(b, set()).add(mid)
    copies = {b: sorted(v) for b, v in ids.items() if len(v) > 1}
    assert not copies, '%d bodies stored more than once (several MessageIds), e.g. %s' \
        % (len(copies), sorted(copies.items())[:5])

    again = received_after_effective_delete(consumers, receives, drained)
    assert not again, '%d receives after an acknowledged delete, e.g. %s' % (len(again), again[:10])

    for p in producers:
        firsts, seen = [], set()
        for r in everything:
            batch = [number(b) for b, _, _ in r.msgs if group_of(b) == p.group]
            if batch:
                assert batch == list(range(batch[0], batch[0] + len(batch))), \
                    'group %s: one receive returned %s' % (p.group, batch)
            for n in batch:
                if n not in seen:
                    seen.add(n)
                    firsts.append(n)
        assert firsts == list(range(len(firsts))), 'group %s first delivered in the order %s' % (p.group, firsts[:40])

    locked = group_lock_violations(consumers, receives)
    assert not locked, '%d group lock violations, e.g. %s' % (len(locked), locked[:5])
