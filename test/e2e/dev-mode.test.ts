// kube-actions dev as a user runs it: restarting keeps the runs; Ctrl-C stops everything it
// started; the printed line and the kubeconfig are what the README says; its Redis requires a
// password, and what it keeps in the data dir is its user's alone.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { redisReply } from '../helpers/redis.js';
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

/** The port of the redis-server kube-actions dev started, from its log. */
async function redisPort(dataDir: string): Promise<number> {
  const ports = [...(await readFile(path.join(dataDir, 'redis.log'), 'utf8')).matchAll(/port=(\d+)/g)];
  return Number(ports.pop()?.[1]);
}

async function mode(file: string): Promise<string> {
  return ((await stat(file)).mode & 0o777).toString(8);
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

  it('requires a password for its Redis, kept 0600 in the data dir (0711) with everything else it keeps private, also when an older version made it readable', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-private-'));
    try {
      await chmod(dataDir, 0o755);
      await writeFile(path.join(dataDir, 'admin-token'), 'an-older-token\n', { mode: 0o644 });
      await writeFile(path.join(dataDir, 'redis.log'), '', { mode: 0o644 });
      await mkdir(path.join(dataDir, 'certs'), { mode: 0o755 });
      const server = await startDevServer({ dataDir });
      try {
        const expected: [string, string][] = [
          ['.', '711'], ['redis', '700'], ['redis/users.acl', '600'], ['redis-password', '600'], ['redis.log', '600'],
          ['certs', '700'], ['certs/apiserver.key', '600'], ['admin-token', '600'], ['kubeconfig', '600'],
        ];
        for (const [entry, want] of expected) assert.equal(await mode(path.join(dataDir, entry)), want, entry);
        assert.equal(server.token, 'an-older-token', 'the token is kept');

        const password = (await readFile(path.join(dataDir, 'redis-password'), 'utf8')).trim();
        assert.match(password, /^[A-Za-z0-9_-]{43}$/);
        const port = await redisPort(dataDir);
        assert.match(await redisReply(port, 'PING\r\n'), /^-NOAUTH Authentication required/);
        assert.match(await redisReply(port, 'SET x 1\r\n'), /^-NOAUTH/);
        const admin = new Redis({ port, host: '127.0.0.1', username: 'kube-actions', password, lazyConnect: true, maxRetriesPerRequest: 0 });
        try {
          assert.equal(await admin.ping(), 'PONG');
        } finally {
          admin.disconnect();
        }
        for (const pid of [await redisPid(dataDir), server.proc.pid ?? 0]) {
          assert.ok(!readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(password), `argv of ${pid}`);
          assert.ok(!readFileSync(`/proc/${pid}/environ`, 'latin1').includes(password), `environment of ${pid}`);
        }
        assert.ok(!(await readFile(path.join(dataDir, 'redis', 'users.acl'), 'utf8')).includes(password), 'only its hash');
      } finally {
        await server.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
