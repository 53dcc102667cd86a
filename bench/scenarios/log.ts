// log: one HTTPS client following …/log?follow=true of a step that writes as fast as it can
// (apiserver and worker in child processes of their own), next to a bare node:https server
// writing the same bytes from memory; and the latency of lines written every ~10 ms with the
// time in them, next to the same script piped straight into a bare node:https response.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ResourceKeys } from '../../src/queue/keys.js';
import { RUN_QUEUE } from '../../src/queue/run-queue.js';
import { RUNS_PATH, createRun } from '../api.js';
import { monoMs, wallClock } from '../clock.js';
import { type BenchContext, PREFIX, type Scenario } from '../context.js';
import type { HttpTarget } from '../http.js';
import { measureCpu } from '../proc.js';
import { LOG_LINE } from '../raw-streams.js';
import { atLeast, below, type Row, row } from '../report.js';
import { type LatencySummary, median, summarize } from '../stats.js';
import { lineTimer, megabytesPerSecond, readStream } from '../streams.js';

const WARMUP_BYTES = 10_000_000;
const STREAM_TIMEOUT_MS = 300_000;
const MB = 1_000_000;
const KEYS = new ResourceKeys(PREFIX, RUN_QUEUE);

/** Writes `bytes` bytes of 100-byte lines as fast as the pipe takes them. */
function bytesScript(bytes: number): string {
  return `yes ${LOG_LINE.trimEnd()} | head -c ${bytes}`;
}

/** After half a second (the client is following by then), `lines` lines of `date +%s%N`. */
function linesScript(lines: number, intervalMs: number): string {
  return `sleep 0.5; i=0; while [ $i -lt ${lines} ]; do date +%s%N; sleep ${intervalMs / 1000}; i=$((i+1)); done`;
}

interface Side {
  mbps: number[];
  /** CPU ms per MB of each watched pid, over all measured repetitions. */
  cpuPerMb: number[];
  lines: LatencySummary;
  /** Lines that held no timestamp. */
  others: number;
}

/** Reads a whole stream of `expected` bytes while watching the CPU of `pids`. */
async function timedRead(t: HttpTarget, path: string, expected: number, pids: number[]): Promise<{ mbps: number; cpu: number[] }> {
  const { result, cpu } = await measureCpu(pids, () => readStream(t, path, STREAM_TIMEOUT_MS));
  if (result.error) throw new Error(`GET ${path}: ${result.error}`);
  if (result.bytes !== expected) throw new Error(`GET ${path}: read ${result.bytes} bytes, expected ${expected}`);
  return { mbps: megabytesPerSecond(result), cpu };
}

/** Warm-up (unmeasured), then `repetitions` measured reads of `read(bytes)`. */
async function throughputs(
  ctx: BenchContext, read: (bytes: number, warmup: boolean) => Promise<{ mbps: number; cpu: number[] }>,
): Promise<Pick<Side, 'mbps' | 'cpuPerMb'>> {
  const { logBytes, logRepetitions } = ctx.sizes;
  await read(WARMUP_BYTES, true);
  const mbps: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < logRepetitions; i++) {
    const m = await read(logBytes, false);
    mbps.push(m.mbps);
    m.cpu.forEach((ms, k) => (cpu[k] = (cpu[k] ?? 0) + ms));
  }
  return { mbps, cpuPerMb: cpu.map((ms) => ms / ((logBytes * logRepetitions) / MB)) };
}

async function lineLatencies(t: HttpTarget, path: string): Promise<Pick<Side, 'lines' | 'others'>> {
  const timer = lineTimer(wallClock());
  const r = await readStream(t, path, STREAM_TIMEOUT_MS, (c) => timer.onChunk(c));
  if (r.error) throw new Error(`GET ${path}: ${r.error}`);
  return { lines: summarize(timer.latencies), others: timer.others };
}

async function ours(ctx: BenchContext): Promise<Side> {
  const s = ctx.sizes;
  return ctx.withChild((api) => ctx.withChild(async (worker) => {
    const { port } = await api.send({ cmd: 'apiserver' });
    await worker.send({ cmd: 'worker', concurrency: 4, logLimitBytes: s.logBytes + 2 ** 20 });
    const t = ctx.target(port, 4);
    const pids = [api.pid, worker.pid, ctx.redisChild.pid];
    let k = 0;
    try {
      const tp = await throughputs(ctx, async (bytes, warmup) => {
        const run = await createRun(t, `log-bytes-${k++}`, bytesScript(bytes));
        const m = await timedRead(t, `${RUNS_PATH}/${run.name}/log?follow=true`, bytes, warmup ? [] : pids);
        await ctx.redis.del(KEYS.log(run.uid));
        return m;
      });
      const run = await createRun(t, 'log-lines', linesScript(s.logLines, s.logLineIntervalMs));
      return { ...tp, ...(await lineLatencies(t, `${RUNS_PATH}/${run.name}/log?follow=true`)) };
    } finally {
      t.agent.destroy();
    }
  }));
}

async function raw(ctx: BenchContext): Promise<Side> {
  const s = ctx.sizes;
  return ctx.withChild(async (child) => {
    const { port } = await child.send({ cmd: 'raw-stream', bytes: s.logBytes, script: linesScript(s.logLines, s.logLineIntervalMs) });
    const t = ctx.target(port, 4, false);
    try {
      const tp = await throughputs(ctx, (_bytes, warmup) => timedRead(t, '/bytes', s.logBytes, warmup ? [] : [child.pid]));
      return { ...tp, ...(await lineLatencies(t, '/script')) };
    } finally {
      t.agent.destroy();
    }
  });
}

/** MB/s of `script`'s stdout read by this process from a pipe: what the step itself can write. */
async function producerRate(script: string): Promise<number> {
  const child = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  const r = { bytes: 0, firstByteAt: Number.NaN, lastByteAt: Number.NaN, status: 200 };
  child.stdout.on('data', (c: Buffer) => {
    const at = monoMs();
    if (r.bytes === 0) r.firstByteAt = at;
    r.lastByteAt = at;
    r.bytes += c.length;
  });
  await once(child, 'close');
  return megabytesPerSecond(r);
}

function rows(ctx: BenchContext, o: Side, r: Side, producer: number): Row[] {
  const s = ctx.sizes;
  const note = `${s.logBytes / MB} MB of 100-byte lines from \`yes | head -c\`, read by one HTTPS client following …/log?follow=true `
    + `(apiserver and worker in separate processes), first → last byte, median of ${s.logRepetitions}; raw = bare node:https writing `
    + `the same bytes from memory in 65,500-byte writes; the step's command alone, read from a pipe: ${Math.round(producer)} MB/s; MB = 10^6 bytes`;
  const cpuNote = 'CPU from /proc/<pid>/stat over the measured repetitions; raw = the bare node:https process';
  const missing = Math.max(0, s.logLines - o.lines.count);
  const linesNote = `${o.lines.count} lines of \`date +%s%N\` every ~${s.logLineIntervalMs} ms, receive time − the time in the line `
    + `(max ${o.lines.max.toFixed(1)} ms ours, ${r.lines.max.toFixed(1)} ms raw); raw = the same script piped straight into a bare node:https response`
    + (missing > 0 ? `; ours: ${missing} of ${s.logLines} lines missing` : '') + (o.others > 0 ? `; ours: ${o.others} other lines` : '');
  return [
    row('log', 'follow throughput', 'MB/s', median(o.mbps), { raw: median(r.mbps), target: atLeast(200, 'MB/s'), note }),
    row('log', 'apiserver CPU per MB', 'ms', o.cpuPerMb[0] ?? Number.NaN, { raw: r.cpuPerMb[0] ?? Number.NaN, note: cpuNote }),
    row('log', 'worker CPU per MB', 'ms', o.cpuPerMb[1] ?? Number.NaN),
    row('log', 'Redis CPU per MB', 'ms', o.cpuPerMb[2] ?? Number.NaN),
    row('log', 'line latency p50', 'ms', o.lines.p50, { raw: r.lines.p50, note: linesNote }),
    row('log', 'line latency p99', 'ms', o.lines.p99, { raw: r.lines.p99, target: below(20, 'ms') }),
  ];
}

/** log follow throughput and line latency vs a bare node:https stream. */
export const logScenario: Scenario = {
  name: 'log',
  async run(ctx): Promise<Row[]> {
    await ctx.flush();
    const o = await ours(ctx);
    await ctx.flush();
    const r = await raw(ctx);
    const producer = await producerRate(bytesScript(ctx.sizes.logBytes));
    return rows(ctx, o, r, producer);
  },
};
