// kube-actions on a Redis Cluster of three masters (redis+cluster:// URL): runs go through, every
// key of kube-actions and BullMQ lands in the one slot of the prefix's hash tag, and a prefix
// without a hash tag is refused at start. And on a master found through Sentinel (redis+sentinel://).
import assert from 'node:assert/strict';
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { masterNodes, type RedisClient } from '../../src/queue/redis-client.js';
import { type ApiServerProcess, type Component, startApiServerProcess, startWorkerProcess } from '../helpers/components.js';
import { connectTestRedis } from '../helpers/redis.js';
import { startTestRedisCluster, startTestRedisSentinel, type TestRedisCluster, type TestRedisSentinel } from '../helpers/redis-cluster.js';
import { RunClient } from '../helpers/runs.js';

describe('kube-actions on a Redis Cluster', { timeout: 90_000 }, () => {
  let cluster: TestRedisCluster;
  let dir: string;
  let api: ApiServerProcess;
  let worker: Component;
  let client: RunClient;
  let redis: RedisClient;

  before(async () => {
    cluster = await startTestRedisCluster();
    dir = await mkdtemp(join(tmpdir(), 'kube-actions-cluster-'));
    api = await startApiServerProcess({ redisUrl: cluster.url, dir: join(dir, 'api') });
    worker = await startWorkerProcess({ redisUrl: cluster.url, workspaceDir: join(dir, 'ws') });
    client = new RunClient(api.target);
    redis = connectTestRedis(cluster.url);
  });
  after(async () => {
    client?.close();
    redis?.disconnect();
    await worker?.stop();
    await api?.stop();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a WorkflowRun, and keeps every key of it and of its BullMQ job in the slot of {ka}', async () => {
    const ns = 'cluster';
    await client.create(ns, { name: 'hello' }, {
      retry: { limit: 1, backoffSeconds: 0 },
      steps: [{ name: 'main', run: 'echo "attempt $KUBEACTIONS_ATTEMPT"; [ "$KUBEACTIONS_ATTEMPT" = 2 ]' }],
    });
    await client.create(ns, { name: 'waiting' }, { steps: [{ name: 'main', run: 'sleep 600' }] });
    const done = await client.untilPhase(ns, 'hello', ['Succeeded', 'Failed'], 30_000);
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
    assert.equal(done.status?.attempt, 2);
    assert.match((await client.log(ns, 'hello')).body, /^attempt 2$/m);
    await client.until(ns, 'waiting', (r) => r?.status?.phase === 'Running', 'the second run to hold its job');

    const byNode = new Map<string, string[]>();
    for (const node of await masterNodes(redis)) {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      if (keys.length > 0) byNode.set(`${node.options.host}:${node.options.port}`, keys);
    }
    assert.equal(byNode.size, 1, `all keys on one master: ${JSON.stringify([...byNode])}`);
    const keys = [...byNode.values()].flat();
    assert.ok(keys.some((k) => k.startsWith('{ka}:r:workflowruns:')), 'the records are there');
    assert.ok(keys.some((k) => k.startsWith('{ka}:workflowruns:')), 'BullMQ\'s keys are there');
    const slot = await redis.cluster('KEYSLOT', '{ka}');
    for (const key of keys) assert.equal(await redis.cluster('KEYSLOT', key), slot, key);
    const uid = (await client.get(ns, 'waiting'))?.metadata.uid ?? '';
    assert.ok(keys.includes(`{ka}:workflowruns:${uid}`), 'the held job is among them');
    await client.delete(ns, 'waiting');
    await client.until(ns, 'waiting', (r) => r === undefined, 'the running run to be deleted');
  });

  it('refuses at start a --redis-prefix without a hash tag', async () => {
    await assert.rejects(
      startApiServerProcess({ redisUrl: cluster.url, dir: join(dir, 'untagged'), args: ['--redis-prefix', 'ka'] }),
      (err: Error) => {
        assert.match(err.message, /exited with 1/);
        assert.match(err.message, /--redis-prefix "ka" has no hash tag: on Redis Cluster every key of kube-actions and BullMQ must be in one slot/);
        return true;
      },
    );
  });
});

describe('startTestRedisCluster', () => {
  it('forms a cluster of three masters covering every slot, with AOF when asked, and removes it all on stop', async () => {
    const cluster = await startTestRedisCluster({ appendOnly: true });
    const nodes = cluster.nodes.map((n) => new Redis(n.url));
    try {
      assert.match(cluster.url, /^redis\+cluster:\/\/kube-actions:[\w-]+@127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
      assert.deepEqual((await readdir(cluster.dir)).sort(), ['node-0', 'node-1', 'node-2']);
      for (const node of nodes) {
        assert.deepEqual(await node.config('GET', 'appendonly'), ['appendonly', 'yes']);
        assert.equal(await node.acl('WHOAMI'), 'kube-actions');
        assert.match(String(await node.call('CLUSTER', 'INFO')), /cluster_state:ok\r\ncluster_slots_assigned:16384\r\n[^]*cluster_known_nodes:3\r\ncluster_size:3\r\n/);
      }
    } finally {
      for (const node of nodes) node.disconnect();
      await cluster.stop();
    }
    for (const n of cluster.nodes) assert.throws(() => process.kill(n.pid, 0), { code: 'ESRCH' });
    await assert.rejects(access(cluster.dir), { code: 'ENOENT' });
  });
});

describe('kube-actions through Redis Sentinel', { timeout: 60_000 }, () => {
  let sentinel: TestRedisSentinel;
  let dir: string;
  let api: ApiServerProcess;
  let worker: Component;
  let client: RunClient;

  before(async () => {
    sentinel = await startTestRedisSentinel();
    dir = await mkdtemp(join(tmpdir(), 'kube-actions-sentinel-'));
    // Any prefix will do on one master.
    const args = ['--redis-prefix', 'ka-sentinel'];
    api = await startApiServerProcess({ redisUrl: sentinel.url, dir: join(dir, 'api'), args });
    worker = await startWorkerProcess({ redisUrl: sentinel.url, workspaceDir: join(dir, 'ws'), args });
    client = new RunClient(api.target);
  });
  after(async () => {
    client?.close();
    await worker?.stop();
    await api?.stop();
    await sentinel?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a WorkflowRun on the master the Sentinel names', async () => {
    await client.create('sentinel', { name: 'hello' }, { steps: [{ name: 'main', run: 'echo via sentinel' }] });
    const done = await client.untilPhase('sentinel', 'hello', ['Succeeded', 'Failed'], 30_000);
    assert.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status));
    assert.match((await client.log('sentinel', 'hello')).body, /^via sentinel$/m);
    const master = new Redis(sentinel.master.url);
    try {
      assert.equal(await master.exists(`ka-sentinel:r:workflowruns:obj:sentinel/hello`), 1, 'the record is on the master');
    } finally {
      master.disconnect();
    }
  });
});
