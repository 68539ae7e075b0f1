"""SNS email and email-json subscriptions, proven end to end: the built-in mailbox and real SMTP.

Without --smtp-url (the session server) every mail lands in runnel's mailbox, read back with
GET /_runnel/mailbox and `runnel mailbox`. With --smtp-url a private server sends over SMTP to
smtp_sink.py (an aiosmtpd process that saves every mail it receives). Proven here:
  * Subscribe (email, email-json) leaves the subscription pending and mails a confirmation: AWS's
    subject, the topic ARN and a link for email, the signed SubscriptionConfirmation document for
    email-json. Fetching the link (a plain unsigned GET) or SubscribeURL, or ConfirmSubscription
    with the mailed Token, confirms it (PendingConfirmation false).
  * A confirmed subscription is mailed every Publish: the Publish Subject or "AWS Notification
    Message"; for email the message and AWS's footer with an unsubscribe link that works when
    fetched, for email-json the signed JSON envelope; MessageStructure=json picks the "email" or
    "email-json" key, else "default". The sender is "AWS Notifications" <no-reply@sns.amazonaws.com>
    or the topic's DisplayName; --smtp-from sets the address.
  * Non-ASCII subjects and bodies (é, ☃, 😀) and awkward text (long lines, '=', lines of dots,
    trailing spaces) come through SMTP and the raw mailbox form unchanged (RFC 2047 subject,
    quoted-printable UTF-8 body, as python's email package decodes them).
  * A pending subscription is mailed no notification, not even once it is confirmed later; an
    unsubscribed one gets nothing more.
  * The mailbox: ?to= (case-insensitive), ?after= and ?limit= paging, ?id=N&format=raw, 404 for an
    unknown id, 400 for a malformed number; the `runnel mailbox` CLI; it survives kill -9.
  * SMTP failures: a server that is down when Publish happens gets the mail on the retry (AWS's
    email policy retries after 10 s); mails owed when runnel is killed -9 are sent at once after
    the restart, every one exactly once; a 550 rejection is permanent: no retry, the message goes to
    the subscription's RedrivePolicy dead-letter queue.
Negative checks ("nothing arrived") are made only after a later mail to the same server has
arrived. Every wait is a bounded poll.
"""

import email
import email.policy
import email.utils
import json
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import smtp_sink
from runnel_server import RunnelServer, free_port
from sns_common import PubSub, verify_signature
from util import unique_table_name

WAIT_S = 10.0
RETRY_WAIT_S = 25.0       # AWS's email policy retries 10 s after a failed attempt
SENDER = 'no-reply@sns.amazonaws.com'
DEFAULT_FROM = '"AWS Notifications" <%s>' % SENDER
CONFIRM_SUBJECT = 'AWS Notification - Subscription Confirmation'
DEFAULT_SUBJECT = 'AWS Notification Message'
FOOTER = ('\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit '
          'the link below to unsubscribe:\n')
CONFIRMATION_KEYS = {'Type', 'MessageId', 'Token', 'TopicArn', 'Message', 'SubscribeURL', 'Timestamp',
                     'SignatureVersion', 'Signature', 'SigningCertURL'}
ENVELOPE_KEYS = {'Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature',
                 'SigningCertURL', 'UnsubscribeURL'}
# Text that trips naive mail code: non-ASCII, '=' (the QP escape), a line that is one dot (SMTP's
# end of data), leading dots, trailing blanks, a line longer than a mail line may be.
AWKWARD = ('héllo wörld ☃ 😀\n'
           'a=b 100% =3D not an escape\n'
           '.\n'
           '..two dots\n'
           'trailing blanks   \n'
           'tab\tinside\n' + 'x' * 300 + '\n' + 'é' * 120 + '\nlast line')


# --- helpers -----------------------------------------------------------------------------------

def address(tag='m'):
    return '%s@example.com' % unique_table_name(tag).lower()


def fetch(url, timeout=10):
    """A plain unsigned GET, as a mail client's link click -> (status, content type, body bytes)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers.get('Content-Type'), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get('Content-Type'), e.read()


def link(body, action):
    """The http link in a mail body that names `action`."""
    found = re.findall(r'http://\S+', body)
    matches = [u for u in found if urllib.parse.parse_qs(urllib.parse.urlparse(u).query).get('Action') == [action]]
    assert len(matches) == 1, 'no single %s link in %r' % (action, body)
    return matches[0]


def confirm_url(body, protocol):
    """The link a confirmation mail asks to visit: in the text (email) or SubscribeURL (email-json)."""
    return json.loads(body)['SubscribeURL'] if protocol == 'email-json' else link(body, 'ConfirmSubscription')


def follow_confirm(url):
    """GET the confirmation link; it answers AWS's ConfirmSubscriptionResponse -> its SubscriptionArn."""
    status, _, body = fetch(url)
    text = body.decode()
    assert status == 200, (status, text)
    assert '<ConfirmSubscriptionResponse' in text, text
    return re.search(r'<SubscriptionArn>([^<]+)</SubscriptionArn>', text).group(1)


def follow_unsubscribe(url):
    status, _, body = fetch(url)
    assert status == 200, (status, body)
    assert b'<UnsubscribeResponse' in body, body


def subscribe(sns, topic, protocol, endpoint, **attributes):
    """A pending email/email-json subscription -> its ARN (ReturnSubscriptionArn shows it at once)."""
    kwargs = {'Attributes': attributes} if attributes else {}
    r = sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=endpoint, ReturnSubscriptionArn=True, **kwargs)
    return r['SubscriptionArn']


def pending(sns, sub_arn):
    return sns.get_subscription_attributes(SubscriptionArn=sub_arn)['Attributes']['PendingConfirmation']


def assert_unsubscribed(sns, sub_arn):
    with pytest.raises(ClientError) as e:
        sns.get_subscription_attributes(SubscriptionArn=sub_arn)
    assert e.value.response['Error']['Code'] == 'NotFound'




def check_email_notification(body, message, sub_arn):
    """An email body: the message, AWS's footer, and an unsubscribe link for the subscription."""
    assert body.startswith(message + FOOTER), body
    unsubscribe = link(body, 'Unsubscribe')
    assert urllib.parse.parse_qs(urllib.parse.urlparse(unsubscribe).query)['SubscriptionArn'] == [sub_arn]
    return unsubscribe


def check_envelope(body, topic, message, message_id, subject=None):
    env = json.loads(body)
    assert set(env) == ENVELOPE_KEYS | ({'Subject'} if subject else set()), env
    assert (env['Type'], env['TopicArn'], env['Message'], env['MessageId']) == \
        ('Notification', topic, message, message_id)
    assert env.get('Subject') == subject
    verify_signature(env)
    return env


def parse_raw(raw):
    """Parses an RFC 5322 mail with python's email package; asserts it is well formed."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert not msg.defects, msg.defects
    assert raw.count(b'\n') == raw.count(b'\r\n'), 'bare LF in the mail'
    header_end = raw.index(b'\r\n\r\n')
    for line in raw[header_end + 4:].split(b'\r\n'):
        assert len(line) <= 76, 'body line longer than quoted-printable allows: %r' % line
    assert msg.get_content_type() == 'text/plain'
    assert msg.get_content_charset() == 'utf-8'
    assert msg['Content-Transfer-Encoding'] == 'quoted-printable'
    assert msg['MIME-Version'] == '1.0'
    return msg


def client(service, url):
    return boto3.client(service, endpoint_url=url, region_name='us-east-1', aws_access_key_id='test',
                        aws_secret_access_key='test',
                        config=Config(retries={'max_attempts': 0}, connect_timeout=2, read_timeout=30))


def server_health(server):
    with urllib.request.urlopen(server.url + '/_runnel/health', timeout=5) as r:
        return json.loads(r.read())


def settled(server):
    """The health endpoint's sns_push counters once no push task is pending."""
    def idle():
        push = server_health(server)['sns_push']
        return push if push['pending'] == 0 else None
    return poll(idle, WAIT_S, 'no push task pending')


def poll(check, timeout, what, interval=0.1):
    """Calls check() until it returns something truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() >= deadline:
            raise AssertionError('%s: not within %.0fs' % (what, timeout))
        time.sleep(interval)


class Mailbox:
    """GET /_runnel/mailbox of one server."""

    def __init__(self, url):
        self.url = url

    def get(self, query=''):
        return fetch(self.url + '/_runnel/mailbox' + ('?' + query if query else ''))

    def list(self, **params):
        status, ctype, body = self.get(urllib.parse.urlencode(params))
        assert status == 200 and ctype == 'application/json', (status, body)
        return json.loads(body)['messages']

    def wait_for(self, to, count=1, timeout=WAIT_S):
        """The mails to `to` once there are at least `count` of them."""
        def enough():
            mails = self.list(to=to)
            return mails if len(mails) >= count else None
        return poll(enough, timeout, '%d mails to %s' % (count, to))

    def raw(self, mail_id):
        status, ctype, body = self.get('id=%d&format=raw' % mail_id)
        assert status == 200 and ctype == 'message/rfc822', (status, ctype, body)
        return body


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def sns(make_client):
    return make_client('sns')


@pytest.fixture(scope='module')
def mailbox(target, runnel_only):
    """The session server's mailbox (it must run without --smtp-url)."""
    status, _, body = fetch(target.url + '/_runnel/health')
    if status != 200 or json.loads(body).get('sns_push', {}).get('smtp', True):
        pytest.skip('the server sends email over SMTP; these tests read its built-in mailbox')
    return Mailbox(target.url)


@pytest.fixture
def ps(sns, make_client, target, mailbox):
    p = PubSub(sns, make_client('sqs'), target.is_aws)
    yield p
    p.cleanup()


def mailbox_confirmed(sns, mailbox, topic, protocol, to):
    """Subscribes `to` and confirms through the mailed link -> (subscription ARN, confirmation mail)."""
    arn = subscribe(sns, topic, protocol, to)
    mail = mailbox.wait_for(to)[-1]
    assert follow_confirm(confirm_url(mail['body'], protocol)) == arn
    return arn, mail


@pytest.fixture(scope='session')
def sink_python():
    if not smtp_sink.available():
        pytest.skip('%s has no aiosmtpd (apt-get install python3-aiosmtpd)' % smtp_sink.SINK_PYTHON)


class SmtpSetup:
    """A private runnel sending through an SMTP sink, with clients for it."""

    def __init__(self, runnel_bin, extra_args=(), durability=None):
        self.sink = smtp_sink.SmtpSink(free_port())
        self.server = RunnelServer(runnel_bin, extra_args=['--smtp-url', self.sink.url] + list(extra_args),
                                   durability=durability)
        self.sns = self.sqs = None

    def start(self):
        self.server.start()
        self.sns, self.sqs = client('sns', self.server.url), client('sqs', self.server.url)
        return self

    def topic(self, **attributes):
        return self.sns.create_topic(Name=unique_table_name('sns_mail'), Attributes=attributes)['TopicArn']

    def confirmed(self, topic, protocol, to, **attributes):
        """Subscribes `to`, waits for the confirmation at the sink and follows its link
        -> (subscription ARN, confirmation Mail)."""
        arn = subscribe(self.sns, topic, protocol, to, **attributes)
        mail = self.sink.wait_for(1, rcpt=to)[-1]
        assert follow_confirm(confirm_url(mail.body, protocol)) == arn
        assert pending(self.sns, arn) == 'false'
        return arn, mail

    def cleanup(self):
        code = self.server.stop()
        if code not in (0, None):
            print('\nrunnel exited with %s; log tail:\n%s' % (code, self.server.log_tail()))
        self.server.cleanup()
        self.sink.cleanup()


@pytest.fixture(scope='module')
def smtp(runnel_bin, sink_python):
    """One runnel with --smtp-url and its sink, shared by the tests that leave the sink running."""
    s = SmtpSetup(runnel_bin)
    s.sink.start()
    s.start()
    yield s
    s.cleanup()


@pytest.fixture
def smtp_private(runnel_bin, sink_python):
    """make(extra_args=(), durability=None) -> an SmtpSetup of the test's own (sink not started)."""
    made = []

    def make(extra_args=(), durability=None):
        s = SmtpSetup(runnel_bin, extra_args, durability)
        made.append(s)
        return s
    yield make
    for s in made:
        s.cleanup()


# --- the built-in mailbox: confirmation --------------------------------------------------------

# An email subscription is pending and mailed AWS's confirmation: subject, sender, the topic ARN
# and a link; a plain GET of the link confirms it.
def test_mailbox_email_confirmation(ps, sns, mailbox):
    topic = ps.topic()
    to = address()
    arn = subscribe(sns, topic, 'email', to)
    assert pending(sns, arn) == 'true'
    subs = sns.list_subscriptions_by_topic(TopicArn=topic)['Subscriptions']
    assert [(s['SubscriptionArn'], s['Protocol'], s['Endpoint']) for s in subs] == \
        [('PendingConfirmation', 'email', to)]
    [mail] = mailbox.wait_for(to)
    assert (mail['to'], mail['from'], mail['subject']) == (to, DEFAULT_FROM, CONFIRM_SUBJECT)
    assert (mail['topic_arn'], mail['subscription_arn']) == (topic, arn)
    assert abs(mail['date_ms'] / 1000 - time.time()) < 60
    assert mail['body'].startswith('You have chosen to subscribe to the topic: \n%s\n' % topic), mail['body']
    url = link(mail['body'], 'ConfirmSubscription')
    q = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    assert q['TopicArn'] == [topic] and len(q['Token']) == 1

    assert follow_confirm(url) == arn
    assert pending(sns, arn) == 'false'
    subs = sns.list_subscriptions_by_topic(TopicArn=topic)['Subscriptions']
    assert [s['SubscriptionArn'] for s in subs] == [arn]
    assert follow_confirm(url) == arn   # fetching the link again changes nothing
    assert pending(sns, arn) == 'false'


# ?to= matches the address case-insensitively, and only that address.
def test_mailbox_to_filter_is_case_insensitive(ps, sns, mailbox):
    topic = ps.topic()
    to = 'Mixed.' + address()
    subscribe(sns, topic, 'email', to)
    [mail] = mailbox.wait_for(to)
    assert mail['to'] == to
    assert [m['id'] for m in mailbox.list(to=to.lower())] == [mail['id']]
    assert [m['id'] for m in mailbox.list(to=to.upper())] == [mail['id']]
    assert mailbox.list(to='x' + to) == []


# email-json is mailed the signed SubscriptionConfirmation document; its Token confirms through the
# API and its SubscribeURL through a GET.
def test_mailbox_email_json_confirmation(ps, sns, mailbox):
    topic = ps.topic()
    first, second = address(), address()
    arns = [subscribe(sns, topic, 'email-json', first), subscribe(sns, topic, 'email-json', second)]
    docs = []
    for to in (first, second):
        [mail] = mailbox.wait_for(to)
        assert (mail['subject'], mail['from']) == (CONFIRM_SUBJECT, DEFAULT_FROM)
        doc = json.loads(mail['body'])
        assert set(doc) == CONFIRMATION_KEYS, doc
        assert (doc['Type'], doc['TopicArn'], doc['MessageId']) == \
            ('SubscriptionConfirmation', topic, mail['message_id'])
        assert urllib.parse.parse_qs(urllib.parse.urlparse(doc['SubscribeURL']).query)['Token'] == [doc['Token']]
        verify_signature(doc)
        docs.append(doc)
    assert docs[0]['Token'] != docs[1]['Token']

    assert sns.confirm_subscription(TopicArn=topic, Token=docs[0]['Token'])['SubscriptionArn'] == arns[0]
    assert follow_confirm(docs[1]['SubscribeURL']) == arns[1]
    assert [pending(sns, a) for a in arns] == ['false', 'false']


# An email endpoint must be an address: AWS answers "Invalid parameter: Email address". Above all
# no CR/LF, which would end up in the To header and in SMTP's RCPT command.
@pytest.mark.parametrize('endpoint', ['a@example.com\r\nBcc: b@example.com', 'a@example.com>\r\nRCPT TO:<b@example.com',
                                      'a b@example.com', 'a@', '@'],
                         ids=['crlf-header', 'crlf-rcpt', 'space', 'no-domain', 'at-only'])
def test_subscribe_rejects_malformed_address(ps, sns, endpoint):
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=ps.topic(), Protocol='email', Endpoint=endpoint)
    assert e.value.response['Error']['Code'] == 'InvalidParameter'
    assert e.value.response['Error']['Message'] == 'Invalid parameter: Email address'


# Subscribing a still-pending address again sends the confirmation again (AWS does; the console's
# "Request confirmation" relies on it); both confirmations carry the same subscription's token.
def test_resubscribing_pending_address_resends_confirmation(ps, sns, mailbox):
    topic = ps.topic()
    to = address()
    sns.subscribe(TopicArn=topic, Protocol='email', Endpoint=to)
    sns.subscribe(TopicArn=topic, Protocol='email', Endpoint=to)
    mails = mailbox.wait_for(to, 2)
    links = [re.search(r'(http://\S+Action=ConfirmSubscription\S+)', m['body']).group(1) for m in mails]
    assert len(set(links)) == 1, links
    assert len(sns.list_subscriptions_by_topic(TopicArn=topic)['Subscriptions']) == 1


# --- the built-in mailbox: notifications -------------------------------------------------------

# A confirmed email subscription is mailed the message under the Publish Subject, with AWS's footer
# and the unsubscribe link; the mail's message id is the Publish MessageId.
def test_mailbox_email_notification(ps, sns, mailbox):
    topic = ps.topic()
    to = address()
    arn, _ = mailbox_confirmed(sns, mailbox, topic, 'email', to)
    mid = sns.publish(TopicArn=topic, Message='the message\nsecond line', Subject='Hello there')['MessageId']
    mail = mailbox.wait_for(to, 2)[-1]
    assert (mail['subject'], mail['from'], mail['to']) == ('Hello there', DEFAULT_FROM, to)
    assert (mail['message_id'], mail['topic_arn'], mail['subscription_arn']) == (mid, topic, arn)
    check_email_notification(mail['body'], 'the message\nsecond line', arn)


# Without a Subject the mail is titled "AWS Notification Message".
def test_mailbox_default_subject(ps, sns, mailbox):
    topic = ps.topic()
    to = address()
    mailbox_confirmed(sns, mailbox, topic, 'email', to)
    sns.publish(TopicArn=topic, Message='no subject')
    assert mailbox.wait_for(to, 2)[-1]['subject'] == DEFAULT_SUBJECT


# email-json is mailed the signed JSON envelope, with Subject only when the Publish had one.
def test_mailbox_email_json_notification(ps, sns, mailbox):
    topic = ps.topic()
    to = address()
    arn, _ = mailbox_confirmed(sns, mailbox, topic, 'email-json', to)
    with_subject = sns.publish(TopicArn=topic, Message='{"k": "v ☃"}', Subject='Subj')['MessageId']
    without = sns.publish(TopicArn=topic, Message='plain')['MessageId']
    _, first, second = mailbox.wait_for(to, 3)
    assert first['subject'] == 'Subj' and second['subject'] == DEFAULT_SUBJECT
    env = check_envelope(first['body'], topic, '{"k": "v ☃"}', with_subject, 'Subj')
    q = urllib.parse.parse_qs(urllib.parse.urlparse(env['UnsubscribeURL']).query)
    assert q == {'Action': ['Unsubscribe'], 'SubscriptionArn': [arn]}
    check_envelope(second['body'], topic, 'plain', without)


# MessageStructure=json: email takes the "email" entry, email-json the "email-json" one, and both
# fall back to "default".
def test_mailbox_message_structure(ps, sns, mailbox):
    topic = ps.topic()
    plain, js = address(), address()
    plain_arn, _ = mailbox_confirmed(sns, mailbox, topic, 'email', plain)
    mailbox_confirmed(sns, mailbox, topic, 'email-json', js)
    first = sns.publish(TopicArn=topic, MessageStructure='json', Message=json.dumps(
        {'default': 'fallback', 'email': 'for email', 'email-json': 'for email-json', 'sqs': 'for sqs'}))['MessageId']
    second = sns.publish(TopicArn=topic, MessageStructure='json', Message=json.dumps(
        {'default': 'only default', 'sqs': 'for sqs'}))['MessageId']
    p = mailbox.wait_for(plain, 3)
    j = mailbox.wait_for(js, 3)
    check_email_notification(p[1]['body'], 'for email', plain_arn)
    check_email_notification(p[2]['body'], 'only default', plain_arn)
    check_envelope(j[1]['body'], topic, 'for email-json', first)
    check_envelope(j[2]['body'], topic, 'only default', second)


# The topic's DisplayName is the sender's name (RFC 2047-encoded when not ASCII).
@pytest.mark.parametrize('display_name', ['Ops Alerts', 'Café ☃'])
def test_mailbox_display_name_is_sender(ps, sns, mailbox, display_name):
    topic = ps.topic(attributes={'DisplayName': display_name})
    to = address()
    mailbox_confirmed(sns, mailbox, topic, 'email', to)
    sns.publish(TopicArn=topic, Message='from whom')
    for mail in mailbox.wait_for(to, 2):
        sender = parse_raw(mailbox.raw(mail['id']))['From'].addresses
        assert [(a.display_name, a.addr_spec) for a in sender] == [(display_name, SENDER)]


# ?id=N&format=raw is the RFC 5322 mail: headers as AWS sends them, the subject RFC 2047-encoded,
# the body quoted-printable UTF-8; python's email package reads back the exact subject and body.
# ?id=N alone wraps the same text in JSON.
# ('é☃' * 20 is 100 bytes, the longest Subject runnel takes: one long encoded word.)
@pytest.mark.parametrize('subject', ['Grüße é ☃ 😀', 'é☃' * 20], ids=['short', 'long'])
def test_mailbox_raw_format(ps, sns, mailbox, subject):
    topic = ps.topic()
    to = address()
    arn, _ = mailbox_confirmed(sns, mailbox, topic, 'email', to)
    mid = sns.publish(TopicArn=topic, Message=AWKWARD, Subject=subject)['MessageId']
    mail = mailbox.wait_for(to, 2)[-1]
    assert mail['subject'] == subject
    raw = mailbox.raw(mail['id'])
    msg = parse_raw(raw)
    assert str(msg['Subject']) == subject
    assert [(a.display_name, a.addr_spec) for a in msg['From'].addresses] == [('AWS Notifications', SENDER)]
    assert msg['To'].addresses[0].addr_spec == to
    assert mid in msg['Message-ID']
    date = email.utils.parsedate_to_datetime(msg['Date'])
    assert abs(date.timestamp() - mail['date_ms'] / 1000) < 1.5
    body = msg.get_content().replace('\r\n', '\n')
    assert body == mail['body']
    check_email_notification(body, AWKWARD, arn)

    status, ctype, wrapped = mailbox.get('id=%d' % mail['id'])
    assert (status, ctype) == (200, 'application/json')
    assert json.loads(wrapped) == {'raw': raw.decode('utf-8')}


# ?after pages by id (ids rise with each mail), ?limit caps a page.
def test_mailbox_after_and_limit(ps, sns, mailbox):
    topic = ps.topic()
    to = address()
    mailbox_confirmed(sns, mailbox, topic, 'email', to)
    for n in range(3):
        sns.publish(TopicArn=topic, Message='page %d' % n, Subject='page %d' % n)
    mails = mailbox.wait_for(to, 4)
    ids = [m['id'] for m in mails]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert [m['subject'] for m in mails[1:]] == ['page 0', 'page 1', 'page 2']
    assert [m['id'] for m in mailbox.list(to=to, after=ids[1])] == ids[2:]
    assert mailbox.list(to=to, after=ids[-1]) == []
    assert [m['id'] for m in mailbox.list(to=to, after=ids[0], limit=1)] == [ids[1]]
    assert mailbox.list(to=to, limit=0) == []
    paged, after = [], 0
    for _ in range(10):
        page = mailbox.list(to=to, after=after, limit=1)
        if not page:
            break
        paged += page
        after = page[-1]['id']
    assert paged == mails


# An unknown id is 404; a malformed after/limit is 400.
def test_mailbox_errors(mailbox):
    for query in ('id=999999999999', 'id=999999999999&format=raw', 'id=0'):
        status, ctype, body = mailbox.get(query)
        assert (status, ctype) == (404, 'application/json'), (query, status, body)
        assert 'error' in json.loads(body)
    for query in ('after=x', 'after=-1', 'limit=-1', 'limit=1.5', 'after=99999999999999999999', 'id=1&after=zz'):
        status, ctype, body = mailbox.get(query)
        assert (status, ctype) == (400, 'application/json'), (query, status, body)
        assert 'error' in json.loads(body)


# A malformed id is a bad number like a malformed after or limit.
def test_mailbox_malformed_id_is_400(mailbox):
    status, _, body = mailbox.get('id=abc&format=raw')
    assert status == 400, (status, body)


# `runnel mailbox --to` prints sender, subject and body; --json the endpoint's JSON; --after skips;
# --raw ID the RFC 5322 text byte for byte; an unknown --raw id fails with the 404.
def test_mailbox_cli(ps, sns, mailbox, runnel_bin):
    topic = ps.topic()
    to = address()
    mailbox_confirmed(sns, mailbox, topic, 'email', to)
    sns.publish(TopicArn=topic, Message='cli body ☃', Subject='cli subject é')
    mails = mailbox.wait_for(to, 2)

    def run(*args):
        r = subprocess.run([runnel_bin, 'mailbox', '--endpoint', mailbox.url] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        return r.returncode, r.stdout, r.stderr.decode('utf-8', 'replace')

    code, out, err = run('--to', to.upper())
    text = out.decode('utf-8')
    assert code == 0, err
    assert text.count('--- mail ') == 2, text
    for m in mails:
        assert '--- mail %d ' % m['id'] in text
        assert 'Subject: %s\n' % m['subject'] in text
        assert m['body'] in text
    assert 'From: %s\n' % DEFAULT_FROM in text and 'To: %s\n' % to in text
    assert text.index(CONFIRM_SUBJECT) < text.index('cli subject é') < text.index('cli body ☃')

    code, out, err = run('--to', to, '--json')
    assert code == 0, err
    assert json.loads(out) == {'messages': mails}

    code, out, err = run('--to', to, '--after', str(mails[-1]['id']))
    assert (code, out) == (0, b'(no mail)\n'), err

    code, out, err = run('--raw', str(mails[-1]['id']))
    assert code == 0, err
    assert out == mailbox.raw(mails[-1]['id'])

    code, out, err = run('--raw', str(mails[-1]['id'] + 100000))
    assert code == 1 and out == b'' and '404' in err, (code, out, err)


# --- pending and unsubscribed subscriptions (mailbox) ------------------------------------------

# A pending subscription is mailed no notification, and nothing is held back for it: once it is
# confirmed it gets only what is published afterwards.
def test_pending_subscription_gets_no_notification(ps, sns, mailbox):
    topic = ps.topic()
    waiting, witness = address(), address()
    waiting_arn = subscribe(sns, topic, 'email', waiting)
    mailbox_confirmed(sns, mailbox, topic, 'email', witness)
    sns.publish(TopicArn=topic, Message='while pending')
    assert 'while pending' in mailbox.wait_for(witness, 2)[-1]['body']   # the publish was fanned out
    [confirmation] = mailbox.list(to=waiting)
    assert confirmation['subject'] == CONFIRM_SUBJECT

    assert follow_confirm(link(confirmation['body'], 'ConfirmSubscription')) == waiting_arn
    sns.publish(TopicArn=topic, Message='after confirmation')
    mails = mailbox.wait_for(waiting, 2)
    assert len(mails) == 2
    check_email_notification(mails[1]['body'], 'after confirmation', waiting_arn)


# Fetching the unsubscribe link from a mail deletes the subscription; it is mailed nothing more.
def test_unsubscribe_link_stops_delivery(ps, sns, mailbox):
    topic = ps.topic()
    leaver, stayer = address(), address()
    leaver_arn, _ = mailbox_confirmed(sns, mailbox, topic, 'email', leaver)
    mailbox_confirmed(sns, mailbox, topic, 'email', stayer)
    sns.publish(TopicArn=topic, Message='first')
    url = check_email_notification(mailbox.wait_for(leaver, 2)[-1]['body'], 'first', leaver_arn)
    follow_unsubscribe(url)
    assert_unsubscribed(sns, leaver_arn)
    sns.publish(TopicArn=topic, Message='second')
    assert mailbox.wait_for(stayer, 3)[-1]['body'].startswith('second' + FOOTER)
    assert [m['body'].split(FOOTER)[0] for m in mailbox.list(to=leaver)[1:]] == ['first']


# The mailbox is stored with the data: after kill -9 every acknowledged mail is still there, and
# new mails get new ids.
def test_mailbox_survives_kill9(runnel_bin):
    server = RunnelServer(runnel_bin, durability='strict')
    try:
        server.start()
        sns, box = client('sns', server.url), Mailbox(server.url)
        topic = sns.create_topic(Name='mail_kill9')['TopicArn']
        to = address()
        mailbox_confirmed(sns, box, topic, 'email', to)
        for n in range(3):
            sns.publish(TopicArn=topic, Message='before crash %d' % n)
        before = box.wait_for(to, 4)
        raw_before = box.raw(before[-1]['id'])
        server.kill()

        server.start()
        sns, box = client('sns', server.url), Mailbox(server.url)
        assert box.list(to=to) == before
        assert box.raw(before[-1]['id']) == raw_before
        sns.publish(TopicArn=topic, Message='after restart')
        after = box.wait_for(to, 5)
        assert after[:4] == before
        assert after[4]['id'] > before[-1]['id'] and after[4]['body'].startswith('after restart' + FOOTER)
    finally:
        server.cleanup()


# --- real SMTP ---------------------------------------------------------------------------------

# email over SMTP: the confirmation reaches the server from no-reply@sns.amazonaws.com with AWS's
# headers; its link confirms; a Publish arrives with its Subject and the footer, whose link
# unsubscribes.
def test_smtp_email_confirm_publish_unsubscribe(smtp):
    topic = smtp.topic()
    to = address()
    arn = subscribe(smtp.sns, topic, 'email', to)
    assert pending(smtp.sns, arn) == 'true'
    [mail] = smtp.sink.wait_for(1, rcpt=to)
    assert (mail.mail_from, mail.rcpt_tos) == (SENDER, [to])
    msg = parse_raw(mail.raw)
    assert (str(msg['Subject']), str(msg['To'])) == (CONFIRM_SUBJECT, to)
    assert [(a.display_name, a.addr_spec) for a in msg['From'].addresses] == [('AWS Notifications', SENDER)]
    assert email.utils.parsedate_to_datetime(msg['Date']).tzinfo is not None
    assert mail.body.startswith('You have chosen to subscribe to the topic: \n%s\n' % topic), mail.body
    assert follow_confirm(link(mail.body, 'ConfirmSubscription')) == arn
    assert pending(smtp.sns, arn) == 'false'

    mid = smtp.sns.publish(TopicArn=topic, Message='over smtp\nline two', Subject='Real mail')['MessageId']
    mail = smtp.sink.wait_for(2, rcpt=to)[-1]
    assert (mail.mail_from, mail.rcpt_tos, mail.subject) == (SENDER, [to], 'Real mail')
    assert mid in parse_raw(mail.raw)['Message-ID']
    follow_unsubscribe(check_email_notification(mail.body, 'over smtp\nline two', arn))
    assert_unsubscribed(smtp.sns, arn)


# email-json over SMTP: the signed confirmation document, whose SubscribeURL confirms; then the
# signed notification envelope with Message, Subject and TopicArn.
def test_smtp_email_json(smtp):
    topic = smtp.topic()
    to = address()
    arn, confirmation = smtp.confirmed(topic, 'email-json', to)
    assert confirmation.subject == CONFIRM_SUBJECT
    doc = json.loads(confirmation.body)
    assert set(doc) == CONFIRMATION_KEYS and doc['Type'] == 'SubscriptionConfirmation' and doc['TopicArn'] == topic
    verify_signature(doc)

    mid = smtp.sns.publish(TopicArn=topic, Message='json over smtp ☃', Subject='Json mail')['MessageId']
    mail = smtp.sink.wait_for(2, rcpt=to)[-1]
    assert mail.subject == 'Json mail'
    env = check_envelope(mail.body, topic, 'json over smtp ☃', mid, 'Json mail')
    assert urllib.parse.parse_qs(urllib.parse.urlparse(env['UnsubscribeURL']).query)['SubscriptionArn'] == [arn]


# MessageStructure=json over SMTP: each protocol's key, else "default".
def test_smtp_message_structure(smtp):
    topic = smtp.topic()
    plain, js = address(), address()
    plain_arn, _ = smtp.confirmed(topic, 'email', plain)
    smtp.confirmed(topic, 'email-json', js)
    mid = smtp.sns.publish(TopicArn=topic, MessageStructure='json', Subject='structured', Message=json.dumps(
        {'default': 'fallback', 'email': 'EMAIL ☃', 'email-json': 'EMAIL-JSON ☃'}))['MessageId']
    check_email_notification(smtp.sink.wait_for(2, rcpt=plain)[-1].body, 'EMAIL ☃', plain_arn)
    check_envelope(smtp.sink.wait_for(2, rcpt=js)[-1].body, topic, 'EMAIL-JSON ☃', mid, 'structured')


# Non-ASCII subjects and awkward bodies (a line that is a single dot, '=', long lines) come through
# SMTP exactly, for email and email-json.
@pytest.mark.parametrize('subject', ['Grüße é ☃ 😀', 'é☃' * 20], ids=['short', 'long'])
def test_smtp_non_ascii_round_trip(smtp, subject):
    topic = smtp.topic(DisplayName='Ünïcode ☃')
    plain, js = address(), address()
    plain_arn, _ = smtp.confirmed(topic, 'email', plain)
    smtp.confirmed(topic, 'email-json', js)
    mid = smtp.sns.publish(TopicArn=topic, Message=AWKWARD, Subject=subject)['MessageId']
    for to in (plain, js):
        mail = smtp.sink.wait_for(2, rcpt=to)[-1]
        msg = parse_raw(mail.raw)
        assert mail.subject == subject
        assert [(a.display_name, a.addr_spec) for a in msg['From'].addresses] == [('Ünïcode ☃', SENDER)]
        if to == plain:
            check_email_notification(mail.body, AWKWARD, plain_arn)
        else:
            check_envelope(mail.body, topic, AWKWARD, mid, subject)


# SMTP server down at Publish: the first attempt fails, and the retry (AWS's email policy: 10 s
# later) delivers once the server is up. --smtp-from sets the sender address.
@pytest.mark.slow
def test_smtp_server_down_then_up(smtp_private):
    s = smtp_private(extra_args=['--smtp-from', 'sns@runnel.test'])
    s.sink.start()
    s.start()
    topic = s.topic()
    to = address()
    arn, confirmation = s.confirmed(topic, 'email', to)
    assert confirmation.mail_from == 'sns@runnel.test'
    assert parse_raw(confirmation.raw)['From'].addresses[0].addr_spec == 'sns@runnel.test'
    s.sink.stop()

    published = time.monotonic()
    mid = s.sns.publish(TopicArn=topic, Message='owed', Subject='late')['MessageId']
    poll(lambda: mid in s.server.log_tail(200) and 'sns.push_failed' in s.server.log_tail(200), WAIT_S,
         'the failed first attempt logged')
    assert server_health(s.server)['sns_push']['pending'] == 1
    s.sink.start()
    mail = s.sink.wait_for(2, rcpt=to, timeout=RETRY_WAIT_S)[-1]
    print('\nmail arrived %.1fs after the publish' % (time.monotonic() - published))
    assert (mail.mail_from, mail.subject) == ('sns@runnel.test', 'late')
    assert mid in parse_raw(mail.raw)['Message-ID']
    check_email_notification(mail.body, 'owed', arn)
    push = settled(s.server)
    assert push['failed'] == 0
    assert len(s.sink.mails()) == 2


# Mails owed when the server is killed -9 (SMTP down, waiting for their retry) are stored: after the
# restart they are all sent at once - sooner than the 10 s retry delay - and each exactly once.
@pytest.mark.slow
def test_smtp_kill9_keeps_owed_mails(smtp_private):
    n = 20
    s = smtp_private(durability='strict')
    s.sink.start()
    s.start()
    topic = s.topic()
    to = address()
    s.confirmed(topic, 'email-json', to)
    s.sink.stop()

    published = {s.sns.publish(TopicArn=topic, Message='owed %d' % i)['MessageId']: 'owed %d' % i
                 for i in range(n)}
    poll(lambda: server_health(s.server)['sns_push']['pending'] == n
         and s.server.log_tail(400).count('sns.push_failed') >= n, WAIT_S, 'every first attempt failed')
    s.server.kill()

    s.sink.start()
    s.server.start()     # same data dir and --smtp-url, new HTTP port
    mails = s.sink.wait_for(1 + n, rcpt=to, timeout=9.0)[1:]
    assert 'sns.push_tasks_loaded' in s.server.log_tail(400)
    got = {}
    for mail in mails:
        env = json.loads(mail.body)
        assert env['MessageId'] not in got, 'delivered twice: %s' % env['MessageId']
        got[env['MessageId']] = env['Message']
    assert got == published
    push = settled(s.server)
    assert (push['delivered'], push['failed']) == (n, 0)
    assert len(s.sink.wait_for(1 + n, rcpt=to)) == 1 + n    # still nothing extra


# A 550 from the SMTP server is a permanent failure: not retried, and the message goes to the
# subscription's RedrivePolicy dead-letter queue with the error in its attributes.
def test_smtp_rejection_dead_letters(smtp_private):
    s = smtp_private()
    s.sink.start()
    s.start()
    topic = s.topic()
    dlq = s.sqs.create_queue(QueueName=unique_table_name('mail_dlq'))['QueueUrl']
    dlq_arn = s.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
    to = address()
    s.confirmed(topic, 'email', to, RedrivePolicy=json.dumps({'deadLetterTargetArn': dlq_arn}))
    s.sink.stop()
    s.sink.start(reject=True)

    started = time.monotonic()
    s.sns.publish(TopicArn=topic, Message='rejected ☃', Subject='bounce')
    msgs = []
    deadline = started + 8.0   # under the 10 s retry delay: the message was not retried
    while not msgs and time.monotonic() < deadline:
        msgs = s.sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1, MessageAttributeNames=['All'],
                                     MaxNumberOfMessages=10).get('Messages', [])
    assert len(msgs) == 1, 'nothing dead-lettered within 8 s'
    m = msgs[0]
    assert 'rejected ☃' in m['Body']
    attrs = {k: v['StringValue'] for k, v in m['MessageAttributes'].items()}
    assert set(attrs) >= {'ErrorCode', 'ErrorMessage', 'RequestID'}
    assert '550' in attrs['ErrorMessage'], attrs
    push = server_health(s.server)['sns_push']
    assert (push['pending'], push['failed']) == (0, 1)
    assert len(s.sink.mails()) == 1    # only the confirmation, from before the rejecting restart
