// Memory of the soak's processes after a full garbage collection (through each process's
// inspector: HeapProfiler.collectGarbage, then process.memoryUsage()), and of Redis.
import type { Redis } from 'ioredis';
import WebSocket from 'ws';
import type { ServerProcess } from './cluster.js';

const INSPECTOR_TIMEOUT_MS = 30_000;

/** One process's memory (bytes) after a full GC. */
export interface ProcessMemory {
  rss: number;
  heapUsed: number;
  /** Memory of C++ objects bound to JavaScript ones, Buffers included. */
  external: number;
}

/** Redis's memory (bytes) and the part held by streams that are capped by design. */
export interface RedisMemory {
  usedMemory: number;
  /** MEMORY USAGE of the change feed (capped at --change-history entries) and BullMQ's event stream (capped at 10,000). */
  cappedStreams: number;
  /** Entries of the change feed. */
  changeEvents: number;
  keys: number;
}

/** All of it at one moment. */
export interface MemorySample {
  processes: Record<string, ProcessMemory>;
  redis: RedisMemory;
}

/** Sends inspector commands one at a time on an open session. */
function call(ws: WebSocket, id: number, method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer): void => {
      const msg = JSON.parse(data.toString('utf8')) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
      if (msg.id !== id) return;
      ws.off('message', onMessage);
      if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
      else resolve(msg.result ?? {});
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, method, params }));
  });
}

/** Collects the garbage of the process behind `inspectorUrl` and reads its memory. */
export async function processMemory(p: ServerProcess): Promise<ProcessMemory> {
  const ws = new WebSocket(p.inspectorUrl, { perMessageDeflate: false });
  const timer = setTimeout(() => ws.terminate(), INSPECTOR_TIMEOUT_MS);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('close', () => reject(new Error(`${p.name}: the inspector closed the connection`)));
    });
    await call(ws, 1, 'HeapProfiler.collectGarbage');
    const r = await call(ws, 2, 'Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
    const value = (r.result as { value?: string } | undefined)?.value;
    if (typeof value !== 'string') throw new Error(`${p.name}: process.memoryUsage() gave ${JSON.stringify(r)}`);
    const usage = JSON.parse(value) as ProcessMemory;
    return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external };
  } finally {
    clearTimeout(timer);
    ws.close();
  }
}

/** Redis's used_memory, the capped streams in it, and its key count. */
export async function redisMemory(redis: Redis, changesKey: string, queueEventsKey: string): Promise<RedisMemory> {
  const info = await redis.info('memory');
  const usedMemory = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
  const usage = async (key: string): Promise<number> => Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  const cappedStreams = (await usage(changesKey)) + (await usage(queueEventsKey));
  return { usedMemory, cappedStreams, changeEvents: await redis.xlen(changesKey), keys: await redis.dbsize() };
}

/** Samples every process (one after another, so that the GCs do not overlap; NaN for one that has exited) and Redis. */
export async function sampleMemory(procs: ServerProcess[], redis: Redis, changesKey: string, queueEventsKey: string): Promise<MemorySample> {
  const processes: Record<string, ProcessMemory> = {};
  for (const p of procs) processes[p.name] = p.exited() ? { rss: Number.NaN, heapUsed: Number.NaN, external: Number.NaN } : await processMemory(p);
  return { processes, redis: await redisMemory(redis, changesKey, queueEventsKey) };
}
