// watch: N concurrent HTTPS watches on one apiserver process (a child of its own, so its RSS is
// its own); one change (a create) → time until every watcher has the event, and RSS per idle
// watcher. Raw: a bare node:https server writing one serialized line to N open responses.
import { RUNS_PATH, createRun, listResourceVersion } from '../api.js';
import type { BenchChild } from '../child-process.js';
import { monoMs, sleep } from '../clock.js';
import type { BenchContext, Scenario } from '../context.js';
import { atMost, below, type Row, row } from '../report.js';
import { median } from '../stats.js';
import { openFileLimit, openWatchers, type WatcherPool } from '../watchers.js';

const PARALLEL_HANDSHAKES = 64;
const EVENT_TIMEOUT_MS = 30_000;
const SETTLE_MS = 500;
/** Sockets a process needs besides the watchers (Redis, IPC, files). */
const FD_HEADROOM = 200;

interface FanOut {
  kibPerWatcher: number;
  /** Connections opened per second. */
  connectRate: number;
  /** Trigger → last watcher, one per change; NaN when some watcher never got it. */
  ms: number[];
  received: number;
  line: string;
}

/** Opens `count` watchers, measures memory, runs `changes` triggers, closes. */
async function fanOut(
  ctx: BenchContext, child: BenchChild, port: number, path: string, count: number,
  trigger: (k: number) => Promise<unknown>, token?: string,
): Promise<FanOut> {
  const before = await child.rssKiB();
  const t0 = monoMs();
  const pool: WatcherPool = await openWatchers({ port, path, count, parallel: PARALLEL_HANDSHAKES, ...(token ? { token } : {}) });
  const connectRate = (count * 1000) / (monoMs() - t0);
  try {
    await sleep(SETTLE_MS);
    const after = await child.rssKiB();
    const result: FanOut = { kibPerWatcher: (after - before) / count, connectRate, ms: [], received: count, line: '' };
    for (let k = 0; k < ctx.sizes.watchChanges; k++) {
      const r = await pool.awaitLine(() => trigger(k), EVENT_TIMEOUT_MS);
      result.ms.push(r.ms);
      result.received = Math.min(result.received, r.received);
      result.line ||= r.line;
      await sleep(200);
    }
    return result;
  } finally {
    pool.close();
  }
}

async function ours(ctx: BenchContext, count: number): Promise<FanOut> {
  await ctx.flush();
  return ctx.withChild(async (child) => {
    const { port } = await child.send({ cmd: 'apiserver' });
    const api = ctx.target(port, 2);
    try {
      const rv = await listResourceVersion(api);
      const path = `${RUNS_PATH}?watch=true&resourceVersion=${rv}`;
      return await fanOut(ctx, child, port, path, count, (k) => createRun(api, `fanout-${count}-${k}`), ctx.token);
    } finally {
      api.agent.destroy();
    }
  });
}

async function raw(ctx: BenchContext, count: number, line: string): Promise<FanOut> {
  return ctx.withChild(async (child) => {
    const { port } = await child.send({ cmd: 'raw-watch' });
    return fanOut(ctx, child, port, '/watch', count, () => child.send({ cmd: 'broadcast', line }));
  });
}

/** A stand-in event line of about 1.2 KB, used when ours delivered none. */
function syntheticLine(): string {
  return `${JSON.stringify({ type: 'ADDED', object: { kind: 'WorkflowRun', metadata: { name: 'x' }, pad: 'x'.repeat(1150) } })}\n`;
}

function rows(count: number, o: FanOut, r: FanOut): Row[] {
  const label = `${count.toLocaleString('en-US')} watchers`;
  const incomplete = o.received < count ? `; only ${o.received} of ${count} watchers received the event within ${EVENT_TIMEOUT_MS / 1000} s` : '';
  const note = `${label}: median of ${o.ms.length} changes (ours: POST create → all have ADDED; raw: bare node:https, broadcast of the same `
    + `${Buffer.byteLength(o.line || r.line)}-byte line); RSS from /proc VmRSS after GC; connected ${Math.round(o.connectRate)}/s ours, `
    + `${Math.round(r.connectRate)}/s raw${incomplete}`;
  return [
    row('watch', `${label}: change → all received`, 'ms', median(o.ms), { raw: median(r.ms), target: below(500, 'ms'), note }),
    row('watch', `${label}: RSS per idle watcher`, 'KiB', o.kibPerWatcher, { raw: r.kibPerWatcher, target: atMost(40, 'KiB') }),
  ];
}

/** watch fan-out and memory per watcher vs a bare node:https fan-out. */
export const watchScenario: Scenario = {
  name: 'watch',
  async run(ctx): Promise<Row[]> {
    const out: Row[] = [];
    const limit = openFileLimit();
    for (const count of ctx.sizes.watchCounts) {
      if (limit !== undefined && limit < count + FD_HEADROOM) {
        throw new Error(`${count} watchers need about ${count + FD_HEADROOM} open files per process, but the soft limit is ${limit}; raise it with \`ulimit -n\``);
      }
      const o = await ours(ctx, count);
      const r = await raw(ctx, count, o.line || syntheticLine());
      out.push(...rows(count, o, r));
    }
    await ctx.flush();
    return out;
  },
};
