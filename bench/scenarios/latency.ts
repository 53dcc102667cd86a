// latency: create → step process started at a fixed offered rate (open loop), with our worker
// in the apiserver's process, next to raw BullMQ add → processor start (no-op processor) at
// the same rate; at the target rate and at a low rate. Times on both sides come from the
// machine-wide monotonic clock.
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
/** Stop waiting for starts this long after the last creation (the run stays bounded when the worker falls behind). */
const DRAIN_MS = 15_000;

/** One open-loop run at one rate. */
interface Outcome {
  rate: number;
  count: number;
  summary: LatencySummary;
  offeredRate: number;
  /** Starts per second between the first and the last start seen. */
  startRate: number;
  missing: number;
  failed: number;
  firstError?: string;
}

type Add = () => Promise<string | { error: string }>;

/**
 * Collects start times from the child until every key in `sent` has one, or DRAIN_MS have
 * passed; a key still without one counts with the time waited so far (a lower bound).
 */
async function collectStarts(child: BenchChild, sent: Map<string, number>): Promise<{ latencies: number[]; missing: number; startRate: number }> {
  const pending = new Map(sent);
  const latencies: number[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  const deadline = monoMs() + DRAIN_MS;
  while (pending.size > 0 && monoMs() < deadline) {
    await sleep(100);
    const { starts } = await child.send({ cmd: 'starts' });
    for (const [key, at] of starts) {
      const t0 = pending.get(key);
      if (t0 === undefined) continue;
      latencies.push(at - t0);
      pending.delete(key);
      first = Math.min(first, at);
      last = Math.max(last, at);
    }
  }
  const started = latencies.length;
  const now = monoMs();
  for (const t0 of pending.values()) latencies.push(now - t0);
  return { latencies, missing: pending.size, startRate: started > 1 ? ((started - 1) * 1000) / (last - first) : 0 };
}

async function openRun(child: BenchChild, add: Add, rate: number, count: number): Promise<Outcome> {
  const sent = new Map<string, number>();
  const op: Operation = async () => {
    const t0 = monoMs();
    const key = await add();
    if (typeof key !== 'string') return key.error;
    sent.set(key, t0);
    return undefined;
  };
  const load = await openLoop({ rate, count, op });
  const { latencies, missing, startRate } = await collectStarts(child, sent);
  return {
    rate, count, summary: summarize(latencies), offeredRate: load.offeredRate, startRate, missing,
    failed: load.errors, ...(load.firstError ? { firstError: load.firstError } : {}),
  };
}

/** Warm-up, then the low rate, then the target rate. */
async function drive(ctx: BenchContext, child: BenchChild, add: Add): Promise<Outcome[]> {
  const s = ctx.sizes;
  await openRun(child, add, s.latencyLowRate, WARMUP_RUNS);
  const low = await openRun(child, add, s.latencyLowRate, s.latencyLowRuns);
  const high = await openRun(child, add, s.latencyRate, s.latencyRuns);
  return [low, high];
}

async function ours(ctx: BenchContext): Promise<Outcome[]> {
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

async function raw(ctx: BenchContext): Promise<Outcome[]> {
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

function note(o: Outcome, r: Outcome): string {
  const parts = [
    `${o.count} runs; offered ${Math.round(o.offeredRate)}/s ours, ${Math.round(r.offeredRate)}/s raw; raw = BullMQ add → no-op processor start`,
  ];
  const late = `${DRAIN_MS / 1000} s after the last creation (counted with the time waited: the percentiles are lower bounds)`;
  if (o.failed > 0) parts.push(`${o.failed} creates failed (first: ${o.firstError ?? ''})`);
  if (o.missing > 0) parts.push(`ours: ${o.missing} runs had not started their step ${late}`);
  if (r.missing > 0) parts.push(`raw: ${r.missing} jobs had not started ${late}`);
  return parts.join('; ');
}

function rows(o: Outcome, r: Outcome, withTargets: boolean): Row[] {
  const label = `@${o.rate}/s create→step started`;
  return [
    row('latency', `${label} p50`, 'ms', o.summary.p50, { raw: r.summary.p50, note: note(o, r), ...(withTargets ? { target: below(5, 'ms') } : {}) }),
    row('latency', `${label} p99`, 'ms', o.summary.p99, { raw: r.summary.p99, ...(withTargets ? { target: below(50, 'ms') } : {}) }),
    row('latency', `@${o.rate}/s steps started per second`, '/s', o.startRate, { raw: r.startRate }),
  ];
}

/** create → step started at 500/s and 50/s vs BullMQ add → processor start. */
export const latencyScenario: Scenario = {
  name: 'latency',
  async run(ctx): Promise<Row[]> {
    await ctx.flush();
    const [oLow, oHigh] = await ours(ctx);
    await ctx.flush();
    const [rLow, rHigh] = await raw(ctx);
    await ctx.flush();
    if (!oLow || !oHigh || !rLow || !rHigh) throw new Error('latency: a run is missing');
    return [...rows(oHigh, rHigh, true), ...rows(oLow, rLow, false)];
  },
};
