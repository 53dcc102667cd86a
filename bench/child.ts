// A bench child process: starts, on command from the bench process, our apiserver and worker
// or parts of the raw stack, and answers questions about them (step start times, memory).
// Run by child-process.ts through fork(); see protocol.ts.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startApiServer, type Running } from '../src/cli/components.js';
import { connectRedis } from '../src/cli/redis-connection.js';
import { RunWorker } from '../src/worker/run-worker.js';
import { monoMs, sleep } from './clock.js';
import { CHILD_ENV_VAR, type ChildCommand, type ChildEnv, type ChildReply, type ChildRequest } from './protocol.js';
import { koaGetServer, koaListServer, type RawServer, rawWatchServer } from './raw-servers.js';
import { rawEchoServer, rawStreamServer } from './raw-streams.js';

const env = JSON.parse(process.env[CHILD_ENV_VAR] ?? '{}') as ChildEnv;
const redisSettings = { url: env.redisUrl, prefix: env.prefix, changeHistory: 100_000 };
const tls = { cert: env.cert, key: env.key };
const parts: Running[] = [];
const starts: [string, number][] = [];
let broadcast: ((line: string) => number) | undefined;

async function startApi(): Promise<{ port: number }> {
  const api = await startApiServer(redisSettings, {
    port: 0, host: '127.0.0.1', cert: env.cert, key: env.key,
    tokens: new Map([[env.token, { name: 'bench', groups: ['system:masters'] }]]),
    bookmarkIntervalMs: 60_000, minRequestTimeoutSeconds: 1800, requestTimeoutMs: 60_000, shutdownGraceMs: 0,
  }, pino({ level: 'warn', base: undefined }));
  parts.push(api);
  const address = api.server.address();
  return { port: typeof address === 'object' && address ? address.port : 0 };
}

/** Log output a step may write unless the command asks for more (the CLI's default is 16 MiB). */
const DEFAULT_LOG_LIMIT_BYTES = 1024 * 1024;

async function startOurWorker(concurrency: number, logLimitBytes: number): Promise<void> {
  const redis = connectRedis(env.redisUrl);
  const worker = new RunWorker({
    redis, prefix: env.prefix, changeHistory: redisSettings.changeHistory, concurrency,
    workspaceDir: env.workspaceDir, lockDurationMs: 30_000, stalledIntervalMs: 15_000, killGraceMs: 2000, shutdownGraceMs: 0,
    logLimitBytes, onStepStarted: (uid) => starts.push([uid, monoMs()]),
  });
  await worker.start();
  parts.push({ stop: async () => (await worker.close(), redis.disconnect()) });
}

async function startRawWorker(queue: string, prefix: string, concurrency: number): Promise<void> {
  const connection = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker(queue, async (job) => void starts.push([job.id ?? '', monoMs()]), { connection, prefix, concurrency });
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  parts.push({ stop: async () => (await worker.close(true), connection.disconnect()) });
}

async function execute(c: ChildCommand): Promise<unknown> {
  switch (c.cmd) {
    case 'apiserver': return startApi();
    case 'worker': return startOurWorker(c.concurrency, c.logLimitBytes ?? DEFAULT_LOG_LIMIT_BYTES).then(() => ({}));
    case 'raw-worker': return startRawWorker(c.queue, c.prefix, c.concurrency).then(() => ({}));
    case 'koa-get': {
      const s = await koaGetServer(tls, c.body);
      parts.push({ stop: s.close });
      return { port: s.port };
    }
    case 'koa-list': {
      const redis = new Redis(env.redisUrl);
      const s = await koaListServer(tls, redis, env.prefix);
      parts.push({ stop: async () => (await s.close(), redis.disconnect()) });
      return { port: s.port };
    }
    case 'raw-watch': {
      const s = await rawWatchServer(tls);
      parts.push({ stop: s.close });
      broadcast = s.broadcast;
      return { port: s.port };
    }
    case 'raw-stream': return keep(await rawStreamServer(tls, c));
    case 'raw-echo': return keep(await rawEchoServer(tls));
    case 'broadcast': return { receivers: broadcast?.(c.line) ?? 0 };
    case 'gc': return collectGarbage();
    case 'starts': return { starts: starts.splice(0) };
    case 'stop': return stopAll();
  }
}

function keep(s: RawServer): { port: number } {
  parts.push({ stop: s.close });
  return { port: s.port };
}

async function collectGarbage(): Promise<Record<string, never>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(100);
  }
  return {};
}

async function stopAll(): Promise<Record<string, never>> {
  for (const p of parts.splice(0).reverse()) await p.stop().catch(() => undefined);
  setTimeout(() => process.exit(0), 50).unref();
  return {};
}

process.on('message', (msg: ChildRequest) => {
  execute(msg.command).then(
    (result) => process.send?.({ id: msg.id, result } satisfies ChildReply),
    (err: unknown) => process.send?.({ id: msg.id, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies ChildReply),
  );
});
process.on('disconnect', () => void stopAll().finally(() => process.exit(0)));
