"""GET /_runnel/metrics (issue 18, Prometheus): the text exposition format as Debian's promtool
checks it, and counts that follow a known workload exactly (per service and operation, whatever
the protocol: SQS's Query and JSON requests count as one operation)."""

import re
import shutil
import subprocess
import urllib.request

import pytest
from botocore.exceptions import ClientError

from util import unique_table_name


def scrape(url):
    with urllib.request.urlopen(url + '/_runnel/metrics', timeout=5) as r:
        assert r.status == 200
        assert r.headers['Content-Type'] == 'text/plain; version=0.0.4; charset=utf-8'
        return r.read().decode()


def value(text, name, **labels):
    """The sample of `name` with exactly these labels (0 when absent)."""
    want = ','.join('%s="%s"' % kv for kv in labels.items())
    pattern = re.escape(name) + (r'\{' + re.escape(want) + r'\}' if labels else '') + r' (\S+)$'
    for line in text.splitlines():
        m = re.match(pattern, line)
        if m:
            return float(m.group(1))
    return 0.0


@pytest.fixture(scope='module')
def url(target, runnel_only):
    return target.url


def test_promtool_accepts_the_text(url, dynamodb):
    dynamodb.list_tables()
    text = scrape(url)
    promtool = shutil.which('promtool')
    if not promtool:
        pytest.skip('promtool (Debian package prometheus) is not installed')
    p = subprocess.run([promtool, 'check', 'metrics'], input=text, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_requests_counted_per_operation(url, dynamodb, make_client):
    name = unique_table_name('metrics')
    dynamodb.create_table(TableName=name, KeySchema=[{'AttributeName': 'p', 'KeyType': 'HASH'}],
                          AttributeDefinitions=[{'AttributeName': 'p', 'AttributeType': 'S'}],
                          BillingMode='PAY_PER_REQUEST')
    before = scrape(url)
    for i in range(3):
        dynamodb.put_item(TableName=name, Item={'p': {'S': str(i)}})
    with pytest.raises(ClientError):
        dynamodb.get_item(TableName=name + '-missing', Key={'p': {'S': 'x'}})
    sqs = make_client('sqs')
    queue = sqs.create_queue(QueueName=unique_table_name('metrics'))['QueueUrl']
    for i in range(2):
        sqs.send_message(QueueUrl=queue, MessageBody='m%d' % i)
    after = scrape(url)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta('runnel_requests_total', service='dynamodb', operation='PutItem', **{'class': '2xx'}) == 3
    assert delta('runnel_requests_total', service='dynamodb', operation='GetItem', **{'class': '4xx'}) == 1
    assert delta('runnel_requests_total', service='sqs', operation='SendMessage', **{'class': '2xx'}) == 2
    assert delta('runnel_request_duration_seconds_count', service='dynamodb', operation='PutItem') == 3
    assert delta('runnel_request_duration_seconds_bucket', service='dynamodb', operation='PutItem', le='+Inf') == 3
    assert delta('runnel_request_duration_seconds_sum', service='dynamodb', operation='PutItem') > 0
    # Each write went through the writer: at least one group, and the writes counted.
    assert delta('runnel_writer_writes_committed_total') >= 5
    assert delta('runnel_writer_groups_committed_total') >= 1
    assert delta('runnel_writer_commit_seconds_count') >= 1
    # No account's resource is named.
    assert name not in after and queue.rsplit('/', 1)[1] not in after
    sqs.delete_queue(QueueUrl=queue)
    dynamodb.delete_table(TableName=name)
