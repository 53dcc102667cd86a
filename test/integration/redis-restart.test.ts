// Redis taken away and brought back (same port, same AOF) while a step runs, with the apiserver
// and the worker in their own processes: the apiserver stays up and answers 503 with Retry-After,
// everything acknowledged survives, the step's output written meanwhile reaches the log, the run
// Succeeds, and an informer started before the outage ends with exactly what Redis holds.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ERROR, type Informer, type KubernetesListObject, type KubernetesObject, type ObjectCache, Watch, makeInformer,
} from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { DEFAULT_PREFIX, ResourceKeys } from '../../src/queue/keys.js';
import { RUN_QUEUE } from '../../src/queue/run-queue.js';
import { type ApiServerProcess, type Component, startApiServerProcess, startWorkerProcess } from '../helpers/components.js';
import { type RedisFault, type RestartableRedis, startRestartableRedis } from '../helpers/restartable-redis.js';
import { type ApiTarget, RunClient, kubeConfigFor, runsPath } from '../helpers/runs.js';
import { openWatchlessStream } from '../helpers/stream.js';
import { waitFor } from '../helpers/wait.js';

/** A 503 must come at once, not after ioredis' reconnection attempts. */
const FAST_MS = 2000;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function request(target: ApiTarget, method: string, path: string, body?: unknown): Promise<Reply> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, target.url), {
      method, ca: target.ca, agent: false,
      headers: { authorization: `Bearer ${target.token}`, accept: 'application/json', ...(data ? { 'content-type': 'application/json' } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The request answers 503 ServiceUnavailable, quickly, with Retry-After and a Status body. */
async function assertUnavailable(target: ApiTarget, method: string, path: string, body?: unknown): Promise<void> {
  const started = Date.now();
  const res = await request(target, method, path, body);
  const took = Date.now() - started;
  assert.equal(res.status, 503, `${method} ${path}: ${res.body}`);
  assert.ok(took < FAST_MS, `${method} ${path} answered in ${took} ms`);
  assert.equal(res.headers['retry-after'], '1');
  const status = JSON.parse(res.body) as { kind: string; status: string; reason: string; code: number; message: string; details?: { retryAfterSeconds?: number } };
  assert.equal(status.kind, 'Status');
  assert.equal(status.status, 'Failure');
  assert.equal(status.reason, 'ServiceUnavailable');
  assert.equal(status.code, 503);
  assert.equal(status.details?.retryAfterSeconds, 1);
  assert.match(status.message, /^storage is unavailable: /);
}

const newRun = (name: string, script: string): Record<string, unknown> => ({
  apiVersion: 'kubeactions.dev/v1alpha1', kind: 'WorkflowRun', metadata: { name }, spec: { steps: [{ name: 'main', run: script }] },
});

/** name → resourceVersion, sorted by name. */
const versions = (objs: readonly KubernetesObject[]): string[] =>
  objs.map((o) => `${o.metadata?.name ?? ''}@${o.metadata?.resourceVersion ?? ''}`).sort();

/** The numbered lines of a log with repeats of the same line next to each other collapsed. */
function numberedLines(log: string): number[] {
  const out: number[] = [];
  for (const m of log.matchAll(/^line (\d+)$/gm)) {
    const n = Number(m[1]);
    if (out.at(-1) !== n) out.push(n);
  }
  return out;
}

/** A restartable Redis, an apiserver and a worker (its lock longer than any outage here: it keeps its run). */
interface Stack {
  redis: RestartableRedis;
  dir: string;
  api: ApiServerProcess;
  worker: Component;
  client: RunClient;
}

async function startStack(name: string): Promise<Stack> {
  const redis = await startRestartableRedis();
  const dir = await mkdtemp(join(tmpdir(), `kube-actions-${name}-`));
  const api = await startApiServerProcess({ redisUrl: redis.url, dir: join(dir, 'api') });
  const worker = await startWorkerProcess({ redisUrl: redis.url, workspaceDir: join(dir, 'ws'), args: ['--lock-duration', '30'] });
  return { redis, dir, api, worker, client: new RunClient(api.target) };
}

/** Stops what startStack started (any part may be missing if it failed) and removes its directory. */
async function stopStack(s: Partial<Stack>): Promise<void> {
  s.client?.close();
  await s.worker?.stop();
  await s.api?.stop();
  await s.redis?.close();
  if (s.dir) await rm(s.dir, { recursive: true, force: true });
}

for (const fault of ['SIGKILL', 'SIGTERM'] as RedisFault[]) {
  describe(`Redis stopped with ${fault} while a step runs, then restarted`, { timeout: 120_000 }, () => {
    let redis: RestartableRedis;
    let dir: string;
    let api: ApiServerProcess;
    let worker: Component;
    let client: RunClient;

    before(async () => {
      ({ redis, dir, api, worker, client } = await startStack('redis-restart'));
    });
    after(async () => {
      if (dir) await writeFile(join(dir, 'stop'), '');
      await stopStack({ redis, dir, api, worker, client });
    });

    it('keeps the apiserver up (503 + Retry-After), loses nothing acknowledged, finishes the run with its whole log, and the informer ends right', async () => {
      const ns = 'restart';
      // Acknowledged before the outage: two finished runs and a deletion.
      for (const name of ['kept-a', 'kept-b', 'deleted']) await client.create(ns, { name }, { steps: [{ name: 'main', run: `echo ${name}` }] });
      for (const name of ['kept-a', 'kept-b', 'deleted']) await client.untilPhase(ns, name, ['Succeeded']);
      await client.delete(ns, 'deleted');
      await waitFor(async () => (await client.get(ns, 'deleted')) === undefined, { timeoutMs: 10_000, message: 'deleted to be gone' });
      const kept = await Promise.all(['kept-a', 'kept-b'].map(async (n) => ({ run: await client.get(ns, n), log: (await client.log(ns, n)).body })));

      const kc = kubeConfigFor(api.target);
      const listRuns = async (): Promise<KubernetesListObject<KubernetesObject>> => {
        const l = await client.list(ns);
        return { apiVersion: 'kubeactions.dev/v1alpha1', kind: 'WorkflowRunList', metadata: { resourceVersion: l.resourceVersion }, items: l.items as KubernetesObject[] };
      };
      const informer = makeInformer<KubernetesObject>(kc, runsPath(ns), listRuns) as Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
      const informerErrors: unknown[] = [];
      informer.on(ERROR, (err) => informerErrors.push(err));
      await informer.start();
      // A plain watch from the same point: every change must arrive once, in order.
      const from = (await client.list(ns)).resourceVersion;
      const events: { type: string; rv: string }[] = [];
      let watchEnded: unknown = 'open';
      const watch = await new Watch(kc).watch(runsPath(ns), { resourceVersion: from },
        (type, obj: KubernetesObject) => events.push({ type, rv: obj.metadata?.resourceVersion ?? '' }), (err) => (watchEnded = err));

      // The step prints a numbered line every 50 ms (and its count to a file) until told to stop.
      // It runs under a uid of its own: the count goes to a directory open to it, like /tmp
      // (its workspace is removed when the run ends, before the test reads the last count).
      const shared = join(dir, 'shared');
      await mkdir(shared, { mode: 0o1777 });
      await chmod(shared, 0o1777);
      const count = join(shared, 'count');
      const stop = join(dir, 'stop');
      await client.create(ns, { name: 'long' }, { steps: [{ name: 'main', run: `i=0; while [ ! -e ${stop} ]; do i=$((i+1)); echo "line $i"; echo $i > ${count}; sleep 0.05; done` }] });
      const printed = (): number => (existsSync(count) ? Number(readFileSync(count, 'utf8')) || 0 : 0);
      await waitFor(async () => /^line 10$/m.test((await client.log(ns, 'long')).body), { timeoutMs: 20_000, message: 'the step to log 10 lines' });
      // A log follower held open through the outage.
      const follower = await openWatchlessStream(api.target, `${runsPath(ns)}/long/log?follow=true`);
      assert.equal(follower.status, 200);

      await redis.stop(fault);
      const atOutage = printed();
      const readyz = await request(api.target, 'GET', '/readyz?verbose');
      assert.equal(readyz.status, 500);
      assert.match(readyz.body, /^\[-\]redis failed/m);
      for (const path of ['/livez', '/healthz', '/version', '/apis', '/apis/kubeactions.dev/v1alpha1', '/openapi/v2']) {
        assert.equal((await request(api.target, 'GET', path)).status, 200, `${path} during the outage`);
      }
      await assertUnavailable(api.target, 'GET', `${runsPath(ns)}/long`);
      await assertUnavailable(api.target, 'GET', runsPath(ns));
      await assertUnavailable(api.target, 'POST', runsPath(ns), newRun('during', 'true'));
      await assertUnavailable(api.target, 'GET', `${runsPath(ns)}/long/log`);
      await assertUnavailable(api.target, 'GET', `${runsPath(ns)}?watch=1`);
      // The step goes on printing while Redis is away.
      await waitFor(() => printed() >= atOutage + 20, { timeoutMs: 10_000, message: 'the step to print 20 lines during the outage' });

      await redis.restart();
      await waitFor(async () => (await request(api.target, 'GET', `${runsPath(ns)}/long`)).status === 200, {
        timeoutMs: 15_000, intervalMs: 50, message: 'the apiserver to serve again without a restart',
      });
      assert.equal((await request(api.target, 'GET', '/readyz')).status, 200);
      const afterOutage = printed();
      await waitFor(() => printed() >= afterOutage + 10, { timeoutMs: 10_000, message: 'the step to print after the outage' });
      await writeFile(stop, '');
      const done = await client.untilPhase(ns, 'long', ['Succeeded', 'Failed'], 30_000);
      assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
      assert.equal(done.status?.steps?.[0]?.exitCode, 0);

      const total = printed();
      const lines = numberedLines((await client.log(ns, 'long')).body);
      assert.deepEqual(lines, Array.from({ length: total }, (_, i) => i + 1), 'every line the step printed, in order');
      await waitFor(() => follower.ended(), { timeoutMs: 10_000, message: 'the log follow to end with the run' });
      assert.deepEqual(numberedLines(follower.text()), lines, 'the follower held open through the outage got the whole log');
      for (const k of kept) {
        assert.deepEqual(await client.get(ns, k.run?.metadata.name ?? ''), k.run, 'a run acknowledged before the outage');
        assert.equal((await client.log(ns, k.run?.metadata.name ?? '')).body, k.log);
      }
      assert.equal(await client.get(ns, 'deleted'), undefined, 'a deletion acknowledged before the outage');
      assert.equal(await client.get(ns, 'during'), undefined, 'a creation refused with 503 did not happen');

      // The informer holds exactly what a fresh list holds; the watch saw every change in order.
      const fresh = await listRuns();
      await waitFor(() => versions(informer.list(ns)).join() === versions(fresh.items).join(), {
        timeoutMs: 10_000, message: `the informer to hold ${versions(fresh.items).join()} (has ${versions(informer.list(ns)).join()})`,
      });
      assert.deepEqual(informerErrors, [], 'the informer\'s watch stayed open through the outage');
      const keys = new ResourceKeys(DEFAULT_PREFIX, RUN_QUEUE);
      const reader = new Redis(redis.url);
      try {
        const stream = (await reader.xrange(keys.changes, `${BigInt(from) + 1n}-0`, '+'))
          .filter(([, f]) => f[f.indexOf('k') + 1]?.startsWith(`${ns}/`))
          .map(([id, f]) => ({ type: f[f.indexOf('t') + 1] ?? '', rv: id.split('-')[0] ?? '' }));
        assert.ok(stream.length >= 4, `the run's changes are in the stream (${stream.length})`);
        await waitFor(() => events.length >= stream.length, { timeoutMs: 10_000, message: `the watch to see ${stream.length} changes (has ${events.length})` });
        assert.deepEqual(events, stream, 'the watch delivered every change in Redis, once, in order');
      } finally {
        reader.disconnect();
      }
      assert.equal(watchEnded, 'open', 'the watch stayed open');
      assert.match(worker.output(), /"level":40,.*"msg":"cannot write the step log: Redis is unavailable/, 'the worker said so, at warn');
      assert.match(api.output(), /"level":40,.*"msg":"the change feed lost Redis/, 'the apiserver said so, at warn');
      watch.abort();
      await informer.stop();
    });
  });
}

describe('Redis restarted with less than it had acknowledged (an older AOF)', { timeout: 120_000 }, () => {
  let redis: RestartableRedis;
  let dir: string;
  let api: ApiServerProcess;
  let worker: Component;
  let client: RunClient;

  before(async () => {
    ({ redis, dir, api, worker, client } = await startStack('redis-rewind'));
  });
  after(async () => {
    await stopStack({ redis, dir, api, worker, client });
  });

  it('ends open watches with 410 Expired, so that an informer relists to exactly what Redis holds; versions never go back', async () => {
    const ns = 'rewind';
    await client.create(ns, { name: 'old' }, { steps: [{ name: 'main', run: 'echo old' }] });
    await client.untilPhase(ns, 'old', ['Succeeded']);
    const snapshot = await redis.snapshot();

    const kc = kubeConfigFor(api.target);
    const listRuns = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      const l = await client.list(ns);
      return { apiVersion: 'kubeactions.dev/v1alpha1', kind: 'WorkflowRunList', metadata: { resourceVersion: l.resourceVersion }, items: l.items as KubernetesObject[] };
    };
    const informer = makeInformer<KubernetesObject>(kc, runsPath(ns), listRuns) as Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
    await informer.start();
    const events: { type: string; code?: number; reason?: string }[] = [];
    let watchEnded = false;
    await new Watch(kc).watch(runsPath(ns), { resourceVersion: (await client.list(ns)).resourceVersion },
      (type, obj: { code?: number; reason?: string }) => events.push({ type, code: obj.code, reason: obj.reason }), () => (watchEnded = true));

    // Acknowledged, then lost: Redis comes back from the snapshot taken before them.
    await client.create(ns, { name: 'lost' }, { steps: [{ name: 'main', run: 'echo lost' }] });
    await client.untilPhase(ns, 'lost', ['Succeeded']);
    await client.delete(ns, 'old');
    await waitFor(() => versions(informer.list(ns)).length === 1 && informer.get('lost', ns) !== undefined, {
      timeoutMs: 10_000, message: 'the informer to see lost and not old',
    });
    const seenRv = BigInt((await client.list(ns)).resourceVersion);
    await redis.stop('SIGTERM');
    await redis.restore(snapshot);
    await redis.restart();

    await waitFor(() => watchEnded, { timeoutMs: 20_000, message: 'the watch to end after Redis came back with an older history' });
    const last = events.at(-1);
    assert.deepEqual(last, { type: 'ERROR', code: 410, reason: 'Expired' }, JSON.stringify(events));
    const fresh = await listRuns();
    assert.deepEqual(fresh.items.map((r) => r.metadata?.name), ['old'], 'Redis holds what its AOF held');
    await waitFor(() => versions(informer.list(ns)).join() === versions(fresh.items).join(), {
      timeoutMs: 15_000, message: `the informer to relist to ${versions(fresh.items).join()} (has ${versions(informer.list(ns)).join()})`,
    });
    const created = await client.create(ns, { name: 'new' }, { steps: [{ name: 'main', run: 'echo new' }] });
    assert.ok(BigInt(created.metadata.resourceVersion) > seenRv, `a new version (${created.metadata.resourceVersion}) is above every one handed out before (${seenRv})`);
    await waitFor(() => informer.get('new', ns) !== undefined, { timeoutMs: 10_000, message: 'the informer to watch again after its relist' });
    await informer.stop();
  });
});
