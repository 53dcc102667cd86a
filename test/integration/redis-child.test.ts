import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { access, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedisServer } from '../../src/cli/redis-child.js';
import { clusterUnsupported, redisReply, startTestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

/** True while `pid` is a live process (a zombie left for an absent reaper counts as dead). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function withClient<T>(url: string, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

let base: string;
before(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-redis-child-'));
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('startRedisServer', () => {
  it('starts on a free port with AOF, answers PING, persists across a restart and stops completely', async () => {
    const dir = path.join(base, 'aof');
    const redis = await startRedisServer({ dir });
    try {
      assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`);
      assert.ok(isAlive(redis.pid));
      await withClient(redis.url, async (client) => {
        assert.equal(await client.ping(), 'PONG');
        assert.equal(await client.set('kube-actions-probe', 'kept'), 'OK');
      });
      await waitFor(async () => (await aofText(dir)).includes('kube-actions-probe'), {
        timeoutMs: 5000,
        message: 'the SET to reach the AOF',
      });
      assert.ok((await readdir(path.join(dir, 'appendonlydir'))).some((f) => f.endsWith('.manifest')));
    } finally {
      await redis.stop();
    }
    assert.equal(isAlive(redis.pid), false);
    await assert.rejects(connectOnce(redis.port), { code: 'ECONNREFUSED' });
    await redis.stop();

    const again = await startRedisServer({ dir, port: redis.port });
    try {
      assert.equal(again.port, redis.port);
      assert.equal(await withClient(again.url, (client) => client.get('kube-actions-probe')), 'kept');
    } finally {
      await again.stop();
    }
  });

  it('writes its log to logFile when given; the log (0600) and the data dir (0700) are its own', async () => {
    const logFile = path.join(base, 'logs', 'redis.log');
    const dir = path.join(base, 'logged');
    const redis = await startRedisServer({ dir, appendOnly: false, logFile });
    await redis.stop();
    assert.match(await readFile(logFile, 'utf8'), /Ready to accept connections/);
    assert.equal((await stat(logFile)).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
  });

  it('with auth, serves only its user: NOAUTH without credentials, the password in no argv and only hashed on disk', async () => {
    const dir = path.join(base, 'auth');
    const auth = { username: 'kube-actions', password: 'p@ss w:rd/secret' };
    const redis = await startRedisServer({ dir, appendOnly: false, auth });
    try {
      assert.equal(redis.url, `redis://kube-actions:p%40ss%20w%3Ard%2Fsecret@127.0.0.1:${redis.port}`);
      assert.equal(await withClient(redis.url, (client) => client.ping()), 'PONG');
      assert.match(await redisReply(redis.port, 'PING\r\n'), /^-NOAUTH Authentication required/);
      assert.match(await redisReply(redis.port, 'AUTH kube-actions wrong\r\n'), /^-WRONGPASS/);
      assert.match(await redisReply(redis.port, 'AUTH default nopass\r\n'), /^-WRONGPASS/);
      const acl = path.join(dir, 'users.acl');
      assert.equal((await stat(acl)).mode & 0o777, 0o600);
      assert.doesNotMatch(await readFile(acl, 'utf8'), /secret/);
      assert.match(await readFile(acl, 'utf8'), /^user default off /m);
      assert.doesNotMatch(readFileSync(`/proc/${redis.pid}/cmdline`, 'latin1'), /secret|p%40ss/);
    } finally {
      await redis.stop();
    }
  });

  it('with auth, replays the MULTI/EXEC and scripts of its AOF at the next start', async () => {
    const dir = path.join(base, 'auth-aof');
    const auth = { username: 'kube-actions', password: 'aof-secret' };
    const first = await startRedisServer({ dir, auth });
    try {
      await withClient(first.url, async (client) => {
        await client.multi().set('in-multi', '1').set('also-in-multi', '2').exec();
        await client.eval("redis.call('SET', 'by-script', '3')", 0);
        await client.set('plain', '4');
      });
    } finally {
      await first.stop();
    }
    const again = await startRedisServer({ dir, auth, port: first.port });
    try {
      const keys = await withClient(again.url, (client) => client.keys('*'));
      assert.deepEqual(keys.sort(), ['also-in-multi', 'by-script', 'in-multi', 'plain']);
    } finally {
      await again.stop();
    }
  });

  it('fails clearly when a fixed port is taken', async () => {
    const blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await assert.rejects(startRedisServer({ dir: path.join(base, 'busy'), port, appendOnly: false }), {
        message: `redis-server could not listen on port ${port}: address already in use`,
      });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('says how to install redis-server when it is not on PATH', async () => {
    const emptyBin = await mkdtemp(path.join(base, 'bin-'));
    const savedPath = process.env['PATH'];
    process.env['PATH'] = emptyBin;
    try {
      await assert.rejects(startRedisServer({ dir: path.join(base, 'none') }), (err: Error) => {
        assert.match(err.message, /redis-server is not installed/);
        assert.match(err.message, /apt-get install redis-server/);
        return true;
      });
    } finally {
      process.env['PATH'] = savedPath;
    }
  });
});

describe('redis-server dies with its parent', () => {
  const modes = ['exit normally', 'SIGTERM', 'SIGINT', 'SIGKILL'] as const;
  for (const mode of modes) {
    it(`when the parent gets ${mode}`, async () => {
      const dir = path.join(base, `parent-${mode.replace(' ', '-')}`);
      const { parent, pid } = await startParent(dir, mode === 'exit normally');
      if (mode !== 'exit normally') parent.kill(mode);
      await waitFor(() => !isAlive(pid), { timeoutMs: 5000, message: `redis-server ${pid} to exit after ${mode}` });
    });
  }
});

describe('startTestRedis', () => {
  it('runs in a fresh temp dir without AOF and removes the dir on stop', async (t) => {
    if (clusterUnsupported(t, 'checks the single redis-server this helper starts (redis-cluster.test.ts checks the cluster one)')) return;
    const redis = await startTestRedis();
    assert.ok(path.basename(redis.dir).startsWith('kube-actions-redis-'));
    assert.deepEqual(await withClient(redis.url, (client) => client.config('GET', 'appendonly')), ['appendonly', 'no']);
    assert.deepEqual(await readdir(redis.dir), ['users.acl']);
    assert.match(await redisReply(redis.port, 'PING\r\n'), /^-NOAUTH/, 'test Redis requires authentication too');
    await redis.stop();
    assert.equal(isAlive(redis.pid), false);
    await assert.rejects(access(redis.dir), { code: 'ENOENT' });
  });
});

async function aofText(dir: string): Promise<string> {
  const aofDir = path.join(dir, 'appendonlydir');
  const files = await readdir(aofDir).catch(() => []);
  const incr = files.filter((f) => f.endsWith('.incr.aof'));
  return (await Promise.all(incr.map((f) => readFile(path.join(aofDir, f), 'utf8')))).join('');
}

function connectOnce(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/**
 * Starts a node process that starts redis-server through redis-child.js and reports its pid; with
 * `exitAfterStart` the process then exits on its own, otherwise it idles until signalled.
 */
async function startParent(dir: string, exitAfterStart: boolean) {
  const moduleUrl = new URL('../../src/cli/redis-child.js', import.meta.url).href;
  const script = `
    const { startRedisServer } = await import(${JSON.stringify(moduleUrl)});
    const redis = await startRedisServer({ dir: ${JSON.stringify(dir)}, appendOnly: false });
    process.stdout.write(JSON.stringify({ pid: redis.pid }) + '\\n');
    if (${String(exitAfterStart)}) process.exit(0); else setInterval(() => {}, 60_000);`;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  parent.stdout.setEncoding('utf8');
  parent.stdout.on('data', (chunk: string) => (out += chunk));
  await waitFor(() => out.includes('\n'), { timeoutMs: 10_000, message: 'the parent to report the redis pid' });
  const { pid } = JSON.parse(out) as { pid: number };
  assert.ok(isAlive(pid));
  return { parent, pid };
}
