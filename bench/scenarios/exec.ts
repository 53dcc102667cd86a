// exec: stdin → stdout echo round trips through an exec session (`cat`, v5.channel.k8s.io) into
// a Running run, apiserver and worker in child processes of their own, next to a bare `ws`
// echo server over TLS; also the time from opening a session to its first echo.
import { RUNS_PATH, createRun, waitForPhase } from '../api.js';
import { monoMs } from '../clock.js';
import type { BenchContext, Scenario } from '../context.js';
import { measureCpu } from '../proc.js';
import { type Row, row } from '../report.js';
import { type LatencySummary, summarize } from '../stats.js';
import { type EchoSession, openEcho } from '../ws-echo.js';

const OPEN_TIMEOUT_MS = 15_000;
const ECHO_TIMEOUT_MS = 10_000;
const RUNNING_TIMEOUT_MS = 15_000;

interface Side {
  roundTrips: LatencySummary;
  /** Session opened → first echo back, one per session. */
  open: LatencySummary;
  /** CPU ms per measured round trip of each watched pid. */
  cpuPerRoundTrip: number[];
  /** What the server sent on channel 3 when the last session closed. */
  status: string;
}

type Open = () => Promise<EchoSession>;

/** Opens `count` sessions one after another, timing open → first echo; closes each. */
async function openings(open: Open, count: number): Promise<{ open: LatencySummary; status: string }> {
  const ms: number[] = [];
  let status = '';
  for (let i = 0; i < count; i++) {
    const t0 = monoMs();
    const session = await open();
    await session.roundTrip(`hello ${i}`, ECHO_TIMEOUT_MS);
    ms.push(monoMs() - t0);
    status = await session.close(ECHO_TIMEOUT_MS);
  }
  return { open: summarize(ms), status };
}

async function measure(ctx: BenchContext, open: Open, pids: number[]): Promise<Side> {
  const s = ctx.sizes;
  const opened = await openings(open, s.execSessions);
  const session = await open();
  try {
    for (let i = 0; i < s.execWarmup; i++) await session.roundTrip(`warm-up ${i}`, ECHO_TIMEOUT_MS);
    const { result: latencies, cpu } = await measureCpu(pids, async () => {
      const out: number[] = [];
      for (let i = 0; i < s.execRoundTrips; i++) out.push(await session.roundTrip(`round trip ${String(i).padStart(6, '0')}`, ECHO_TIMEOUT_MS));
      return out;
    });
    return { roundTrips: summarize(latencies), open: opened.open, cpuPerRoundTrip: cpu.map((ms) => ms / s.execRoundTrips), status: opened.status };
  } finally {
    await session.close(ECHO_TIMEOUT_MS);
  }
}

async function ours(ctx: BenchContext): Promise<Side> {
  return ctx.withChild((api) => ctx.withChild(async (worker) => {
    const { port } = await api.send({ cmd: 'apiserver' });
    await worker.send({ cmd: 'worker', concurrency: 4 });
    const t = ctx.target(port, 2);
    try {
      const { name } = await createRun(t, 'exec-target', 'sleep 1000');
      await waitForPhase(t, name, 'Running', RUNNING_TIMEOUT_MS);
      const path = `${RUNS_PATH}/${name}/exec?command=cat&stdin=true&stdout=true`;
      const open: Open = () => openEcho({ port, path, ca: ctx.tls.ca, token: ctx.token, timeoutMs: OPEN_TIMEOUT_MS });
      return await measure(ctx, open, [api.pid, worker.pid, ctx.redisChild.pid]);
    } finally {
      t.agent.destroy();
    }
  }));
}

async function raw(ctx: BenchContext): Promise<Side> {
  return ctx.withChild(async (child) => {
    const { port } = await child.send({ cmd: 'raw-echo' });
    const open: Open = () => openEcho({ port, path: '/echo', ca: ctx.tls.ca, timeoutMs: OPEN_TIMEOUT_MS });
    return measure(ctx, open, [child.pid]);
  });
}

function rows(ctx: BenchContext, o: Side, r: Side): Row[] {
  const s = ctx.sizes;
  const note = `${o.roundTrips.count} sequential round trips of a ~20-byte line on one session (after ${s.execWarmup} unmeasured), `
    + `client → apiserver → Redis pub/sub → worker → cat and back (max ${o.roundTrips.max.toFixed(1)} ms ours, ${r.roundTrips.max.toFixed(1)} ms raw); `
    + `raw = a bare ws echo server over TLS, same framing`;
  const openNote = `${o.open.count} sessions opened one after another: websocket upgrade → first echo back (ours includes the worker taking `
    + `the session and starting cat); sessions ended with status ${o.status || '(none)'}`;
  const cpuNote = 'CPU from /proc/<pid>/stat during the measured round trips (10 ms ticks); raw = the bare ws process';
  return [
    row('exec', 'echo round trip p50', 'ms', o.roundTrips.p50, { raw: r.roundTrips.p50, note }),
    row('exec', 'echo round trip p99', 'ms', o.roundTrips.p99, { raw: r.roundTrips.p99 }),
    row('exec', 'open → first echo p50', 'ms', o.open.p50, { raw: r.open.p50, note: openNote }),
    row('exec', 'apiserver CPU per round trip', 'ms', o.cpuPerRoundTrip[0] ?? Number.NaN, { raw: r.cpuPerRoundTrip[0] ?? Number.NaN, note: cpuNote }),
    row('exec', 'worker CPU per round trip', 'ms', o.cpuPerRoundTrip[1] ?? Number.NaN),
    row('exec', 'Redis CPU per round trip', 'ms', o.cpuPerRoundTrip[2] ?? Number.NaN),
  ];
}

/** exec echo round trips and session open vs a bare ws echo server. */
export const execScenario: Scenario = {
  name: 'exec',
  async run(ctx): Promise<Row[]> {
    await ctx.flush();
    const o = await ours(ctx);
    await ctx.flush();
    const r = await raw(ctx);
    await ctx.flush();
    return rows(ctx, o, r);
  },
};
