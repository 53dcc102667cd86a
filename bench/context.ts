// The shared environment of a bench run: one private redis-server, one serving certificate,
// one token, a temporary directory; children and HTTP targets built on them.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ensureServingCertificate } from '../src/cli/certs.js';
import { generateToken } from '../src/cli/kubeconfig.js';
import { startRedisServer, type RedisChild } from '../src/cli/redis-child.js';
import { BenchChild } from './child-process.js';
import { type HttpTarget, keepAliveAgent } from './http.js';
import type { Sizes } from './options.js';
import type { Row } from './report.js';

/** Key prefix of our server's data (the CLI's default). */
export const PREFIX = '{ka}';

/** What every scenario uses; created once per bench run, closed at its end. */
export class BenchContext {
  /** Structured results beyond the rows, by scenario name, written into the JSON document as `details`. */
  readonly details: Record<string, unknown> = {};

  private constructor(
    readonly sizes: Sizes,
    readonly dir: string,
    readonly redisChild: RedisChild,
    readonly redis: Redis,
    readonly tls: { cert: string; key: string; ca: string },
    readonly token: string,
    readonly childNodeArgs: string[],
  ) {}

  /**
   * Starts Redis (AOF if asked) and creates the certificate in a fresh temporary directory;
   * with `profileDir`, children write CPU profiles there.
   */
  static async create(sizes: Sizes, aof: boolean, profileDir?: string): Promise<BenchContext> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-bench-'));
    try {
      // Step uids pass through it to their workspaces.
      await chmod(dir, 0o711);
      const redisChild = await startRedisServer({ dir: path.join(dir, 'redis'), appendOnly: aof });
      const redis = new Redis(redisChild.url);
      const tls = await ensureServingCertificate({ certDir: path.join(dir, 'certs'), hostnames: ['localhost'], ips: ['127.0.0.1'] });
      const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`];
      return new BenchContext(sizes, dir, redisChild, redis, tls, generateToken(), nodeArgs);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The Redis server's version, for the record. */
  async redisVersion(): Promise<string> {
    const info = await this.redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  }

  /** Empties Redis (between scenarios; no server may be running on it). */
  async flush(): Promise<void> {
    await this.redis.flushall();
  }

  /** Runs `fn` with a fresh child process, which is stopped afterwards whatever happens. */
  async withChild<T>(fn: (child: BenchChild) => Promise<T>): Promise<T> {
    const child = BenchChild.start({
      redisUrl: this.redisChild.url, prefix: PREFIX, cert: this.tls.cert, key: this.tls.key, token: this.token,
      workspaceDir: path.join(this.dir, 'workspaces'),
    }, this.childNodeArgs);
    try {
      return await fn(child);
    } finally {
      await child.stop();
    }
  }

  /** An HTTP target on `port` with its own keep-alive agent; `token` false for the raw servers. */
  target(port: number, maxSockets: number, withToken = true): HttpTarget {
    return { port, agent: keepAliveAgent(this.tls.ca, maxSockets), ...(withToken ? { token: this.token } : {}) };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.redisChild.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A scenario: measures ours next to the raw stack and returns the rows. */
export interface Scenario {
  name: string;
  /** Its targets are pass/fail: a row that misses its target makes the bench exit non-zero. */
  strict?: boolean;
  run(ctx: BenchContext): Promise<Row[]>;
}
