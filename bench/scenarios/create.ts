// create: POST a run over HTTPS (no worker: API + enqueue only) at 1 and 64 in flight, next to
// raw BullMQ Queue.add with the same job options on the same Redis. Also the CPU each create
// costs the apiserver process and Redis (c=64 phase).
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RUNS_PATH, runBody } from '../api.js';
import type { BenchContext, Scenario } from '../context.js';
import { request } from '../http.js';
import { closedLoop, type LoadResult, type Operation, throughput } from '../load.js';
import { measureCpu } from '../proc.js';
import { atLeast, below, type Row, row } from '../report.js';
import { summarize } from '../stats.js';

interface Measured {
  one: LoadResult;
  many: LoadResult;
  /** CPU ms per operation of the c=64 phase: [server process (ours only), redis-server]. */
  cpuPerOp: number[];
}

async function measure(ctx: BenchContext, op: Operation, pids: number[]): Promise<Measured> {
  const s = ctx.sizes;
  await closedLoop({ concurrency: 64, count: s.createWarmup, op });
  const one = await closedLoop({ concurrency: 1, count: s.createAtOne, op });
  const { result: many, cpu } = await measureCpu(pids, () => closedLoop({ concurrency: 64, count: s.createAt64, op }));
  return { one, many, cpuPerOp: cpu.map((ms) => ms / many.completed) };
}

async function ours(ctx: BenchContext): Promise<Measured> {
  return ctx.withChild(async (child) => {
    const { port } = await child.send({ cmd: 'apiserver' });
    const target = ctx.target(port, 64);
    const body = runBody();
    const op: Operation = async () => {
      const res = await request(target, 'POST', RUNS_PATH, body);
      return res.status === 201 ? undefined : `HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`;
    };
    try {
      return await measure(ctx, op, [child.pid, ctx.redisChild.pid]);
    } finally {
      target.agent.destroy();
    }
  });
}

async function raw(ctx: BenchContext): Promise<Measured> {
  const connection = new Redis(ctx.redisChild.url, { maxRetriesPerRequest: null });
  const queue = new Queue('bench-raw', { connection, prefix: 'raw' });
  const op: Operation = async (i) => {
    const uid = randomUUID();
    await queue.add('run', { member: `default/bench-${i}`, uid }, {
      jobId: uid, attempts: 1_000_000, backoff: { type: 'fixed', delay: 0 }, removeOnComplete: true, removeOnFail: true,
    });
    return undefined;
  };
  try {
    return await measure(ctx, op, [ctx.redisChild.pid]);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

function rows(label: string, o: LoadResult, r: LoadResult, targets: { rate?: number; p99?: number }): Row[] {
  const so = summarize(o.latencies);
  const sr = summarize(r.latencies);
  const note = o.errors > 0 ? `ours: ${o.errors} of ${o.completed} creates failed; first: ${o.firstError ?? ''}` : undefined;
  return [
    row('create', `${label} throughput`, '/s', throughput(o), {
      raw: throughput(r), ...(targets.rate ? { target: atLeast(targets.rate, '/s') } : {}), ...(note ? { note } : {}),
    }),
    row('create', `${label} p50`, 'ms', so.p50, { raw: sr.p50 }),
    row('create', `${label} p99`, 'ms', so.p99, { raw: sr.p99, ...(targets.p99 ? { target: below(targets.p99, 'ms') } : {}) }),
  ];
}

/** create throughput and latency at c=1 and c=64 vs BullMQ Queue.add. */
export const createScenario: Scenario = {
  name: 'create',
  async run(ctx) {
    await ctx.flush();
    const o = await ours(ctx);
    await ctx.flush();
    const r = await raw(ctx);
    await ctx.flush();
    const cpuNote = 'CPU from /proc/<pid>/stat during the c=64 phase; raw = BullMQ Queue.add with the same job options, from the bench process';
    return [
      ...rows('c=64', o.many, r.many, { rate: 3000, p99: 50 }),
      ...rows('c=1', o.one, r.one, {}),
      row('create', 'c=64 apiserver CPU per create', 'ms', o.cpuPerOp[0] ?? Number.NaN, { note: cpuNote }),
      row('create', 'c=64 Redis CPU per create', 'ms', o.cpuPerOp[1] ?? Number.NaN, { raw: r.cpuPerOp[0] ?? Number.NaN }),
    ];
  },
};
