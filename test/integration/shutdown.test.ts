// SIGTERM, as Kubernetes sends it to a pod it stops: the apiserver accepts nothing new, finishes
// the requests in flight and ends watches and log follows cleanly; a worker finishes its runs
// within --shutdown-grace-period or stops their steps and hands the runs back to the queue, where
// another worker takes them at once (not after the lock expires) with the attempt not counted.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiServerProcess, type Component, startApiServerProcess, startWorkerProcess } from '../helpers/components.js';
import { processesMatching, uniqueSleep } from '../helpers/procs.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { type ApiTarget, RunClient, runsPath } from '../helpers/runs.js';
import { waitFor } from '../helpers/wait.js';

const NS = 'default';

/** A streamed GET whose outcome is told apart: a clean end of the body, or a broken connection. */
interface Followed {
  status: number;
  text(): string;
  outcome(): 'open' | 'ended' | 'broken';
}

function follow(target: ApiTarget, p: string): Promise<Followed> {
  return new Promise((resolve, reject) => {
    const req = https.get(new URL(p, target.url), { ca: target.ca, agent: false, headers: { Authorization: `Bearer ${target.token}` } }, (res) => {
      let text = '';
      let outcome: 'open' | 'ended' | 'broken' = 'open';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => (outcome = outcome === 'open' ? 'ended' : outcome));
      res.on('aborted', () => (outcome = 'broken'));
      res.on('error', () => (outcome = outcome === 'open' ? 'broken' : outcome));
      resolve({ status: res.statusCode ?? 0, text: () => text, outcome: () => outcome });
    });
    req.on('error', reject);
  });
}

/** Resolves with the exit code; rejects if the process has not exited within `ms`. */
function exitWithin(c: Component, ms: number): Promise<number | null> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return Promise.resolve(c.proc.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms:\n${c.output()}`)), ms);
    c.proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function refused(target: ApiTarget): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(new URL('/healthz', target.url), { ca: target.ca, agent: false }, (res) => {
      res.resume();
      resolve(false);
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('SIGTERM', { timeout: 120_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  const started: Component[] = [];
  before(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-shutdown-'));
  });
  after(async () => {
    for (const c of started) await c.kill9();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const api = async (name: string): Promise<ApiServerProcess> => {
    const c = await startApiServerProcess({ redisUrl: redis.url, dir: path.join(dir, name), args: ['--shutdown-grace-period', '20s'] });
    started.push(c);
    return c;
  };
  const worker = async (name: string, args: string[]): Promise<Component> => {
    const c = await startWorkerProcess({ redisUrl: redis.url, workspaceDir: path.join(dir, name), args });
    started.push(c);
    return c;
  };

  it('the apiserver finishes a request in flight, ends watches and log follows cleanly, then exits', async () => {
    const a = await api('api-a');
    const b = await api('api-b');
    const viaA = new RunClient(a.target);
    const viaB = new RunClient(b.target);
    try {
      await viaA.create(NS, { name: 'waits' }, { steps: [{ name: 'main', run: 'echo hi' }] });
      const watch = await follow(a.target, `${runsPath(NS)}?watch=true&allowWatchBookmarks=true`);
      const log = await follow(a.target, `${runsPath(NS)}/waits/log?follow=true`);
      assert.equal(watch.status, 200);
      assert.equal(log.status, 200);

      // A create whose headers the server has taken (100 Continue) but whose body is still to come.
      const body = JSON.stringify({ apiVersion: 'kubeactions.dev/v1alpha1', kind: 'WorkflowRun', metadata: { name: 'in-flight' }, spec: { steps: [{ name: 'main', run: 'true' }] } });
      const inFlight = https.request(new URL(runsPath(NS), a.target.url), {
        method: 'POST', ca: a.target.ca, agent: false,
        headers: { Authorization: `Bearer ${a.target.token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Expect: '100-continue' },
      });
      const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
        inFlight.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        inFlight.on('error', reject);
      });
      await new Promise<void>((resolve) => inFlight.once('continue', () => resolve()));

      a.proc.kill('SIGTERM');
      const exited = exitWithin(a, 20_000);
      await waitFor(() => watch.outcome() !== 'open' && log.outcome() !== 'open', { timeoutMs: 10_000, message: 'the watch and the log follow to end' });
      assert.equal(watch.outcome(), 'ended', 'the watch ended with a complete body');
      assert.equal(log.outcome(), 'ended', 'the log follow ended with a complete body');
      await waitFor(() => refused(a.target), { timeoutMs: 10_000, message: 'new connections to be refused' });

      inFlight.end(body);
      const created = await answer;
      assert.equal(created.status, 201, created.text);
      assert.equal(await exited, 0);
      assert.equal((await viaB.get(NS, 'in-flight'))?.metadata.name, 'in-flight', 'the request finished during shutdown was stored');
      assert.match(a.output(), /"msg":"shutting down"/);
    } finally {
      viaA.close();
      viaB.close();
    }
  });

  it('with --shutdown-delay-duration the apiserver fails /readyz and keeps serving for the delay, then closes', async () => {
    const c = await startApiServerProcess({ redisUrl: redis.url, dir: path.join(dir, 'api-delay'), args: ['--shutdown-delay-duration', '3s'] });
    started.push(c);
    const runs = new RunClient(c.target);
    try {
      assert.equal((await runs.raw('GET', '/readyz')).status, 200);
      const t0 = Date.now();
      c.proc.kill('SIGTERM');
      await waitFor(async () => (await runs.raw('GET', '/readyz')).status === 500, { timeoutMs: 2_000, message: '/readyz to fail' });
      const readyz = await runs.raw('GET', '/readyz?verbose');
      assert.match(readyz.body, /^\[-\]shutdown failed: reason withheld$/m);
      assert.match(readyz.body, /^\[\+\]redis ok$/m);
      assert.equal((await runs.raw('GET', runsPath(NS))).status, 200, 'requests are still served during the delay');
      assert.ok(Date.now() - t0 < 2_500, 'checked within the delay');
      await waitFor(() => refused(c.target), { timeoutMs: 10_000, message: 'new connections to be refused after the delay' });
      assert.ok(Date.now() - t0 >= 3_000, 'not before the delay');
      assert.equal(await exitWithin(c, 20_000), 0);
    } finally {
      runs.close();
    }
  });

  it('a worker lets a run finish within the grace period and takes no new run meanwhile', async () => {
    const a = await api('api-c');
    const runs = new RunClient(a.target);
    try {
      const w1 = await worker('ws-1', ['--shutdown-grace-period', '30s']);
      const marker = uniqueSleep().replace(/^1000\./, '2.');
      await runs.create(NS, { name: 'finishes' }, { steps: [{ name: 'main', run: `sleep ${marker}; echo finished` }] });
      await runs.untilPhase(NS, 'finishes', ['Running']);
      await waitFor(() => processesMatching(marker).length > 0, { timeoutMs: 20_000, message: 'the step to run' });

      w1.proc.kill('SIGTERM');
      await waitFor(() => /"msg":"shutting down"/.test(w1.output()), { timeoutMs: 10_000, message: 'the worker to begin shutting down' });
      await runs.create(NS, { name: 'later' }, { steps: [{ name: 'main', run: 'echo later' }] });
      assert.equal(await exitWithin(w1, 30_000), 0);

      const done = await runs.untilPhase(NS, 'finishes', ['Succeeded', 'Failed']);
      assert.equal(done.status?.phase, 'Succeeded');
      assert.equal(done.status?.attempt, 1);
      assert.equal((await runs.log(NS, 'finishes')).body, 'finished\n');
      assert.equal((await runs.get(NS, 'later'))?.status?.phase, 'Pending', 'a closing worker took a new run');

      const w2 = await worker('ws-2', []);
      const later = await runs.untilPhase(NS, 'later', ['Succeeded']);
      assert.equal(later.status?.workerId?.endsWith(`-${w2.proc.pid}`), true);
      await w2.stop();
    } finally {
      runs.close();
    }
  });

  it('a worker exits within a bounded time even when Redis cannot be reached, leaving no step process', async () => {
    const a = await api('api-e');
    const runs = new RunClient(a.target);
    const signalRedis = (sig: NodeJS.Signals): void => redis.pids.forEach((pid) => process.kill(pid, sig));
    try {
      const w = await worker('ws-5', ['--shutdown-grace-period', '500ms', '--kill-grace-period', '1']);
      const marker = uniqueSleep();
      await runs.create(NS, { name: 'redis-away' }, { steps: [{ name: 'main', run: `sleep ${marker}` }] });
      await runs.untilPhase(NS, 'redis-away', ['Running']);
      await waitFor(() => processesMatching(marker).length > 0, { timeoutMs: 20_000, message: 'the step to run' });
      signalRedis('SIGSTOP');
      try {
        const t0 = Date.now();
        w.proc.kill('SIGTERM');
        // 0.5 s grace + 1 s kill grace + 5 s slack.
        assert.equal(await exitWithin(w, 15_000), 0);
        assert.ok(Date.now() - t0 >= 6_000, 'it waited for its bound before giving up');
        assert.match(w.output(), /"msg":"the worker did not close in time/);
        await waitFor(() => processesMatching(marker).length === 0, { timeoutMs: 5_000, message: 'no step process left' });
      } finally {
        signalRedis('SIGCONT');
      }
      await runs.raw('DELETE', `${runsPath(NS)}/redis-away`);
    } finally {
      runs.close();
    }
  });

  it('a worker stops what outlasts the grace period and hands it back; another worker reruns the attempt at once', async () => {
    const a = await api('api-d');
    const runs = new RunClient(a.target);
    try {
      // A long lock: if the hand-back failed, the run would only be found after 60 s.
      const long = ['--lock-duration', '60', '--stalled-interval', '30'];
      const w1 = await worker('ws-3', ['--shutdown-grace-period', '500ms', ...long]);
      const marker = uniqueSleep();
      await runs.create(NS, { name: 'handed-back' }, { steps: [{ name: 'main', run: `echo "attempt $KUBEACTIONS_ATTEMPT"; sleep ${marker}` }] });
      const first = await runs.untilPhase(NS, 'handed-back', ['Running']);
      assert.equal(first.status?.workerId?.endsWith(`-${w1.proc.pid}`), true);
      await waitFor(() => processesMatching(marker).length > 0, { timeoutMs: 20_000, message: 'the step to run' });
      const w2 = await worker('ws-4', long);

      const t0 = Date.now();
      w1.proc.kill('SIGTERM');
      assert.equal(await exitWithin(w1, 15_000), 0);
      const again = await runs.until(NS, 'handed-back', (r) => r?.status?.phase === 'Running' && !!r.status.workerId?.endsWith(`-${w2.proc.pid}`),
        'the run to run on the second worker', 20_000);
      assert.ok(Date.now() - t0 < 20_000);
      assert.equal(again?.status?.attempt, 1, 'the handed-back attempt is not counted');
      await waitFor(() => processesMatching(marker).length > 0, { timeoutMs: 20_000, message: 'the step to run again' });
      const log = (await runs.log(NS, 'handed-back')).body;
      assert.match(log, /^attempt 1\n\[kube-actions\] step main: aborted: Shutdown\n\[kube-actions\] worker \S+ shut down during attempt 1; the attempt restarts on another worker\nattempt 1\n$/);

      const cancel = await runs.raw('POST', `${runsPath(NS)}/handed-back/cancel`, {});
      assert.equal(cancel.status, 201);
      await runs.untilPhase(NS, 'handed-back', ['Cancelled']);
      await waitFor(() => processesMatching(marker).length === 0, { timeoutMs: 10_000, message: 'no step process left' });
    } finally {
      runs.close();
    }
  });
});
