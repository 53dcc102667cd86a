// What /metrics reads from Redis, on a real redis-server: WorkflowRuns per phase kept from the
// change feed (and counted again after a missed change), and the workers' slot reports.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { workflowRunFields } from '../../src/apis/kubeactions/fields.js';
import { expiresAt, finish, isActive, startAttempt } from '../../src/apis/kubeactions/status.js';
import type { WorkflowRun } from '../../src/apis/kubeactions/types.js';
import { Records } from '../../src/queue/records.js';
import type { RedisClient } from '../../src/queue/redis-client.js';
import { WorkerRegistry } from '../../src/queue/worker-registry.js';
import { PhaseCounts } from '../../src/registry/workflowruns/phase-counts.js';
import { WorkflowRunStorage } from '../../src/registry/workflowruns/storage.js';
import { startHeartbeat } from '../../src/worker/heartbeat.js';
import { connectTestRedis, startTestRedis, type TestRedis } from '../helpers/redis.js';
import { ctx } from '../helpers/storage-contract.js';
import { waitFor } from '../helpers/wait.js';

let redis: TestRedis;
let client: RedisClient;
let n = 0;
before(async () => {
  redis = await startTestRedis();
  client = connectTestRedis(redis.url);
});
after(async () => {
  client?.disconnect();
  await redis?.stop();
});

describe('PhaseCounts', () => {
  let storage: WorkflowRunStorage;
  let records: Records<WorkflowRun>;
  let phases: PhaseCounts;
  const run = (name: string) => ({ apiVersion: 'kubeactions.dev/v1alpha1', kind: 'WorkflowRun', metadata: { name }, spec: { steps: [{ name: 'main', run: 'true' }] } });
  const create = (name: string) => storage.runs.create(ctx('ns'), run(name));
  const counts = async (): Promise<Record<string, number>> => Object.fromEntries(await phases.counts());
  const untilCounts = async (want: Record<string, number>): Promise<void> => {
    let last: Record<string, number> = {};
    await waitFor(async () => {
      last = await counts();
      return Object.entries(want).every(([p, v]) => last[p] === v);
    }, { timeoutMs: 5000, message: `counts ${JSON.stringify(want)} (last: ${JSON.stringify(last)})` });
  };

  before(async () => {
    storage = new WorkflowRunStorage({ redis: client, prefix: `{pc${++n}}`, changeHistory: 1000 });
    await storage.start();
    records = new Records<WorkflowRun>(storage.store, { labels: (r) => r.metadata.labels, fields: workflowRunFields, active: isActive, expiresAt });
    phases = new PhaseCounts(storage.store, storage.feed);
  });
  after(async () => {
    phases?.close();
    await storage?.close();
  });

  it('counts the runs that exist, then follows creates, phase changes and deletes', async () => {
    await create('a');
    await create('b');
    assert.deepEqual(await counts(), { Pending: 2, Running: 0, Succeeded: 0, Failed: 0, Cancelled: 0 });
    await create('c');
    await records.mutate('ns/a', (r) => (startAttempt(r, 1, 'w', Date.now()), true));
    await untilCounts({ Pending: 2, Running: 1 });
    await records.mutate('ns/a', (r) => (finish(r, 'Failed', 'StepFailed', 'exit 1', Date.now()), true));
    await records.mutate('ns/b', (r) => (finish(r, 'Cancelled', 'Cancelled', 'stop', Date.now()), true));
    await untilCounts({ Pending: 1, Running: 0, Failed: 1, Cancelled: 1 });
    assert.equal(await records.remove('ns/a'), true);
    await untilCounts({ Pending: 1, Running: 0, Failed: 0, Cancelled: 1 });
  });

  it('counts again after a change it did not see', async () => {
    await create('e');
    await untilCounts({ Pending: 2 });
    const before = await counts();
    // A change whose event never reached the feed (as if trimmed away): the record and the
    // resourceVersion move, the change stream does not.
    const key = storage.store.keys.object('ns/e');
    const obj = JSON.parse((await client.hget(key, 'j')) ?? '{}') as WorkflowRun;
    finish(obj, 'Failed', 'StepFailed', 'exit 1', Date.now());
    await client.hset(key, 'j', JSON.stringify(obj));
    await client.incr(storage.store.keys.resourceVersion);
    assert.deepEqual(await counts(), before, 'unseen until the next change');
    await create('f');
    await untilCounts({ Pending: before.Pending ?? 0, Failed: (before.Failed ?? 0) + 1 });
  });
});

describe('WorkerRegistry and the heartbeat', () => {
  it('lists the workers that reported lately and drops the silent ones', async () => {
    const workers = new WorkerRegistry(client, `{wr${++n}}`);
    const now = Date.now();
    await workers.report('w-old', 4, 1, now - 60_000);
    await workers.report('w-b', 10, 3, now);
    await workers.report('w-a', 2, 0, now);
    assert.deepEqual(await workers.list(10_000, now), [
      { id: 'w-a', slots: 2, busy: 0, at: now },
      { id: 'w-b', slots: 10, busy: 3, at: now },
    ]);
    assert.equal(await client.hexists(workers.key, 'w-old'), 0, 'a stale report is deleted');
    await workers.remove('w-b');
    assert.deepEqual((await workers.list(10_000, now)).map((w) => w.id), ['w-a']);
  });

  it('reports a worker at start, as its busy slots change, and forgets it when stopped', async () => {
    const workers = new WorkerRegistry(client, `{hb${++n}}`);
    const worker = { id: 'worker-1', opts: { concurrency: 5 }, busySlots: 0 };
    const beat = await startHeartbeat(workers, worker, 50);
    assert.deepEqual((await workers.list(10_000)).map((w) => [w.id, w.slots, w.busy]), [['worker-1', 5, 0]]);
    worker.busySlots = 2;
    await waitFor(async () => (await workers.list(10_000))[0]?.busy === 2, { timeoutMs: 2000, message: 'the busy slots to be reported' });
    await beat.stop();
    assert.deepEqual(await workers.list(10_000), []);
  });
});
