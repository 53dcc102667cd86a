// Hostile input (issue #5 §4): thousands of generated malformed requests against an apiserver in
// its own process. Every one gets a 4xx metav1.Status, the server keeps serving, its memory stays
// flat, and Redis holds exactly what it held before. Websocket sessions get malformed frames and
// protocol violations; only the offending socket is closed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { ChannelClient, refusedUpgrade, remoteCommandPath } from '../helpers/channel-client.js';
import { type ApiServerProcess, type Component, startApiServerProcess, startWorkerProcess } from '../helpers/components.js';
import type { Fixture } from '../helpers/hostile/case.js';
import { generateCases } from '../helpers/hostile/families.js';
import { Prng } from '../helpers/hostile/prng.js';
import { rawCases, rawExchange, rawProblem } from '../helpers/hostile/raw-socket.js';
import { diffSnapshots, type RedisSnapshot, snapshotRedis, waitForShortLivedKeys } from '../helpers/hostile/redis-snapshot.js';
import { type Failure, sendAll, statusProblem } from '../helpers/hostile/send.js';
import { handUpgrades, ignoredFrames, protocolViolations, refusedUpgrades, sendHandUpgrade, type WsFixture } from '../helpers/hostile/ws-cases.js';
import { rawWebSocket } from '../helpers/hostile/ws-raw.js';
import { killMatching, processesMatching, uniqueSleep } from '../helpers/procs.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { RunClient } from '../helpers/runs.js';
import { waitFor } from '../helpers/wait.js';

const SEED = 0x5eed;
/** Rounds of every family, each from its own seed; the first is also the warm-up. */
const ROUNDS = 2;
const CONCURRENCY = 16;
const NS = 'hostile';
const WS_NS = 'hostile-ws';
const V5 = ['v5.channel.k8s.io'];
/**
 * How much the apiserver's RSS may exceed, at the end, the highest it was during the warm-up
 * round. No GC can be forced in another process, and V8's heap swings by tens of MiB with the
 * garbage it has not collected yet, so the warm-up round (the same load as the later ones) sets
 * the envelope, and the end is the lowest RSS seen within END_SETTLE_MS while light requests keep
 * V8 collecting. A leak of what the hostile requests carry would be far larger than the bound: a
 * round sends over 100 MiB of bodies (the oversized ones alone 24 × 3–4 MiB, plus 1 MiB names
 * quoted back in Status messages), so keeping even half a tenth of one round would exceed it.
 */
const RSS_GROWTH_LIMIT_MIB = 48;
const END_SETTLE_MS = 20_000;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

function describeFailures(failures: Failure[]): string {
  const lines = failures.slice(0, 25).map((f) => `[${f.family}] ${f.what}: ${f.problem} ${f.body}`);
  return `${failures.length} wrong answers:\n${lines.join('\n')}`;
}

describe('hostile input', { timeout: 300_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  let api: ApiServerProcess;
  let worker: Component | undefined;
  let runs: RunClient;
  let fx: Fixture;
  let before1: RedisSnapshot;
  let rssWarmupPeak = 0;
  const markers: string[] = [];

  /** A well-formed GET of the fixture still answers 200 with the run. */
  async function assertServing(): Promise<void> {
    const run = await runs.get(NS, fx.name);
    assert.equal(run?.metadata.uid, fx.uid, 'a well-formed GET still works');
  }

  before(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-hostile-'));
    api = await startApiServerProcess({ redisUrl: redis.url, dir: path.join(dir, 'api') });
    worker = await startWorkerProcess({ redisUrl: redis.url, workspaceDir: path.join(dir, 'ws') });
    runs = new RunClient(api.target);
    const done = await runs.create(NS, { name: 'hostile-done', labels: { app: 'hostile' } }, { steps: [{ name: 'quick', run: 'echo done' }] });
    await runs.untilPhase(NS, done.metadata.name, ['Succeeded']);
    fx = { namespace: NS, name: done.metadata.name, uid: done.metadata.uid };
    // Nothing may change Redis legitimately while the HTTP requests are sent: no worker runs.
    await worker.stop();
    worker = undefined;
    await waitForShortLivedKeys(redis.url);
    before1 = await snapshotRedis(redis.url);
  });

  after(async () => {
    for (const m of markers) killMatching(m);
    runs?.close();
    await worker?.stop();
    await api?.stop();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function sendRound(t: TestContext, round: number): Promise<void> {
    const families = generateCases(SEED + round, fx);
    const failures: Failure[] = [];
    let total = 0;
    for (const [family, cases] of families) {
      const started = Date.now();
      failures.push(...(await sendAll(api.target, cases, CONCURRENCY)));
      total += cases.length;
      if (round === 0) t.diagnostic(`${family}: ${cases.length} requests in ${Date.now() - started} ms`);
      try {
        await assertServing();
      } catch (err) {
        failures.push({ family, what: 'a well-formed GET after the family', problem: (err as Error).message, body: '' });
        break;
      }
    }
    t.diagnostic(`round ${round}: ${total} requests`);
    assert.deepEqual(failures, [], describeFailures(failures));
    assert.ok(total >= 1000, `a round has at least 1,000 requests (${total})`);
  }

  it('every generated malformed request gets a 4xx metav1.Status; a well-formed GET works after each family', async (t) => {
    const sampler = setInterval(() => (rssWarmupPeak = Math.max(rssWarmupPeak, rssMiB(api.proc.pid ?? 0))), 100);
    try {
      await sendRound(t, 0);
    } finally {
      clearInterval(sampler);
    }
    t.diagnostic(`apiserver RSS peaked at ${rssWarmupPeak.toFixed(1)} MiB in the warm-up round`);
  });

  it('garbage below HTTP (bad request lines, non-TLS bytes, garbage TLS records) gets a 4xx or a close', async (t) => {
    const problems: string[] = [];
    const cases = rawCases(new Prng(SEED));
    for (const c of cases) {
      const problem = rawProblem(c, await rawExchange(api.target, c));
      if (problem !== undefined) problems.push(`${c.what}: ${problem}`);
      await assertServing();
    }
    t.diagnostic(`${cases.length} raw exchanges; apiserver RSS ${rssMiB(api.proc.pid ?? 0).toFixed(1)} MiB`);
    assert.deepEqual(problems, []);
  });

  it('further rounds with other seeds get the same answers', async (t) => {
    for (let round = 1; round < ROUNDS; round++) await sendRound(t, round);
    t.diagnostic(`apiserver RSS after ${ROUNDS} rounds: ${rssMiB(api.proc.pid ?? 0).toFixed(1)} MiB`);
  });

  it('Redis holds exactly what it held before the HTTP requests', async () => {
    assert.deepEqual(diffSnapshots(before1, await snapshotRedis(redis.url)), []);
  });

  describe('websockets', () => {
    let wfx: WsFixture;
    const execPath = (command: string[], stdin = false): string =>
      remoteCommandPath(WS_NS, wfx.running, 'exec', { command, stdin, stdout: true, stderr: true, tty: false });

    async function assertExecWorks(): Promise<void> {
      await assertServing();
      const s = await ChannelClient.open(api.target, execPath(['echo', 'still serving']), V5);
      assert.equal((await s.finished()).code, 1000);
      assert.equal(s.output(1), 'still serving\n');
    }

    before(async () => {
      worker = await startWorkerProcess({ redisUrl: redis.url, workspaceDir: path.join(dir, 'ws2') });
      const hold = uniqueSleep();
      markers.push(hold);
      const [running, finished] = await Promise.all([
        runs.create(WS_NS, { name: 'held' }, { steps: [{ name: 'hold', run: `cat; sleep ${hold}`, stdin: true }] }),
        runs.create(WS_NS, { name: 'finished' }, { steps: [{ name: 'quick', run: 'true' }] }),
      ]);
      wfx = { namespace: WS_NS, running: running.metadata.name, finished: finished.metadata.name };
      await Promise.all([
        runs.until(WS_NS, wfx.running, (r) => r?.status?.steps?.[0]?.phase === 'Running', 'step hold to run'),
        runs.untilPhase(WS_NS, wfx.finished, ['Succeeded']),
      ]);
    });

    it('upgrades with bad subprotocols, options or targets are refused with a Status', async () => {
      const problems: string[] = [];
      for (const c of refusedUpgrades(new Prng(SEED), wfx, api.target.token)) {
        const r = await refusedUpgrade(api.target, c.path, c.protocols);
        const problem = statusProblem({ family: 'ws', what: c.what, method: 'GET', path: c.path, code: c.code },
          { status: r.status, contentType: r.contentType ?? '', body: JSON.stringify(r.body), ms: 0 });
        if (problem !== undefined) problems.push(`${c.what}: ${problem} ${JSON.stringify(r.body)}`);
      }
      for (const c of handUpgrades()) {
        const r = await sendHandUpgrade(api.target, execPath(['true']), c);
        const problem = statusProblem({ family: 'ws', what: c.what, method: c.method, path: '' }, { ...r, ms: 0 });
        if (problem !== undefined) problems.push(`${c.what}: ${problem} ${r.body.slice(0, 200)}`);
      }
      const anonymous = await sendHandUpgrade(api.target, execPath(['true']), handUpgrades()[2] ?? { what: '', method: 'GET', headers: {} }, null);
      if (anonymous.status !== 401) problems.push(`no credentials: ${anonymous.status} ${anonymous.body}`);
      assert.deepEqual(problems, []);
      await assertExecWorks();
    });

    for (const sub of ['exec', 'attach'] as const) {
      it(`${sub}: malformed channel frames are ignored and the session keeps working`, async () => {
        const path = sub === 'exec' ? execPath(['cat'], true) : remoteCommandPath(WS_NS, wfx.running, 'attach', { stdin: true, stdout: true, stderr: true, tty: false });
        const s = await ChannelClient.open(api.target, path, V5);
        const frames = ignoredFrames(new Prng(SEED + (sub === 'exec' ? 1 : 2)));
        for (const f of frames) s.ws.send(f.data, { binary: f.binary });
        s.send(0, `${sub} still alive\n`);
        await s.waitOutput(1, `${sub} still alive\n`);
        assert.equal(s.closedWith, undefined, `the session is open after ${frames.length} malformed frames`);
        s.ws.close(1000);
        await s.closed;
        await assertExecWorks();
      });

      it(`${sub}: a frame over 1 MiB closes that socket with 1009`, async () => {
        const path = sub === 'exec' ? execPath(['cat'], true) : remoteCommandPath(WS_NS, wfx.running, 'attach', { stdin: true, stdout: true, tty: false });
        const s = await ChannelClient.open(api.target, path, V5);
        s.send(0, Buffer.alloc(1024 * 1024 + 16, 0x61));
        assert.equal((await s.finished(10_000)).code, 1009, s.describe());
        await assertExecWorks();
      });
    }

    it('websocket protocol violations and text frames with invalid UTF-8 close only that socket', async () => {
      const problems: string[] = [];
      for (const c of protocolViolations()) {
        const o = await rawWebSocket(api.target, execPath(['cat'], true), c.frames);
        if (!o.upgraded) problems.push(`${c.what}: not upgraded`);
        else if (!o.closed) problems.push(`${c.what}: the server did not close the socket`);
        else if (o.closeCode !== undefined && !c.codes.includes(o.closeCode)) problems.push(`${c.what}: closed with ${o.closeCode}, expected ${c.codes.join('|')}`);
      }
      assert.deepEqual(problems, []);
      await assertExecWorks();
      const run = await runs.get(WS_NS, wfx.running);
      assert.equal(run?.status?.phase, 'Running', 'the held run still runs');
      assert.ok(processesMatching(markers[0] ?? '').length > 0 || run?.status?.steps?.[0]?.phase === 'Running');
    });

    it('apiserver memory stayed flat from after the warm-up round to the end', async (t) => {
      assert.ok(rssWarmupPeak > 0, 'RSS was measured during the warm-up round');
      let rssEnd = Infinity;
      try {
        await waitFor(async () => {
          await assertServing();
          rssEnd = Math.min(rssEnd, rssMiB(api.proc.pid ?? 0));
          return rssEnd - rssWarmupPeak < RSS_GROWTH_LIMIT_MIB;
        }, { timeoutMs: END_SETTLE_MS, intervalMs: 50, message: 'apiserver RSS to settle' });
      } finally {
        t.diagnostic(`apiserver RSS: peak ${rssWarmupPeak.toFixed(1)} MiB in the warm-up round, lowest ${rssEnd.toFixed(1)} MiB at the end`);
      }
    });
  });
});
