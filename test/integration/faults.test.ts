// Faults with separate processes: a redis-server, an apiserver and workers, any of which is
// SIGKILLed at a bad moment. A lost worker's run is retried or fails WorkerLost; a creation
// killed mid-way leaves either both the run record and its BullMQ job, or neither.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { type ApiServerProcess, type Component, startApiServerProcess, startWorkerProcess } from '../helpers/components.js';
import { killMatching, processesMatching, uniqueSleep } from '../helpers/procs.js';
import { masterNodes, type RedisClient } from '../../src/queue/redis-client.js';
import { type TestRedis, connectTestRedis, startTestRedis } from '../helpers/redis.js';
import { RunClient, succeededReason } from '../helpers/runs.js';
import { waitFor } from '../helpers/wait.js';

const CREATE_LOOP = fileURLToPath(new URL('../fixtures/create-runs-loop.js', import.meta.url));
const FINISHED = ['Succeeded', 'Failed', 'Cancelled'];

describe('a worker killed with SIGKILL while a step runs', { timeout: 90_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  let api: ApiServerProcess;
  let client: RunClient;
  const workers: Component[] = [];
  const markers = [uniqueSleep(), uniqueSleep()];

  before(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'kube-actions-faults-'));
    api = await startApiServerProcess({ redisUrl: redis.url, dir: join(dir, 'api') });
    client = new RunClient(api.target);
  });
  after(async () => {
    for (const m of markers) killMatching(m);
    client?.close();
    for (const w of workers) await w.stop();
    await api?.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('its runs are retried by another worker (retry.limit 1) or fail WorkerLost (no retries); nothing stays Running', async () => {
    const [retried, lost] = markers as [string, string];
    const ns = 'faults';
    workers.push(await startWorkerProcess({ redisUrl: redis.url, workspaceDir: join(dir, 'ws-1') }));
    await client.create(ns, { name: 'retried' }, {
      retry: { limit: 1, backoffSeconds: 0 },
      steps: [{ name: 'main', run: `if [ "$KUBEACTIONS_ATTEMPT" = 1 ]; then sleep ${retried}; fi; echo "attempt $KUBEACTIONS_ATTEMPT done"` }],
    });
    await client.create(ns, { name: 'lost' }, { steps: [{ name: 'main', run: `sleep ${lost}` }] });
    await waitFor(() => processesMatching(retried).length > 0 && processesMatching(lost).length > 0, {
      timeoutMs: 15_000, message: 'both runs\' steps to run',
    });
    const firstWorker = (await client.get(ns, 'retried'))?.status?.workerId;
    assert.equal((await client.get(ns, 'lost'))?.status?.phase, 'Running');

    await workers[0]?.kill9();
    const killedAt = Date.now();
    // Its watchdog SIGKILLs the step processes the dead worker left in their own process groups.
    await waitFor(() => processesMatching(retried).length === 0 && processesMatching(lost).length === 0, {
      timeoutMs: 5_000, message: 'the killed worker\'s step processes to be gone',
    });
    workers.push(await startWorkerProcess({ redisUrl: redis.url, workspaceDir: join(dir, 'ws-2') }));

    const done = await client.untilPhase(ns, 'retried', FINISHED, 30_000);
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
    assert.equal(done.status?.attempt, 2);
    assert.notEqual(done.status?.workerId, firstWorker, 'another worker ran attempt 2');
    assert.match((await client.log(ns, 'retried')).body, /^attempt 2 done$/m, 'the log of the current attempt');
    const failed = await client.untilPhase(ns, 'lost', FINISHED, 30_000);
    assert.equal(failed.status?.phase, 'Failed', JSON.stringify(failed.status));
    assert.equal(succeededReason(failed), 'WorkerLost');
    assert.ok(Date.now() - killedAt < 30_000);

    const { items } = await client.list(ns);
    assert.deepEqual(items.map((r) => [r.metadata.name, r.status?.phase]), [['lost', 'Failed'], ['retried', 'Succeeded']]);
  });
});

describe('creating runs in a process that is SIGKILLed at random moments', { timeout: 90_000 }, () => {
  let redis: TestRedis;
  let conn: RedisClient;
  let queue: Queue;

  before(async () => {
    redis = await startTestRedis();
    conn = connectTestRedis(redis.url, { maxRetriesPerRequest: null });
    queue = new Queue('workflowruns', { connection: conn, prefix: '{ka}' });
  });
  after(async () => {
    await queue?.close();
    conn?.disconnect();
    await redis?.stop();
  });

  /** uids of the run records, and the ids of the runs' BullMQ jobs, each sorted. */
  async function recordsAndJobs(): Promise<{ uids: string[]; jobs: string[]; indexed: string[]; members: string[] }> {
    const prefix = '{ka}:r:workflowruns:obj:';
    const keys: string[] = [];
    for (const node of await masterNodes(conn)) {
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
    }
    const uids: string[] = [];
    for (const key of keys) {
      const json = await conn.hget(key, 'j');
      uids.push((JSON.parse(json ?? '{}') as { metadata?: { uid?: string } }).metadata?.uid ?? `no uid in ${key}`);
    }
    const jobs = await queue.getJobs(['wait', 'delayed', 'active', 'prioritized', 'waiting-children']);
    return {
      uids: uids.sort(),
      jobs: jobs.map((j) => j.id ?? '').sort(),
      indexed: (await conn.zrange('{ka}:r:workflowruns:idx', '0', '-1')).sort(),
      members: keys.map((k) => k.slice(prefix.length)).sort(),
    };
  }

  it('leaves every run with its job and every job with its run', async () => {
    let last = 0;
    for (let round = 0; round < 8; round++) {
      const child = spawn(process.execPath, [CREATE_LOOP, `atomic-${round}`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDIS_URL: redis.url } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      await waitFor(() => out.includes('created 1') || child.exitCode !== null, { timeoutMs: 20_000, message: 'the creator to start creating' });
      assert.equal(child.exitCode, null, `the creator died on its own:\n${out}`);
      await sleep(20 + Math.floor(Math.random() * 400)); // a random moment mid-stream
      child.kill('SIGKILL');
      await exited;

      const state = await recordsAndJobs();
      assert.ok(state.uids.length > last, `round ${round} created runs (${state.uids.length} in all)`);
      last = state.uids.length;
      assert.deepEqual(state.jobs, state.uids, `round ${round}: the job ids are exactly the run uids`);
      assert.deepEqual(state.indexed, state.members, `round ${round}: the name index lists exactly the records`);
    }
  });
});
