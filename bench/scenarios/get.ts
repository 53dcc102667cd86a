// get: GET one run by name over HTTPS at 64 connections, next to a bare koa + @koa/router HTTPS
// handler returning the same JSON bytes; the two alternate in rounds within one child process.
import { RUNS_PATH, createRun } from '../api.js';
import type { BenchContext, Scenario } from '../context.js';
import { type HttpTarget, request } from '../http.js';
import { closedLoop, type LoadResult, type Operation, throughput } from '../load.js';
import { measureCpu } from '../proc.js';
import { ratioAtLeast, type Row, row } from '../report.js';
import { median, summarize } from '../stats.js';

const CONNECTIONS = 64;
const WARMUP_MS = 500;

function getOp(target: HttpTarget, path: string, expectedBytes: number): Operation {
  return async () => {
    const res = await request(target, 'GET', path);
    if (res.status !== 200) return `HTTP ${res.status}`;
    return res.body.length === expectedBytes ? undefined : `got ${res.body.length} bytes, expected ${expectedBytes}`;
  };
}

interface Measured {
  ours: LoadResult[];
  raw: LoadResult[];
  /** Server process CPU (ms) used by each side's rounds. */
  cpu: { ours: number; raw: number };
  bytes: number;
}

async function measure(ctx: BenchContext): Promise<Measured> {
  return ctx.withChild(async (child) => {
    const api = ctx.target((await child.send({ cmd: 'apiserver' })).port, CONNECTIONS);
    const { name } = await createRun(api);
    const path = `${RUNS_PATH}/${name}`;
    const first = await request(api, 'GET', path);
    if (first.status !== 200) throw new Error(`GET ${path}: HTTP ${first.status}`);
    const body = first.body.toString('utf8');
    const koa = ctx.target((await child.send({ cmd: 'koa-get', body })).port, CONNECTIONS, false);
    const ourOp = getOp(api, path, first.body.length);
    const rawOp = getOp(koa, path, first.body.length);
    const results: Measured = { ours: [], raw: [], cpu: { ours: 0, raw: 0 }, bytes: first.body.length };
    const timed = async (side: 'ours' | 'raw', op: Operation): Promise<void> => {
      const m = await measureCpu([child.pid], () => closedLoop({ concurrency: CONNECTIONS, durationMs: ctx.sizes.getRoundMs, op }));
      results[side].push(m.result);
      results.cpu[side] += m.cpu[0] ?? 0;
    };
    try {
      await closedLoop({ concurrency: CONNECTIONS, durationMs: WARMUP_MS, op: ourOp });
      await closedLoop({ concurrency: CONNECTIONS, durationMs: WARMUP_MS, op: rawOp });
      for (let round = 0; round < ctx.sizes.getRounds; round++) {
        await timed('ours', ourOp);
        await timed('raw', rawOp);
      }
      return results;
    } finally {
      api.agent.destroy();
      koa.agent.destroy();
    }
  });
}

/** GET by name at 64 connections vs koa + @koa/router. */
export const getScenario: Scenario = {
  name: 'get',
  async run(ctx): Promise<Row[]> {
    await ctx.flush();
    const m = await measure(ctx);
    await ctx.flush();
    const so = summarize(m.ours.flatMap((r) => r.latencies));
    const sr = summarize(m.raw.flatMap((r) => r.latencies));
    const errors = m.ours.reduce((n, r) => n + r.errors, 0) + m.raw.reduce((n, r) => n + r.errors, 0);
    const firstError = [...m.ours, ...m.raw].find((r) => r.firstError)?.firstError;
    const note = `${m.bytes}-byte JSON; raw = koa + @koa/router returning the same bytes; median of ${m.ours.length} alternating rounds`
      + (errors > 0 ? `; ${errors} failed requests, first: ${firstError ?? ''}` : '');
    return [
      row('get', 'c=64 throughput', 'req/s', median(m.ours.map(throughput)), { raw: median(m.raw.map(throughput)), target: ratioAtLeast(0.7), note }),
      row('get', 'c=64 p50', 'ms', so.p50, { raw: sr.p50 }),
      row('get', 'c=64 p99', 'ms', so.p99, { raw: sr.p99 }),
      row('get', 'server CPU per request', 'ms', m.cpu.ours / so.count, { raw: m.cpu.raw / sr.count }),
    ];
  },
};
