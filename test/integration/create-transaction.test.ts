// A run's record and its BullMQ job are written in one MULTI, also after Redis lost its
// script cache (a restart, SCRIPT FLUSH).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { masterNodes, type RedisClient } from '../../src/queue/redis-client.js';
import { WorkflowRunStorage } from '../../src/registry/workflowruns/storage.js';
import { connectTestRedis, startTestRedis, type TestRedis } from '../helpers/redis.js';
import { ctx } from '../helpers/storage-contract.js';

const run = (name: string) => ({
  apiVersion: 'kubeactions.dev/v1alpha1', kind: 'WorkflowRun', metadata: { name },
  spec: { steps: [{ name: 'main', run: 'true' }] },
});

describe('create transaction', () => {
  let redis: TestRedis;
  let client: RedisClient;
  let storage: WorkflowRunStorage;
  before(async () => {
    redis = await startTestRedis();
    client = connectTestRedis(redis.url);
    storage = new WorkflowRunStorage({ redis: client, prefix: '{tx}', changeHistory: 1000 });
    await storage.start();
  });
  after(async () => {
    await storage?.close();
    client?.disconnect();
    await redis?.stop();
  });

  async function jobIds(): Promise<string[]> {
    const jobs = await storage.queue.queue.getJobs(['wait', 'delayed', 'active', 'prioritized']);
    return jobs.map((j) => j.id ?? '').sort();
  }

  it('writes record and job together, and again after the script cache was flushed', async () => {
    const a = (await storage.runs.create(ctx(), run('a'))).object;
    for (const node of await masterNodes(client)) await node.script('FLUSH');
    const b = (await storage.runs.create(ctx(), run('b'))).object;
    assert.deepEqual(await jobIds(), [a.metadata?.uid, b.metadata?.uid].sort());
  });

  it('takes back the job when the name is taken', async () => {
    const before = await jobIds();
    await assert.rejects(storage.runs.create(ctx(), run('a')), /already exists/);
    assert.deepEqual(await jobIds(), before);
  });
});
