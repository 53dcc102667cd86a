// Starting and stopping the parts a command runs: the apiserver, the worker, Redis clients.
import type https from 'node:https';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { TokenAuthenticator } from '../apiserver/auth/authn.js';
import { GroupAuthorizer } from '../apiserver/auth/authz.js';
import { buildApp, listen } from '../apiserver/server.js';
import type { UserInfo } from '../apiserver/types.js';
import { WorkflowRunStorage } from '../registry/workflowruns/storage.js';
import { RunWorker } from '../worker/run-worker.js';
import { VERSION_INFO } from './version.js';

export interface RedisSettings {
  url: string;
  prefix: string;
  changeHistory: number;
}

/**
 * The shared connection of a process. Auto-pipelining sends the commands of concurrent
 * requests in one write; blocking readers use duplicates without it.
 */
export function connectRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
  redis.on('error', () => undefined);
  return redis;
}

export interface ApiServerSettings {
  port: number;
  host: string;
  cert: string;
  key: string;
  tokens: ReadonlyMap<string, UserInfo>;
  bookmarkIntervalMs: number;
  minRequestTimeoutSeconds: number;
}

export interface Running {
  stop(): Promise<void>;
}

export async function startApiServer(
  redisSettings: RedisSettings,
  s: ApiServerSettings,
  logger: Logger,
): Promise<Running & { server: https.Server; storage: WorkflowRunStorage }> {
  const redis = connectRedis(redisSettings.url);
  const storage = new WorkflowRunStorage({ redis, prefix: redisSettings.prefix, changeHistory: redisSettings.changeHistory });
  await storage.start();
  const app = buildApp({
    resources: [storage.install],
    authenticator: new TokenAuthenticator(s.tokens),
    authorizer: new GroupAuthorizer(),
    logger,
    checks: [{ name: 'redis', on: ['readyz'], check: async () => void (await redis.ping()) }],
    watch: { bookmarkIntervalMs: s.bookmarkIntervalMs, maxBufferedBytes: 16 * 1024 * 1024, minRequestTimeoutSeconds: s.minRequestTimeoutSeconds },
    version: VERSION_INFO,
  });
  const server = await listen(app, { port: s.port, host: s.host, cert: s.cert, key: s.key });
  return {
    server,
    storage,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await storage.close();
      redis.disconnect();
    },
  };
}

export interface WorkerSettings {
  concurrency: number;
  workspaceDir: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
  killGraceMs: number;
  logLimitBytes: number;
}

export async function startWorker(redisSettings: RedisSettings, s: WorkerSettings): Promise<Running & { worker: RunWorker }> {
  const redis = connectRedis(redisSettings.url);
  const worker = new RunWorker({ redis, prefix: redisSettings.prefix, changeHistory: redisSettings.changeHistory, ...s });
  await worker.start();
  return {
    worker,
    stop: async () => {
      await worker.close();
      redis.disconnect();
    },
  };
}
