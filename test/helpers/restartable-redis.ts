// A redis-server with AOF on that a test can take away (SIGKILL or a graceful SIGTERM) and bring
// back on the same port with the same data directory, as an operator restarting Redis would.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type RedisChild, startRedisServer } from '../../src/cli/redis-child.js';
import { testRedisCredentials } from './redis.js';

/** How Redis goes away: SIGKILL (a crash) or SIGTERM (a graceful SHUTDOWN that fsyncs the AOF). */
export type RedisFault = 'SIGKILL' | 'SIGTERM';

export interface RestartableRedis {
  /** Carries the credentials (./redis.ts testRedisCredentials), the same after every restart. */
  readonly url: string;
  readonly port: number;
  /** The data directory (AOF under `appendonlydir/`). */
  readonly dir: string;
  /** Stops the server the given way and waits until it has exited. */
  stop(fault: RedisFault): Promise<void>;
  /** Starts it again on the same port with the same data directory. */
  restart(): Promise<void>;
  /** Copies the data directory as it is now (for putting an older state back later). */
  snapshot(): Promise<string>;
  /** While stopped: replaces the data directory with a snapshot. */
  restore(snapshot: string): Promise<void>;
  /** Stops the server and removes the directories. */
  close(): Promise<void>;
}

/**
 * Starts redis-server with AOF and `appendfsync always`: every acknowledged write is on disk, so
 * that even a SIGKILL loses nothing that was acknowledged.
 */
export async function startRestartableRedis(): Promise<RestartableRedis> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-redis-restart-'));
  const dir = path.join(base, 'data');
  const auth = testRedisCredentials();
  const start = (port?: number): Promise<RedisChild> =>
    startRedisServer({ dir, appendOnly: true, auth, extraArgs: ['--appendfsync', 'always'], ...(port ? { port } : {}) });
  let child: RedisChild | undefined = await start();
  const { port, url } = child;
  let snapshots = 0;
  return {
    url,
    port,
    dir,
    stop: async (fault) => {
      const c = child;
      child = undefined;
      if (!c) return;
      if (fault === 'SIGKILL') process.kill(c.pid, 'SIGKILL');
      await c.stop();
    },
    restart: async () => {
      if (child) throw new Error('redis-server is running');
      child = await start(port);
    },
    snapshot: async () => {
      const to = path.join(base, `snapshot-${++snapshots}`);
      await cp(dir, to, { recursive: true });
      return to;
    },
    restore: async (snapshot) => {
      if (child) throw new Error('redis-server is running');
      await rm(dir, { recursive: true, force: true });
      await cp(snapshot, dir, { recursive: true });
    },
    close: async () => {
      await child?.stop();
      child = undefined;
      await rm(base, { recursive: true, force: true });
    },
  };
}
