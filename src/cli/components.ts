// Starting and stopping the parts a command runs: the apiserver, the worker, Redis clients.
import type https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { type AuthSettings, buildDelegatedAuth, defaultAuthSettings } from '../apiserver/auth/delegating.js';
import type { LoadLimits } from '../apiserver/load-options.js';
import type { RequestLogMode } from '../apiserver/request-observer.js';
import { type CertFiles, reloadCertificates } from '../apiserver/cert-reloader.js';
import { buildApp, listen } from '../apiserver/server.js';
import { closeGracefully } from '../apiserver/shutdown.js';
import type { UserInfo } from '../apiserver/types.js';
import { ensureConnected } from '../queue/unavailable.js';
import { WorkerRegistry } from '../queue/worker-registry.js';
import { WorkflowRunStorage } from '../registry/workflowruns/storage.js';
import { startHeartbeat } from '../worker/heartbeat.js';
import { RunWorker } from '../worker/run-worker.js';
import { createSandbox, type SandboxSettings } from '../worker/sandbox.js';
import { registerKubeActionsMetrics } from './metrics.js';
import { connectRedis } from './redis-connection.js';
import { VERSION_INFO } from './version.js';

export interface RedisSettings {
  url: string;
  prefix: string;
  changeHistory: number;
}

export interface ApiServerSettings {
  port: number;
  host: string;
  cert: string;
  key: string;
  /** When given (--tls-cert-file/--tls-private-key-file), re-read as they change. */
  certFiles?: CertFiles;
  tokens: ReadonlyMap<string, UserInfo>;
  /** Certificates, kube-apiserver delegation and the policy file; default: static tokens only. */
  auth?: AuthSettings;
  bookmarkIntervalMs: number;
  minRequestTimeoutSeconds: number;
  /** --request-timeout in ms. */
  requestTimeoutMs: number;
  /** --request-log: which requests are logged at info level (default `notable`). */
  requestLog?: RequestLogMode;
  /** --max-requests-inflight and the other load-protection flags (default DEFAULT_LOAD_LIMITS). */
  limits?: LoadLimits;
  /** After SIGTERM: how long requests in flight may go on before their connections are cut. */
  shutdownGraceMs: number;
  /** After SIGTERM, before the graceful close: how long to keep serving with /readyz failing (default 0). */
  shutdownDelayMs?: number;
}

export interface Running {
  stop(): Promise<void>;
}

export async function startApiServer(
  redisSettings: RedisSettings,
  s: ApiServerSettings,
  logger: Logger,
): Promise<Running & { server: https.Server; storage: WorkflowRunStorage }> {
  const auth = await buildDelegatedAuth(s.tokens, s.auth ?? defaultAuthSettings(), logger);
  const redis = connectRedis(redisSettings.url, redisSettings.prefix);
  let stopping = false;
  const storage = new WorkflowRunStorage({ redis, prefix: redisSettings.prefix, changeHistory: redisSettings.changeHistory });
  storage.feed.onReadError = (err) => logger.warn({ err }, 'the change feed lost Redis; watches stay open and resume when it is back');
  await storage.start();
  const app = buildApp({
    resources: [storage.install],
    authenticator: auth.authenticator,
    authorizer: auth.authorizer,
    logger,
    checks: [{ name: 'redis', on: ['readyz'], check: async () => {
      ensureConnected(redis);
      await redis.ping();
    } }, { name: 'shutdown', on: ['readyz'], check: async () => {
      if (stopping) throw new Error('the server is shutting down');
    } }],
    watch: { bookmarkIntervalMs: s.bookmarkIntervalMs, maxBufferedBytes: 16 * 1024 * 1024, minRequestTimeoutSeconds: s.minRequestTimeoutSeconds },
    version: VERSION_INFO,
    requestLog: s.requestLog,
    requestTimeoutMs: s.requestTimeoutMs,
    limits: s.limits,
  });
  const ownMetrics = registerKubeActionsMetrics({ metrics: app.metrics, storage, redis, prefix: redisSettings.prefix });
  const server = await listen(app, { port: s.port, host: s.host, cert: s.cert, key: s.key });
  const stopReload = s.certFiles
    ? reloadCertificates(server, s.certFiles, 2000, (err) => logger.error({ err }, 'reloading the serving certificate failed'))
    : () => undefined;
  return {
    server,
    storage,
    stop: async () => {
      stopping = true;
      if (s.shutdownDelayMs) await sleep(s.shutdownDelayMs);
      await closeGracefully(server, app.endLongRunning, s.shutdownGraceMs);
      stopReload();
      ownMetrics.close();
      await storage.close();
      redis.disconnect();
      auth.stop();
    },
  };
}

export interface WorkerSettings {
  concurrency: number;
  workspaceDir: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
  killGraceMs: number;
  /** After SIGTERM: how long runs may go on before they are handed back. */
  shutdownGraceMs: number;
  logLimitBytes: number;
  /** Step isolation: --step-isolation and the --step-* flags. */
  isolation: SandboxSettings;
}

export async function startWorker(redisSettings: RedisSettings, s: WorkerSettings, logger: Logger): Promise<Running & { worker: RunWorker }> {
  const sandbox = await createSandbox(s.isolation, logger);
  await sandbox?.prepareRoot(s.workspaceDir);
  const redis = connectRedis(redisSettings.url, redisSettings.prefix);
  const { isolation: _isolation, ...settings } = s;
  const worker = new RunWorker({ redis, prefix: redisSettings.prefix, changeHistory: redisSettings.changeHistory, ...settings, logger, ...(sandbox ? { sandbox } : {}) });
  await worker.start();
  const heartbeat = await startHeartbeat(new WorkerRegistry(redis, redisSettings.prefix), worker);
  return {
    worker,
    stop: async () => {
      await worker.close();
      await heartbeat.stop();
      redis.disconnect();
    },
  };
}
