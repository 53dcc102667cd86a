// Redis beyond one server, for tests. A private Redis Cluster: three masters (no replicas), each a
// `redis-server` child in cluster mode with its own directory and nodes.conf, joined with CLUSTER
// ADDSLOTSRANGE and CLUSTER MEET over ioredis (no redis-cli). A private Sentinel setup: one
// master and one Sentinel (`redis-server --sentinel`) that names it. Every server, Sentinel
// included, requires the same test credentials (./redis.ts testRedisCredentials), which the
// URLs carry.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pickFreePort, type RedisChild, type RedisCredentials, startRedisServer } from '../../src/cli/redis-child.js';
import { testRedisCredentials } from './redis.js';
import { waitFor } from './wait.js';

const SLOTS = 16384;
const MASTERS = 3;
const START_ATTEMPTS = 3;

/** A running test cluster; `port` and `pid` are its first node's. */
export interface TestRedisCluster extends RedisChild {
  /** `redis+cluster://<username>:<password>@127.0.0.1:<port>,…` (see src/cli/redis-connection.ts). */
  url: string;
  dir: string;
  nodes: RedisChild[];
  /** Every node's pid. */
  pids: number[];
}

/**
 * Starts three cluster-mode `redis-server`s on free ports in a fresh temporary directory
 * (`<tmpdir>/kube-actions-redis-cluster-*`), gives each a third of the 16384 slots, joins them,
 * and resolves once every node reports `cluster_state:ok` with all slots assigned and every
 * node known. AOF is off unless `appendOnly` is set. `stop()` stops the nodes and removes the
 * directory.
 */
export async function startTestRedisCluster(opts: { appendOnly?: boolean } = {}): Promise<TestRedisCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-redis-cluster-'));
  const auth = testRedisCredentials();
  const nodes: RedisChild[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < MASTERS; i++) nodes.push(await startNode(path.join(dir, `node-${i}`), opts.appendOnly ?? false, auth));
    await formCluster(nodes);
  } catch (err) {
    await stopAll();
    throw err;
  }
  const [first] = nodes as [RedisChild];
  return {
    url: `redis+cluster://${userinfo(auth)}${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    port: first.port,
    pid: first.pid,
    pids: nodes.map((n) => n.pid),
    dir,
    nodes,
    stop: stopAll,
  };
}

/** A master and the Sentinel that names it; `port` and `pid` are the master's. */
export interface TestRedisSentinel extends RedisChild {
  /**
   * `redis+sentinel://<username>:<password>@127.0.0.1:<sentinel port>/<master name>?sentinelUsername=…&sentinelPassword=…`
   * (the Sentinel has the same user as the master).
   */
  url: string;
  dir: string;
  master: RedisChild;
  sentinel: RedisChild;
}

/**
 * Starts a master (no AOF) and one Sentinel monitoring it as `masterName` (quorum 1), each on a
 * free port, in a fresh temporary directory; resolves once the Sentinel names the master.
 * `stop()` stops both and removes the directory.
 */
export async function startTestRedisSentinel(masterName = 'kube-actions'): Promise<TestRedisSentinel> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-redis-sentinel-'));
  const auth = testRedisCredentials();
  const started: RedisChild[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((n) => n.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const master = await startRedisServer({ dir: path.join(dir, 'master'), appendOnly: false, auth });
    started.push(master);
    const configFile = path.join(dir, 'sentinel', 'sentinel.conf');
    await mkdir(path.dirname(configFile), { recursive: true, mode: 0o700 });
    await writeFile(configFile, [
      `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`,
      `sentinel auth-user ${masterName} ${auth.username}`,
      `sentinel auth-pass ${masterName} ${auth.password}`,
    ].join('\n') + '\n', { mode: 0o600 });
    const sentinel = await startRedisServer({ dir: path.dirname(configFile), appendOnly: false, configFile, extraArgs: ['--sentinel'], auth });
    started.push(sentinel);
    const client = new Redis(sentinel.url, { maxRetriesPerRequest: 1 });
    try {
      await waitFor(async () => {
        const addr = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as string[] | null;
        return addr?.[1] === String(master.port);
      }, { timeoutMs: 10_000, message: `the Sentinel to name ${masterName}` });
    } finally {
      client.disconnect();
    }
    const sentinelAuth = new URLSearchParams({ sentinelUsername: auth.username, sentinelPassword: auth.password });
    const url = `redis+sentinel://${userinfo(auth)}127.0.0.1:${sentinel.port}/${masterName}?${sentinelAuth.toString()}`;
    return { url, port: master.port, pid: master.pid, dir, master, sentinel, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function userinfo(auth: RedisCredentials): string {
  return `${encodeURIComponent(auth.username)}:${encodeURIComponent(auth.password)}@`;
}

/** One cluster-mode node; its bus port is another free port (port + 10000 may not exist). */
async function startNode(dir: string, appendOnly: boolean, auth: RedisCredentials): Promise<RedisChild> {
  await mkdir(dir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const busPort = await pickFreePort();
    try {
      return await startRedisServer({
        dir, appendOnly, auth,
        extraArgs: [
          '--cluster-enabled', 'yes',
          '--cluster-config-file', 'nodes.conf',
          '--cluster-port', String(busPort),
          '--cluster-announce-ip', '127.0.0.1',
          '--cluster-node-timeout', '5000',
        ],
      });
    } catch (err) {
      if (attempt >= START_ATTEMPTS) throw err;
    }
  }
}

async function formCluster(nodes: RedisChild[]): Promise<void> {
  const clients = nodes.map((n) => new Redis(n.url, { lazyConnect: true, maxRetriesPerRequest: 1 }));
  try {
    for (const [i, client] of clients.entries()) {
      const from = Math.floor((SLOTS * i) / nodes.length);
      const to = Math.floor((SLOTS * (i + 1)) / nodes.length) - 1;
      await client.call('CLUSTER', 'ADDSLOTSRANGE', from, to);
    }
    const [first] = clients as [Redis];
    for (const client of clients.slice(1)) {
      const busPort = Number(await client.config('GET', 'cluster-port').then((r) => (r as string[])[1]));
      await first.call('CLUSTER', 'MEET', '127.0.0.1', client.options.port ?? 0, busPort);
    }
    await waitFor(async () => (await Promise.all(clients.map((c) => clusterReady(c, nodes.length)))).every(Boolean), {
      timeoutMs: 20_000, message: 'the Redis Cluster to be formed (cluster_state:ok on every node)',
    });
  } finally {
    for (const client of clients) client.disconnect();
  }
}

async function clusterReady(client: Redis, nodeCount: number): Promise<boolean> {
  const info = String(await client.call('CLUSTER', 'INFO'));
  const field = (name: string): string | undefined => new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1];
  return field('cluster_state') === 'ok' && field('cluster_slots_assigned') === String(SLOTS)
    && field('cluster_slots_ok') === String(SLOTS) && field('cluster_known_nodes') === String(nodeCount);
}

