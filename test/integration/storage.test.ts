// The storage contract against the Redis-backed WorkflowRun storage on a real redis-server.
import { after, before } from 'node:test';
import { WorkflowRunStorage } from '../../src/registry/workflowruns/storage.js';
import { connectTestRedis, startTestRedis, type TestRedis } from '../helpers/redis.js';
import { runStorageContract } from '../helpers/storage-contract.js';

let redis: TestRedis;
let n = 0;
before(async () => {
  redis = await startTestRedis();
});
after(async () => {
  await redis?.stop();
});

runStorageContract('redis', async () => {
  const client = connectTestRedis(redis.url);
  const storage = new WorkflowRunStorage({ redis: client, prefix: `{t${++n}}`, changeHistory: 1000 });
  await storage.start();
  return {
    storage: storage.runs,
    newObject: (name, labels) => ({
      apiVersion: 'kubeactions.dev/v1alpha1',
      kind: 'WorkflowRun',
      metadata: { ...(name ? { name } : { generateName: 'gen-' }), ...(labels ? { labels } : {}) },
      spec: { steps: [{ name: 'main', run: 'true' }] },
    }),
    trimHistory: async () => {
      await client.xtrim(storage.store.keys.changes, 'MAXLEN', 0);
      await storage.runs.create({ user: { name: 't', groups: [] }, namespace: 'trim', signal: new AbortController().signal, warnings: [], dryRun: false }, {
        apiVersion: 'kubeactions.dev/v1alpha1', kind: 'WorkflowRun', metadata: { name: 'after-trim' }, spec: { steps: [{ name: 'main', run: 'true' }] },
      });
    },
    close: async () => {
      await storage.close();
      client.disconnect();
    },
  };
});
