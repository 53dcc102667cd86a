// How the real `kube-actions apiserver` and `worker` processes take their Redis credentials: never
// from argv (a password there is refused), from env REDIS_URL (forgotten at start, also in
// /proc/<pid>/environ), or from --redis-url-file / --redis-password-file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiServerProcess, type Component, startApiServerProcess, startWorkerProcess } from '../helpers/components.js';
import { type TestRedis, startTestRedis } from '../helpers/redis.js';
import { RunClient } from '../helpers/runs.js';

/** A test Redis URL split into the URL without its password and the password. */
function splitPassword(url: string): { url: string; password: string } {
  const m = /^([a-z+]+:\/\/[^:@/]*):([^@/]+)@(.*)$/.exec(url);
  if (!m) throw new Error(`no password in ${url}`);
  return { url: `${m[1] ?? ''}@${m[3] ?? ''}`, password: decodeURIComponent(m[2] ?? '') };
}

function environ(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter((e) => e !== '');
}

describe('Redis credentials of the apiserver and the worker', { timeout: 90_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  const started: Component[] = [];

  before(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'kube-actions-redis-credentials-'));
  });
  after(async () => {
    for (const c of started) await c.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function runsThrough(api: ApiServerProcess, name: string): Promise<void> {
    const client = new RunClient(api.target);
    try {
      await client.create('credentials', { name }, { steps: [{ name: 'main', run: `echo ${name}` }] });
      const done = await client.untilPhase('credentials', name, ['Succeeded', 'Failed'], 30_000);
      assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
    } finally {
      client.close();
    }
  }

  it('refuses a password in --redis-url on the command line, saying where to put it', async () => {
    const { password } = splitPassword(redis.url);
    for (const url of [redis.url, 'redis+sentinel://127.0.0.1:1/m?sentinelPassword=x']) {
      await assert.rejects(startWorkerProcess({ redisUrl: '', workspaceDir: join(dir, 'refused'), args: ['--redis-url', url] }), (err: Error) => {
        assert.match(err.message, /exited with 1/);
        assert.match(err.message, /--redis-url on the command line carries a password, and a process' argv is visible to every process in \/proc\/\*\/cmdline: put the URL in the REDIS_URL environment variable or in --redis-url-file, or the password in --redis-password-file/);
        assert.ok(!err.message.includes(password), 'the message does not repeat the password');
        return true;
      });
    }
  });

  it('reads REDIS_URL once: the running processes have it neither in process.env nor in /proc/<pid>/environ', async () => {
    const { password } = splitPassword(redis.url);
    const api = await startApiServerProcess({ redisUrl: redis.url, dir: join(dir, 'env-api') });
    started.push(api);
    const worker = await startWorkerProcess({ redisUrl: redis.url, workspaceDir: join(dir, 'env-ws') });
    started.push(worker);
    await runsThrough(api, 'from-env');
    for (const c of [api, worker]) {
      const env = environ(c.proc.pid ?? 0);
      assert.ok(env.length > 0, 'the test reads the environment (as root)');
      assert.ok(!env.some((e) => e.startsWith('REDIS_URL=') || e.includes(password)), env.join('\n'));
      assert.ok(!readFileSync(`/proc/${c.proc.pid ?? 0}/cmdline`, 'latin1').includes(password));
    }
  });

  it('takes the URL from --redis-url-file and the password from --redis-password-file, and serves', async () => {
    const { url, password } = splitPassword(redis.url);
    const urlFile = join(dir, 'redis-url');
    const passwordFile = join(dir, 'redis-password');
    await writeFile(urlFile, `${redis.url}\n`, { mode: 0o600 });
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    const api = await startApiServerProcess({ redisUrl: '', dir: join(dir, 'file-api'), args: ['--redis-url-file', urlFile] });
    started.push(api);
    const worker = await startWorkerProcess({ redisUrl: '', workspaceDir: join(dir, 'file-ws'), args: ['--redis-url', url, '--redis-password-file', passwordFile] });
    started.push(worker);
    await runsThrough(api, 'from-files');
  });

  it('refuses conflicting sources', async () => {
    const urlFile = join(dir, 'conflict-url');
    await writeFile(urlFile, `${redis.url}\n`, { mode: 0o600 });
    await assert.rejects(startWorkerProcess({ redisUrl: redis.url, workspaceDir: join(dir, 'conflict'), args: ['--redis-url-file', urlFile] }),
      /--redis-url \(or REDIS_URL\) and --redis-url-file are both given: use one of them/);
    const passwordFile = join(dir, 'conflict-password');
    await writeFile(passwordFile, 'another\n', { mode: 0o600 });
    await assert.rejects(startWorkerProcess({ redisUrl: redis.url, workspaceDir: join(dir, 'conflict'), args: ['--redis-password-file', passwordFile] }),
      /carries a password and --redis-password-file gives one too: keep one of them/);
    await assert.rejects(startWorkerProcess({ redisUrl: '', workspaceDir: join(dir, 'conflict') }),
      /worker needs a Redis URL: --redis-url, env REDIS_URL or --redis-url-file/);
  });
});
