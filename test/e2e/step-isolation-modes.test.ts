// --step-isolation without the privilege to isolate: `required` refuses to start, naming what is
// missing; `auto` starts and says loudly that steps are not isolated. The real `kube-actions
// worker` runs as root with every capability dropped (setpriv empties its bounding set), which
// is what a worker without CAP_SETUID and the rest looks like.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../helpers/wait.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Starts the worker without capabilities; its output so far, its exit, and a way to stop it. */
function unprivilegedWorker(args: string[]): { output: () => string; exited: Promise<number | null>; kill: () => void } {
  const proc = spawn('setpriv', ['--inh-caps=-all', '--bounding-set=-all', '--', process.execPath, MAIN, 'worker', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1' } });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { output: () => out, exited, kill: () => void proc.kill('SIGKILL') };
}

describe('--step-isolation where the worker cannot isolate', { timeout: 60_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kube-actions-isolation-modes-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('required: the worker refuses to start, naming each missing capability', async () => {
    const w = unprivilegedWorker(['--step-isolation=required', '--workspace-dir', dir]);
    assert.equal(await w.exited, 1, w.output());
    const out = w.output();
    assert.match(out, /--step-isolation=required, but this worker cannot isolate steps: it lacks /);
    for (const cap of ['CAP_SETUID', 'CAP_SETGID', 'CAP_CHOWN', 'CAP_FOWNER', 'CAP_DAC_OVERRIDE', 'CAP_KILL']) assert.match(out, new RegExp(cap));
  });

  it('auto: the worker starts, warning that steps are not isolated', async () => {
    const w = unprivilegedWorker(['--step-isolation=auto', '--workspace-dir', dir]);
    try {
      await waitFor(() => w.output().includes('STEPS ARE NOT ISOLATED'), { timeoutMs: 20_000, message: `the warning (output: ${w.output()})` });
      assert.match(w.output(), /"level":40/);
      assert.match(w.output(), /CAP_SETUID/);
    } finally {
      w.kill();
      await w.exited;
    }
  });
});
