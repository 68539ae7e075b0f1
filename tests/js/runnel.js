// Starts build/runnel (or $RUNNEL_BIN) on a free port with a temporary data directory.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export async function startRunnel(extraArgs = []) {
  const bin = process.env.RUNNEL_BIN || join(here, '..', '..', 'build', 'runnel');
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-js-'));
  const proc = spawn(bin, ['serve', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn', ...extraArgs],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10000;
  for (;;) {
    try {
      const res = await fetch(`${endpoint}/_runnel/health`);
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error('runnel did not become healthy'); }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    endpoint,
    async stop() {
      const exited = new Promise((r) => proc.on('exit', r));
      proc.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
