import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startRedisServer, type RedisChild } from '../../src/cli/redis-child.js';

/** A test Redis and its temporary data directory. */
export type TestRedis = RedisChild & { dir: string };

/**
 * Starts a private `redis-server` on a free port with its data in a fresh temporary directory
 * (`<tmpdir>/kube-actions-redis-*`). AOF is off unless `appendOnly` is set, for speed. `stop()`
 * stops the server and removes the directory.
 */
export async function startTestRedis(opts: { appendOnly?: boolean } = {}): Promise<TestRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-redis-'));
  let child: RedisChild;
  try {
    child = await startRedisServer({ dir, appendOnly: opts.appendOnly ?? false });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...child,
    dir,
    stop: async () => {
      await child.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
