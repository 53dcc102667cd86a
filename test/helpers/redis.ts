import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { startRedisServer, type RedisChild, type RedisCredentials } from '../../src/cli/redis-child.js';
import { parseRedisUrl } from '../../src/cli/redis-connection.js';
import type { RedisClient } from '../../src/queue/redis-client.js';
import { startTestRedisCluster } from './redis-cluster.js';

/** A test Redis, its temporary data directory, and the pids of all its server processes. */
export type TestRedis = RedisChild & { dir: string; pids: number[] };

/** True when the tests run against a Redis Cluster (env `KA_TEST_REDIS=cluster`, `npm run test:cluster`). */
export const testingCluster = process.env['KA_TEST_REDIS'] === 'cluster';

/**
 * Credentials for a test Redis: the user `kube-actions` with a fresh random password, as dev mode
 * has (src/cli/commands.ts). A test passes the URL that carries them only in-process or through
 * env REDIS_URL, never in a command line.
 */
export function testRedisCredentials(): RedisCredentials {
  return { username: 'kube-actions', password: randomBytes(16).toString('base64url') };
}

/**
 * Starts a private `redis-server` on a free port with its data in a fresh temporary directory
 * (`<tmpdir>/kube-actions-redis-*`), requiring {@link testRedisCredentials} (`url` carries
 * them). AOF is off unless `appendOnly` is set, for speed. `stop()`
 * stops the server and removes the directory. With env `KA_TEST_REDIS=cluster` it starts a
 * three-master Redis Cluster instead (test/helpers/redis-cluster.ts): `url` is then a
 * `redis+cluster://` URL, and `port` and `pid` are its first node's.
 */
export async function startTestRedis(opts: { appendOnly?: boolean } = {}): Promise<TestRedis> {
  if (testingCluster) return startTestRedisCluster(opts);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-redis-'));
  let child: RedisChild;
  try {
    child = await startRedisServer({ dir, appendOnly: opts.appendOnly ?? false, auth: testRedisCredentials() });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...child,
    dir,
    pids: [child.pid],
    stop: async () => {
      await child.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A test's own client of a test Redis, from its URL: a `redis+cluster://` URL gives a Cluster
 * client. `options` apply to the connection to every node, with the URL's credentials.
 */
export function connectTestRedis(url: string, options: RedisOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  if (target.kind === 'cluster') {
    return new Cluster(target.nodes, { redisOptions: { ...options, username: target.username, password: target.password } });
  }
  if (target.kind === 'server') return new Redis(url, options);
  throw new Error(`connectTestRedis: tests start no Sentinel (${url})`);
}

/**
 * Skips the rest of a test that cannot apply to a Redis Cluster, saying why; does nothing
 * against one server. Returns true when it skipped, so that the test returns at once.
 */
export function clusterUnsupported(t: TestContext, why: string): boolean {
  if (!testingCluster) return false;
  t.skip(`not applicable to Redis Cluster: ${why}`);
  return true;
}

/**
 * The first reply line of the Redis on 127.0.0.1:`port` to `command` (inline, e.g. `PING\r\n`)
 * sent on a fresh connection that has not authenticated.
 */
export function redisReply(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(command));
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.slice(0, reply.indexOf('\r\n')));
      }
    });
    socket.once('error', reject);
  });
}
