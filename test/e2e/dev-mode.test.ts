// kube-actions dev as a user runs it: restarting keeps the runs; Ctrl-C stops everything it
// started; the printed line and the kubeconfig are what the README says.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { kubectl, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid of the redis-server kube-actions dev started, from the log it keeps in the data dir. */
async function redisPid(dataDir: string): Promise<number> {
  const log = await readFile(path.join(dataDir, 'redis.log'), 'utf8');
  const ready = log.split('\n').filter((l) => l.includes('Ready to accept connections')).pop();
  const pid = Number(/^(\d+):/.exec(ready ?? '')?.[1]);
  assert.ok(pid > 0 && alive(pid), `a running redis-server in ${dataDir}`);
  return pid;
}

describe('kube-actions dev', { timeout: 120_000 }, () => {
  it('keeps runs across a restart and stops its redis-server on SIGINT', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-restart-'));
    try {
      const first = await startDevServer({ dataDir });
      after(() => first.stop());
      const c = await kubectl(first, ['create', '-f', '-'], {
        input: 'apiVersion: kubeactions.dev/v1alpha1\nkind: WorkflowRun\nmetadata: {name: survivor}\nspec: {steps: [{name: a, run: "echo kept"}]}\n',
      });
      assert.equal(c.code, 0, c.stderr);
      await kubectl(first, ['wait', '--for=condition=Succeeded', 'wfr/survivor', '--timeout=60s']);
      const pid = await redisPid(dataDir);
      const exited = new Promise((r) => first.proc.once('exit', r));
      first.proc.kill('SIGINT');
      await exited;
      await waitFor(() => !alive(pid), { timeoutMs: 10_000, message: 'redis-server to stop with kube-actions dev' });

      const second = await startDevServer({ dataDir });
      try {
        const got = await kubectl(second, ['get', 'wfr', 'survivor', '-o', 'jsonpath={.status.phase}']);
        assert.equal(got.stdout, 'Succeeded');
        const log = await kubectl(second, ['get', '--raw', '/apis/kubeactions.dev/v1alpha1/namespaces/default/workflowruns/survivor/log']);
        assert.equal(log.stdout, 'kept\n');
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
