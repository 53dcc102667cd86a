// latency: create → step process started at a fixed offered rate (open loop), with our worker
// in the apiserver's process, next to raw BullMQ add → processor start (no-op processor) at
// the same rate. Times on both sides come from the machine-wide monotonic clock.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { postRun, runBody } from '../api.js';
import type { BenchChild } from '../child-process.js';
import { monoMs, sleep } from '../clock.js';
import type { BenchContext, Scenario } from '../context.js';
import { openLoop, type Operation } from '../load.js';
import { below, type Row, row } from '../report.js';
import { type LatencySummary, summarize } from '../stats.js';

const WARMUP_RUNS = 100;
/** Give up waiting for starts after this long without a new one. */
const STALL_MS = 10_000;

interface Outcome {
  summary: LatencySummary;
  offeredRate: number;
  missing: number;
  failed: number;
  firstError?: string;
}

/** Collects start times from the child until every key in `sent` has one, or none came for STALL_MS. */
async function collectStarts(child: BenchChild, sent: Map<string, number>): Promise<number[]> {
  const latencies: number[] = [];
  let seen = 0;
  let lastProgress = monoMs();
  while (seen < sent.size && monoMs() - lastProgress < STALL_MS) {
    await sleep(100);
    const { starts } = await child.send({ cmd: 'starts' });
    for (const [key, at] of starts) {
      const t0 = sent.get(key);
      if (t0 === undefined) continue;
      latencies.push(at - t0);
      seen++;
      lastProgress = monoMs();
    }
  }
  return latencies;
}

/** Warm-up, then the measured open loop; `add` issues one creation and returns its key (uid / job id). */
async function drive(ctx: BenchContext, child: BenchChild, add: () => Promise<string | { error: string }>): Promise<Outcome> {
  const run = async (count: number): Promise<Outcome> => {
    const sent = new Map<string, number>();
    const op: Operation = async () => {
      const t0 = monoMs();
      const key = await add();
      if (typeof key !== 'string') return key.error;
      sent.set(key, t0);
      return undefined;
    };
    const load = await openLoop({ rate: ctx.sizes.latencyRate, count, op });
    const latencies = await collectStarts(child, sent);
    return {
      summary: summarize(latencies), offeredRate: load.offeredRate, missing: sent.size - latencies.length,
      failed: load.errors, ...(load.firstError ? { firstError: load.firstError } : {}),
    };
  };
  await run(WARMUP_RUNS);
  return run(ctx.sizes.latencyRuns);
}

async function ours(ctx: BenchContext): Promise<Outcome> {
  return ctx.withChild(async (child) => {
    const { port } = await child.send({ cmd: 'apiserver' });
    await child.send({ cmd: 'worker', concurrency: ctx.sizes.workerConcurrency });
    const target = ctx.target(port, 256);
    const body = runBody();
    try {
      return await drive(ctx, child, async () => {
        const res = await postRun(target, body);
        return res.uid ?? { error: `HTTP ${res.status}` };
      });
    } finally {
      target.agent.destroy();
    }
  });
}

async function raw(ctx: BenchContext): Promise<Outcome> {
  return ctx.withChild(async (child) => {
    const prefix = 'rawlat';
    await child.send({ cmd: 'raw-worker', queue: 'bench-latency', prefix, concurrency: ctx.sizes.workerConcurrency });
    const connection = new Redis(ctx.redisChild.url, { maxRetriesPerRequest: null });
    const queue = new Queue('bench-latency', { connection, prefix });
    try {
      return await drive(ctx, child, async () => {
        const jobId = randomUUID();
        await queue.add('job', { uid: jobId }, { jobId, removeOnComplete: true, removeOnFail: true });
        return jobId;
      });
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });
}

function note(o: Outcome, r: Outcome, runs: number): string {
  const parts = [`${runs} runs; offered ${Math.round(o.offeredRate)}/s ours, ${Math.round(r.offeredRate)}/s raw; raw = BullMQ add → no-op processor start`];
  if (o.failed > 0) parts.push(`${o.failed} creates failed (first: ${o.firstError ?? ''})`);
  if (o.missing > 0) parts.push(`${o.missing} created runs never reported a started step`);
  if (r.missing > 0) parts.push(`${r.missing} raw jobs never started`);
  return parts.join('; ');
}

export const latencyScenario: Scenario = {
  name: 'latency',
  async run(ctx): Promise<Row[]> {
    await ctx.flush();
    const o = await ours(ctx);
    await ctx.flush();
    const r = await raw(ctx);
    await ctx.flush();
    const label = `create→step started @${ctx.sizes.latencyRate}/s`;
    return [
      row('latency', `${label} p50`, 'ms', o.summary.p50, { raw: r.summary.p50, target: below(5, 'ms'), note: note(o, r, ctx.sizes.latencyRuns) }),
      row('latency', `${label} p99`, 'ms', o.summary.p99, { raw: r.summary.p99, target: below(50, 'ms') }),
    ];
  },
};
