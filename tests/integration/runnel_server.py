"""Start, stop and kill a runnel server process for the black-box tests.

Used by conftest.py (the session server) and by tests that need a server of their own
(signature verification, durability, lifecycle). Every wait here is bounded.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DEFAULT_BIN = os.path.join(REPO_ROOT, 'build', 'runnel')
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


def runnel_binary():
    """The server binary: $RUNNEL_BIN, else build/runnel. None when it does not exist."""
    path = os.environ.get('RUNNEL_BIN') or DEFAULT_BIN
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def health(url, timeout=2.0):
    """GET /_runnel/health; returns (status, parsed-json-or-None)."""
    try:
        with urllib.request.urlopen(url + '/_runnel/health', timeout=timeout) as r:
            body = r.read()
            try:
                return r.status, json.loads(body)
            except ValueError:
                return r.status, None
    except urllib.error.HTTPError as e:
        return e.code, None


class RunnelServer:
    """One server process on a free 127.0.0.1 port with its own data dir.

    data_dir: reuse an existing directory (restart after a crash); otherwise a temp dir is made
    and removed by cleanup() unless RUNNEL_KEEP_DATA is set.
    """

    def __init__(self, binary, data_dir=None, extra_args=(), durability=None, in_memory=False,
                 auth_credentials=None, log_level='info'):
        self.binary = binary
        self.own_dir = data_dir is None
        self.base_dir = tempfile.mkdtemp(prefix='runnel-it-')
        self.data_dir = data_dir or os.path.join(self.base_dir, 'data')
        os.makedirs(self.data_dir, exist_ok=True)
        self.extra_args = list(extra_args)
        self.durability = durability
        self.in_memory = in_memory
        self.auth_credentials = auth_credentials
        self.log_level = log_level
        self.port = None
        self.proc = None
        self.log_path = None
        self.starts = 0

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    def command(self):
        cmd = [self.binary, 'serve', '--host', '127.0.0.1', '--port', str(self.port),
               '--data-dir', self.data_dir, '--log-level', self.log_level]
        if self.in_memory:
            cmd.append('--in-memory')
        if self.durability:
            cmd += ['--durability', self.durability]
        if self.auth_credentials:
            cmd += ['--auth-credentials', self.auth_credentials]
        return cmd + self.extra_args

    def start(self, timeout=START_TIMEOUT_S):
        """Start the process (a new port each time) and wait for /_runnel/health to say ok."""
        assert self.proc is None or self.proc.poll() is not None, 'server already running'
        last_error = None
        for _ in range(3):  # a port picked by free_port() can be taken by someone else meanwhile
            self.port = free_port()
            self.starts += 1
            self.log_path = os.path.join(self.base_dir, 'server-%d.log' % self.starts)
            log = open(self.log_path, 'wb')
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.base_dir)
            log.close()
            try:
                self._wait_healthy(timeout)
                return self
            except RuntimeError as e:
                last_error = e
                self.kill()
                if 'address' not in self.log_tail().lower():
                    break
        raise last_error

    def _wait_healthy(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('runnel exited with %s during start-up:\n%s'
                                   % (self.proc.returncode, self.log_tail()))
            try:
                status, body = health(self.url, timeout=1.0)
                if status == 200 and body and body.get('status') == 'ok':
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        raise RuntimeError('runnel did not become healthy within %.0fs:\n%s'
                           % (timeout, self.log_tail()))

    def log_tail(self, n=40):
        if not self.log_path or not os.path.exists(self.log_path):
            return '(no log)'
        with open(self.log_path, 'rb') as f:
            lines = f.read().decode('utf-8', 'replace').splitlines()
        return '\n'.join(lines[-n:])

    def stop(self, timeout=STOP_TIMEOUT_S):
        """SIGTERM and wait; returns the exit code (kills and returns None if it hangs)."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        """SIGKILL (a crash) and reap."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass

    def cleanup(self):
        self.stop()
        if os.environ.get('RUNNEL_KEEP_DATA'):
            return
        shutil.rmtree(self.base_dir, ignore_errors=True)
