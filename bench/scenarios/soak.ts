// soak (only when named: `npm run bench -- soak`): two real `kube-actions apiserver` and two
// `kube-actions worker` processes on the bench's Redis; N watches spread over both apiservers;
// then, for --duration seconds after a warm-up, a rate-limited mix of creates, gets, lists, log
// follows, exec sessions and deletes against both. Reports per verb count, throughput,
// p50/p99/p999 and errors (which must be zero; every watch must see every create it selects),
// and each process's and Redis's memory at start and end (which must stay within bounds).
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SERVING_CERT_FILES } from '../../src/cli/certs.js';
import { RUN_QUEUE } from '../../src/queue/run-queue.js';
import { ResourceKeys } from '../../src/queue/keys.js';
import { monoMs, sleep } from '../clock.js';
import { type BenchContext, PREFIX, type Scenario } from '../context.js';
import type { HttpTarget } from '../http.js';
import { measureCpu } from '../proc.js';
import { type Row, row } from '../report.js';
import { type Cluster, startCluster } from '../soak/cluster.js';
import { type MemorySample, sampleMemory } from '../soak/memory.js';
import { call, type Created, DELETE_MIN_AGE_MS, HOLD_NAMESPACE, type MixState, mixVerbs, NAMESPACES, runManifest, runsPath, SHARDS } from '../soak/mix.js';
import { drive, newStats, recordError, type VerbStats } from '../soak/pacer.js';
import { memoryRows, summarizeVerb, type VerbSummary, verbRows } from '../soak/results.js';
import { RunPool } from '../soak/run-pool.js';
import { type LoopDelay, WatchClient } from '../soak/watch-client.js';
import type { WatchSpec } from '../soak/watch-pool.js';

const HOLDERS = 4;
const HOLDER_START_TIMEOUT_MS = 30_000;
const WATCH_CATCH_UP_MS = 30_000;
const CHANGES_KEY = new ResourceKeys(PREFIX, RUN_QUEUE).changes;
const QUEUE_EVENTS_KEY = `${PREFIX}:${RUN_QUEUE}:events`;
const VERBS = ['create', 'get', 'list', 'log', 'exec', 'delete'] as const;

/**
 * What watch i selects: consecutive pairs select the same (and the pool opens them on different
 * apiservers); the first pair of every 100 watches all runs in all namespaces, the others one
 * namespace's runs of one shard (labelSelector soak-shard=…), so that each create reaches about
 * 1/20 of them.
 */
function watchSpecs(count: number): WatchSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const k = Math.floor(i / 2);
    if (k % 50 === 0) return {};
    return { namespace: NAMESPACES[k % NAMESPACES.length] ?? '', shard: String(Math.floor(k / NAMESPACES.length) % SHARDS) };
  });
}

/** Creates the runs exec sessions go into (one step: `sleep`) and waits until each step runs. */
async function startHolders(t: HttpTarget, seconds: number): Promise<string[]> {
  const names = Array.from({ length: HOLDERS }, (_, k) => `hold-${k}`);
  for (const name of names) await call(t, 'POST', runsPath(HOLD_NAMESPACE), 201, runManifest(name, `sleep ${Math.ceil(seconds)}`));
  const deadline = monoMs() + HOLDER_START_TIMEOUT_MS;
  for (const name of names) {
    for (;;) {
      const res = await call(t, 'GET', `${runsPath(HOLD_NAMESPACE)}/${name}`, 200);
      const run = JSON.parse(res.body.toString('utf8')) as { status?: { steps?: { phase?: string }[] } };
      if (run.status?.steps?.[0]?.phase === 'Running') break;
      if (monoMs() > deadline) throw new Error(`run ${HOLD_NAMESPACE}/${name}: its step is not Running after ${HOLDER_START_TIMEOUT_MS / 1000} s`);
      await sleep(50);
    }
  }
  return names;
}

/** Waits until every watch has seen every create it selects (or the time is up); returns the pairs still missing. */
async function watchCatchUp(watches: WatchClient, created: Created[]): Promise<number> {
  const deadline = monoMs() + WATCH_CATCH_UP_MS;
  let { missing } = await watches.send({ cmd: 'missing', creates: created });
  while (missing > 0 && monoMs() < deadline) {
    await sleep(200);
    ({ missing } = await watches.send({ cmd: 'missing', creates: created }));
  }
  return missing;
}

interface Measured {
  seconds: number;
  warmupSeconds: number;
  verbs: Record<string, VerbSummary>;
  start: MemorySample;
  end: MemorySample;
  /** Whether Redis ran with appendonly. */
  aof: boolean;
  /** Event-loop delay (ms) over the measured period of this process, which sends the requests, and of the watch process. */
  loopDelay: { requests: LoopDelay; watches: LoopDelay };
  /** CPU (% of one core) each process used over the measured period, by name. */
  cpu: Record<string, number>;
}

/** The soak's processes by name: the servers, Redis, and the bench's two client processes. */
function soakPids(ctx: BenchContext, cluster: Cluster, watches: WatchClient): [string, number][] {
  return [...cluster.all().map((p) => [p.name, p.pid] as [string, number]), ['redis', ctx.redisChild.pid],
    ['bench requests', process.pid], ['bench watches', watches.pid]];
}

/** The watches' figures: events in the measured period, create → ADDED latencies, errors and missed ADDED events. */
async function watchSummary(watches: WatchClient, s: MixState, events: number, seconds: number): Promise<VerbSummary> {
  const missing = await watchCatchUp(watches, s.created);
  const report = await watches.send({ cmd: 'report', sentAt: s.sentAt });
  const stats: VerbStats = { ...newStats(), latencies: report.latencies, errors: report.errors, firstErrors: report.firstErrors };
  if (missing > 0) {
    recordError(stats, `${missing} (watch, create) pairs: the watch selects the run but had no ADDED event for it ${WATCH_CATCH_UP_MS / 1000} s after the load stopped`, missing);
  }
  return summarizeVerb(stats, undefined, seconds, events);
}

/** Warm-up, memory, the measured mix, the watch check, memory again. */
async function soak(ctx: BenchContext, cluster: Cluster, watches: WatchClient, s: MixState): Promise<Measured> {
  const { soakSeconds, soakRate } = ctx.sizes;
  const warmupSeconds = Math.min(6, Math.max(3, soakSeconds / 10));
  const warm = await drive(mixVerbs(s, soakRate), warmupSeconds * 1000);
  const start = await sampleMemory(cluster.all(), ctx.redis, CHANGES_KEY, QUEUE_EVENTS_KEY);
  const before = await watches.send({ cmd: 'mark' });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  s.measuring = true;
  const pids = soakPids(ctx, cluster, watches);
  const t0 = monoMs();
  const { result: measured, cpu } = await measureCpu(pids.map(([, pid]) => pid), () => drive(mixVerbs(s, soakRate), soakSeconds * 1000));
  const seconds = (monoMs() - t0) / 1000;
  s.measuring = false;
  loop.disable();
  const after = await watches.send({ cmd: 'mark' });
  const verbs: Record<string, VerbSummary> = {};
  for (const v of VERBS) verbs[v] = summarizeVerb(measured.get(v) as VerbStats, warm.get(v), seconds);
  verbs.watch = await watchSummary(watches, s, after.events - before.events, seconds);
  const end = await sampleMemory(cluster.all(), ctx.redis, CHANGES_KEY, QUEUE_EVENTS_KEY);
  const requests = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
  const aof = ((await ctx.redis.config('GET', 'appendonly')) as string[])[1] === 'yes';
  const cpuShare = Object.fromEntries(pids.map(([name], i) => [name, (cpu[i] ?? 0) / seconds / 10]));
  return { seconds, warmupSeconds, verbs, start, end, aof, loopDelay: { requests, watches: after.loopDelay }, cpu: cpuShare };
}

function rows(ctx: BenchContext, m: Measured, cluster: Cluster): Row[] {
  const { soakRate, soakWatches } = ctx.sizes;
  const setup = `${cluster.apiservers.length} \`kube-actions apiserver\` + ${cluster.workers.length} \`kube-actions worker\` processes `
    + `(default flags), Redis ${m.aof ? 'with AOF (everysec)' : 'without persistence (no AOF, no RDB)'}, ${soakWatches} watches open throughout; ${m.seconds.toFixed(1)} s measured after `
    + `${m.warmupSeconds} s of warm-up; rates per second: create ${soakRate}, get ${soakRate * 5}, list ${soakRate / 2}, log ${soakRate / 2}, `
    + `exec ${soakRate / 4}, delete up to ${soakRate * 2} (runs older than ${DELETE_MIN_AGE_MS / 1000} s); latency from the request's start to its complete answer`;
  const notes: Record<string, string> = {
    create: setup,
    get: 'GET of a random live run',
    list: 'limit=50: one namespace with labelSelector soak-shard=…, or all namespaces with app=soak',
    log: 'log?follow=true to the end of the run (`echo hi`), half on the newest run (often pending or running)',
    exec: 'websocket v5.channel.k8s.io exec of `echo ok` into a run whose step sleeps: upgrade → Status on channel 3 → close',
    delete: `DELETE of the oldest run older than ${DELETE_MIN_AGE_MS / 1000} s that no read is using`,
    watch: 'count and throughput: watch events of any type received by all watches; latency: create sent → ADDED received, per (watch, create); '
      + 'errors: ERROR events, watches that ended, and (watch, create) pairs whose ADDED never came',
  };
  const exited = cluster.all().filter((p) => p.exited()).map((p) => p.name);
  return [
    ...[...VERBS, 'watch'].flatMap((v) => verbRows(v, m.verbs[v] as VerbSummary, notes[v] ?? '')),
    ...memoryRows(m.start, m.end),
    row('soak', 'bench: requests process event-loop delay p99', 'ms', m.loopDelay.requests.p99, {
      note: `the bench's two client processes, sampled every 10 ms over the measured period (max ${m.loopDelay.requests.max.toFixed(0)} ms `
        + `sending requests, ${m.loopDelay.watches.max.toFixed(0)} ms reading watches); the latencies above include such delays`,
    }),
    row('soak', 'bench: watch process event-loop delay p99', 'ms', m.loopDelay.watches.p99),
    row('soak', 'CPU of all the soak\'s processes', '% of a core', Object.values(m.cpu).reduce((a, b) => a + b, 0), {
      note: `over the measured period, from /proc/<pid>/stat (steps' own processes not included), of ${os.cpus().length} cores: `
        + Object.entries(m.cpu).map(([name, pct]) => `${name} ${pct.toFixed(0)}%`).join(', '),
    }),
    row('soak', 'server processes that exited', '', exited.length, {
      target: { text: '= 0', check: (n) => n === 0 }, ...(exited.length > 0 ? { note: `exited: ${exited.join(', ')}` } : {}),
    }),
  ];
}

async function withCluster<T>(ctx: BenchContext, fn: (cluster: Cluster, targets: HttpTarget[]) => Promise<T>): Promise<T> {
  const certDir = path.join(ctx.dir, 'certs');
  const cluster = await startCluster({
    redisUrl: ctx.redisChild.url, dir: path.join(ctx.dir, 'soak'), token: ctx.token, apiservers: 2, workers: 2,
    certFile: path.join(certDir, SERVING_CERT_FILES.cert), keyFile: path.join(certDir, SERVING_CERT_FILES.key),
  });
  const targets = cluster.ports.map((port) => ctx.target(port, 64));
  try {
    return await fn(cluster, targets);
  } finally {
    for (const t of targets) t.agent.destroy();
    await cluster.stop();
  }
}

/** Holders, watches from the current resourceVersion, the soak; cleans up what it made. */
async function runSoak(ctx: BenchContext, cluster: Cluster, targets: HttpTarget[]): Promise<Row[]> {
  const { soakSeconds, soakWatches, soakRate } = ctx.sizes;
  const first = targets[0] as HttpTarget;
  const holders = await startHolders(first, soakSeconds + 300);
  const watches = new WatchClient();
  try {
    const list = JSON.parse((await call(first, 'GET', `${runsPath('')}?limit=1`, 200)).body.toString('utf8')) as { metadata: { resourceVersion: string } };
    const rv = list.metadata.resourceVersion;
    const { count } = await watches.send({ cmd: 'open', specs: watchSpecs(soakWatches), ports: cluster.ports, rv, ca: ctx.tls.ca, token: ctx.token });
    const state: MixState = { targets, ca: ctx.tls.ca, token: ctx.token, pool: new RunPool(), holders, created: [], measuring: false, sentAt: {}, seq: 0 };
    const m = await soak(ctx, cluster, watches, state);
    ctx.details.soak = {
      seconds: m.seconds, warmupSeconds: m.warmupSeconds, watches: count, rate: soakRate, verbs: m.verbs,
      memory: { start: m.start, end: m.end }, loopDelayMs: m.loopDelay, redisAof: m.aof, cpuPercent: m.cpu,
    };
    return rows(ctx, m, cluster);
  } finally {
    await watches.stop();
    await Promise.all(holders.map((name) => call(first, 'DELETE', `${runsPath(HOLD_NAMESPACE)}/${name}`, 200).catch(() => undefined)));
  }
}

/** The sustained-load soak; strict: errors or memory growth beyond the bounds fail the bench. */
export const soakScenario: Scenario = {
  name: 'soak',
  strict: true,
  async run(ctx): Promise<Row[]> {
    await ctx.flush();
    try {
      return await withCluster(ctx, (cluster, targets) => runSoak(ctx, cluster, targets));
    } finally {
      await ctx.flush();
    }
  },
};
