"""A tiny SMTP server that keeps every mail it receives, for the SNS email tests.

Two halves in one file:
  * run as a program (`/usr/bin/python3 smtp_sink.py --port P --dir D [--reject]`) it is an
    aiosmtpd server on 127.0.0.1:P that saves each received mail as D/NNNNNN.json
    ({"mail_from", "rcpt_tos", "data_b64"}, written to a temp name and renamed, so a reader never
    sees half a file) and prints "ready" once it listens. With --reject it answers 550 to RCPT
    (a permanent failure, as for an unknown mailbox) and saves nothing. SIGTERM stops it.
    aiosmtpd exists only for Debian's /usr/bin/python3, hence a separate process.
  * imported (by any interpreter), SmtpSink starts and stops that process and reads what it saved.
Every wait is bounded.
"""

import base64
import email
import email.policy
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

SINK_PYTHON = '/usr/bin/python3'
READY_TIMEOUT_S = 15.0


def available():
    """True when SINK_PYTHON can run the sink (has aiosmtpd)."""
    try:
        return subprocess.run([SINK_PYTHON, '-c', 'import aiosmtpd'], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class Mail:
    """One received mail: the SMTP envelope and the parsed RFC 5322 message."""

    def __init__(self, name, mail_from, rcpt_tos, raw):
        self.name, self.mail_from, self.rcpt_tos, self.raw = name, mail_from, rcpt_tos, raw
        self.message = email.message_from_bytes(raw, policy=email.policy.default)

    @property
    def subject(self):
        return str(self.message['Subject'])

    @property
    def to(self):
        return str(self.message['To'])

    @property
    def body(self):
        """The decoded text body (quoted-printable and charset undone), CRLF turned into LF."""
        return self.message.get_content().replace('\r\n', '\n')

    def __repr__(self):
        return 'Mail(%s, to=%r, subject=%r)' % (self.name, self.rcpt_tos, self.subject)


class SmtpSink:
    """The sink process on a fixed port (so runnel's --smtp-url stays valid across restarts)."""

    def __init__(self, port, directory=None):
        self.port = port
        self.own_dir = directory is None
        self.dir = directory or tempfile.mkdtemp(prefix='runnel-smtp-')
        self.proc = None
        self.log = b''

    @property
    def url(self):
        return 'smtp://127.0.0.1:%d' % self.port

    def start(self, reject=False, timeout=READY_TIMEOUT_S):
        assert self.proc is None or self.proc.poll() is not None, 'sink already running'
        cmd = [SINK_PYTHON, os.path.abspath(__file__), '--port', str(self.port), '--dir', self.dir]
        if reject:
            cmd.append('--reject')
        env = dict(os.environ)
        env.pop('PYTHONPATH', None)  # run-tests.sh --boto 1.43 puts the image's packages there
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + timeout
        out = b''
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                out += chunk
                if b'ready\n' in out:
                    return self
                if not chunk:
                    break
            elif self.proc.poll() is not None:
                break
        self.log = out
        self.stop()
        raise RuntimeError('smtp sink did not start on port %d:\n%s' % (self.port, out.decode('utf-8', 'replace')))

    def stop(self, timeout=10.0):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        self.proc.stdout.close()
        self.proc = None

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def mails(self):
        """Every mail saved so far, oldest first."""
        out = []
        for name in sorted(os.listdir(self.dir)):
            if not name.endswith('.json'):
                continue
            with open(os.path.join(self.dir, name)) as f:
                d = json.load(f)
            out.append(Mail(name, d['mail_from'], d['rcpt_tos'], base64.b64decode(d['data_b64'])))
        return out

    def wait_for(self, count=1, rcpt=None, timeout=15.0, interval=0.1):
        """Poll until at least `count` mails (to `rcpt`, if given) arrived, or fail after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            got = [m for m in self.mails() if rcpt is None or rcpt in m.rcpt_tos]
            if len(got) >= count:
                return got
            if time.monotonic() >= deadline:
                raise AssertionError('%d of %d mails%s arrived in %.0fs: %r' % (
                    len(got), count, ' to ' + rcpt if rcpt else '', timeout, got))
            time.sleep(interval)


# --- the server process ------------------------------------------------------------------------

def serve(port, directory, reject):
    import asyncio
    import signal

    from aiosmtpd.smtp import SMTP

    counter = [len([n for n in os.listdir(directory) if n.endswith('.json')])]

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if reject:
                return '550 5.1.1 <%s>: Recipient address rejected: no such mailbox' % address
            envelope.rcpt_tos.append(address)
            return '250 OK'

        async def handle_DATA(self, server, session, envelope):
            counter[0] += 1
            name = '%06d' % counter[0]
            record = {'mail_from': envelope.mail_from, 'rcpt_tos': list(envelope.rcpt_tos),
                      'data_b64': base64.b64encode(envelope.original_content or envelope.content).decode()}
            tmp = os.path.join(directory, name + '.tmp')
            with open(tmp, 'w') as f:
                json.dump(record, f)
            os.rename(tmp, os.path.join(directory, name + '.json'))
            return '250 Message accepted for delivery'

    async def main():
        loop = asyncio.get_running_loop()
        handler = Handler()
        server = await loop.create_server(lambda: SMTP(handler, hostname='smtp-sink'), '127.0.0.1', port,
                                          reuse_address=True)
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        print('ready', flush=True)
        await stop.wait()
        server.close()
        await server.wait_closed()

    asyncio.run(main())


if __name__ == '__main__':
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--dir', required=True)
    parser.add_argument('--reject', action='store_true', help='answer 550 to every RCPT')
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    serve(args.port, args.dir, args.reject)
    sys.exit(0)
