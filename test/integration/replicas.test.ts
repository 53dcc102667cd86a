// Separate processes meeting only through Redis: two apiserver replicas and two workers. A run
// created through one replica is followed, exec'd into, logged and cancelled through the other;
// watches on both replicas see the same events in the same order; an informer behind a
// Service-like proxy survives the kill -9 of its replica and ends with exactly what Redis holds.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADD, CONNECT, DELETE, ERROR, type Informer, type KubernetesObject, makeInformer, UPDATE } from '@kubernetes/client-node';
import { ChannelClient, remoteCommandPath } from '../helpers/channel-client.js';
import { type ApiServerProcess, type Component, startApiServerProcess, startWorkerProcess } from '../helpers/components.js';
import { processesMatching, uniqueSleep } from '../helpers/procs.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { type ApiTarget, kubeConfigFor, type Run, RunClient, runsPath } from '../helpers/runs.js';
import { waitFor } from '../helpers/wait.js';

const NS = 'default';

interface Event {
  type: string;
  name: string;
  resourceVersion: string;
  phase?: string;
}

/** A raw watch: every event line parsed as it comes; `stop()` closes the connection. */
function watchEvents(target: ApiTarget, p: string): Promise<{ events: Event[]; stop(): void }> {
  return new Promise((resolve, reject) => {
    const events: Event[] = [];
    const req = https.get(new URL(p, target.url), { ca: target.ca, agent: false, headers: { Authorization: `Bearer ${target.token}` } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const e = JSON.parse(buf.slice(0, nl)) as { type: string; object: Run };
          buf = buf.slice(nl + 1);
          events.push({ type: e.type, name: e.object.metadata.name, resourceVersion: e.object.metadata.resourceVersion, phase: e.object.status?.phase });
        }
      });
      res.on('error', () => undefined);
      resolve({ events, stop: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

/** A TCP proxy standing in for the Service in front of the replicas: new connections go to `backend()`. */
async function serviceProxy(backend: () => number): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(backend(), '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream).pipe(client);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

describe('two apiserver replicas and two worker processes', { timeout: 180_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  let a: ApiServerProcess;
  let b: ApiServerProcess;
  let workers: Component[] = [];
  before(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-replicas-'));
    // One certificate directory: both replicas serve the same certificate, as behind one Service.
    a = await startApiServerProcess({ redisUrl: redis.url, dir: path.join(dir, 'api') });
    b = await startApiServerProcess({ redisUrl: redis.url, dir: path.join(dir, 'api') });
    workers = await Promise.all(['ws-1', 'ws-2'].map((ws) => startWorkerProcess({ redisUrl: redis.url, workspaceDir: path.join(dir, ws) })));
  });
  after(async () => {
    for (const w of workers) await w.stop();
    await a?.stop();
    await b?.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('exec, log, attach and cancel work through the replica that did not create the run', async () => {
    const viaA = new RunClient(a.target);
    const viaB = new RunClient(b.target);
    try {
      const marker = uniqueSleep();
      await viaA.create(NS, { name: 'shared' }, { params: { WHO: 'b' }, steps: [{ name: 'main', run: `echo started; sleep ${marker}` }] });
      await viaB.untilPhase(NS, 'shared', ['Running']);
      await waitFor(() => processesMatching(marker).length > 0, { timeoutMs: 20_000, message: 'the step to run' });

      const exec = await ChannelClient.open(b.target, remoteCommandPath(NS, 'shared', 'exec', {
        command: ['sh', '-c', 'echo "hello from $PARAM_WHO in $KUBEACTIONS_RUN"'], stdout: true, stderr: true,
      }), ['v5.channel.k8s.io']);
      await exec.waitOutput(1, 'hello from b in shared\n');
      assert.equal((await exec.finished()).status, '{"metadata":{},"status":"Success"}');

      const log = await viaB.log(NS, 'shared', '?limitBytes=8');
      assert.equal(log.body, 'started\n');

      // attach, through replica b, to a step with stdin that replica a created.
      await viaA.create(NS, { name: 'attached' }, { steps: [{ name: 'main', stdin: true, run: 'echo ready; while read l; do [ "$l" = quit ] && exit 0; echo "got $l"; done' }] });
      await waitFor(async () => (await viaB.log(NS, 'attached')).body === 'ready\n', { timeoutMs: 20_000, message: 'the stdin step to run' });
      const attach = await ChannelClient.open(b.target, remoteCommandPath(NS, 'attached', 'attach', { stdin: true, stdout: true, stderr: true, tty: false }), ['v5.channel.k8s.io']);
      attach.send(0, 'one\n');
      await attach.waitOutput(1, 'got one\n');
      attach.send(0, 'quit\n');
      assert.equal((await attach.finished()).status, '{"metadata":{},"status":"Success"}');
      assert.equal((await viaA.untilPhase(NS, 'attached', ['Succeeded', 'Failed'])).status?.phase, 'Succeeded');

      const cancel = await viaB.raw('POST', `/apis/kubeactions.dev/v1alpha1/namespaces/${NS}/workflowruns/shared/cancel`, { reason: 'from replica b' });
      assert.equal(cancel.status, 201);
      const done = await viaA.untilPhase(NS, 'shared', ['Cancelled']);
      assert.equal(done.status?.conditions?.find((c) => c.type === 'Succeeded')?.message, 'from replica b');
      await waitFor(() => processesMatching(marker).length === 0, { timeoutMs: 10_000, message: 'no step process left' });
    } finally {
      viaA.close();
      viaB.close();
    }
  });

  it('watches on either replica see the same events, in the same order, with the same resourceVersions', async () => {
    const ns = 'same-order';
    const viaA = new RunClient(a.target);
    const viaB = new RunClient(b.target);
    try {
      const from = (await viaA.list(ns)).resourceVersion;
      const watchPath = `${runsPath(ns)}?watch=true&resourceVersion=${from}`;
      const [onA, onB] = await Promise.all([watchEvents(a.target, watchPath), watchEvents(b.target, watchPath)]);
      // More runs than one worker's slots at once: both workers take some.
      const names = Array.from({ length: 30 }, (_, i) => `r${i}`);
      await Promise.all(names.map((name, i) => (i % 2 ? viaA : viaB).create(ns, { name }, { steps: [{ name: 'main', run: 'sleep 0.5; echo done' }] })));
      await Promise.all(['r0', 'r1', 'r2'].map((name, i) => (i % 2 ? viaB : viaA).delete(ns, name)));
      const settled = (events: Event[]): boolean => {
        const last = new Map(events.map((e) => [e.name, e]));
        return names.every((n) => ['r0', 'r1', 'r2'].includes(n) ? last.get(n)?.type === 'DELETED' : last.get(n)?.phase === 'Succeeded');
      };
      await waitFor(() => settled(onA.events) && settled(onB.events) && onA.events.length === onB.events.length, {
        timeoutMs: 60_000, message: 'both watches to see every run finish or go',
      });
      onA.stop();
      onB.stop();
      assert.deepEqual(onA.events, onB.events);
      const rvs = onA.events.map((e) => BigInt(e.resourceVersion));
      for (let i = 1; i < rvs.length; i++) assert.ok((rvs[i] ?? 0n) > (rvs[i - 1] ?? 0n), 'resourceVersions strictly increase');
      assert.ok(onA.events.length >= names.length * 3, `ADDED, Running, Succeeded at least per run (${onA.events.length} events)`);
      const ran = new Set((await viaA.list(ns)).items.map((r) => r.status?.workerId?.split('-').at(-1)));
      for (const w of workers) assert.ok(ran.has(String(w.proc.pid)), `worker ${w.proc.pid} ran some of the runs`);
    } finally {
      viaA.close();
      viaB.close();
    }
  });

  it('kill -9 of the replica an informer watches through: reconnected to the other, it ends with what Redis holds', async () => {
    const ns = 'informed';
    let backend = new URL(a.target.url).port;
    const proxy = await serviceProxy(() => Number(backend));
    const service: ApiTarget = { ...a.target, url: `https://127.0.0.1:${proxy.port}` };
    const viaService = new RunClient(service);
    const viaB = new RunClient(b.target);
    const informer = makeInformer<KubernetesObject>(kubeConfigFor(service), runsPath(ns), async () => {
      const res = await viaService.raw('GET', runsPath(ns));
      if (res.status !== 200) throw new Error(`list: ${res.status} ${res.body}`);
      return JSON.parse(res.body) as never;
    }) as Informer<KubernetesObject> & { list(namespace?: string): KubernetesObject[] };
    const added = new Set<string>();
    let errors = 0;
    let connects = 0;
    let done = false;
    informer.on(ADD, (o) => added.add(o.metadata?.name ?? ''));
    informer.on(UPDATE, () => undefined);
    informer.on(DELETE, () => undefined);
    informer.on(CONNECT, () => connects++);
    // What a controller does: on a watch error, start again (from its last resourceVersion).
    informer.on(ERROR, () => {
      errors++;
      if (!done) setImmediate(() => void informer.start().catch(() => undefined));
    });
    const spec = { steps: [{ name: 'main', run: 'echo done' }] };
    try {
      for (let i = 0; i < 10; i++) await viaB.create(ns, { name: `before-${i}` }, spec);
      await informer.start();
      await waitFor(() => added.size === 10, { timeoutMs: 20_000, message: 'the informer to list the first runs' });
      for (let i = 0; i < 5; i++) await viaB.create(ns, { name: `during-${i}` }, spec);

      backend = new URL(b.target.url).port;
      await a.kill9();
      for (let i = 5; i < 10; i++) await viaB.create(ns, { name: `during-${i}` }, spec);
      await viaB.delete(ns, 'before-0');
      for (let i = 0; i < 10; i++) await viaB.create(ns, { name: `after-${i}` }, spec);
      const expected = 29;
      await waitFor(async () => (await viaB.list(ns)).items.filter((r) => r.status?.phase === 'Succeeded').length === expected, {
        timeoutMs: 60_000, message: 'every run to succeed',
      });
      const fresh = await viaB.list(ns);
      const versions = (runs: (Run | KubernetesObject)[]): string[] => runs.map((r) => `${r.metadata?.name}@${r.metadata?.resourceVersion}`).sort();
      await waitFor(() => versions(informer.list(ns)).join() === versions(fresh.items).join(), {
        timeoutMs: 20_000, message: 'the informer to hold exactly what Redis holds',
      });
      assert.ok(errors >= 1, 'the informer saw its watch break');
      assert.ok(connects >= 2, 'and connected again');
      assert.equal(added.size, 30, 'every run created, including while the replica was down, reached the informer');
    } finally {
      done = true;
      await informer.stop();
      viaService.close();
      viaB.close();
      proxy.close();
    }
  });
});
