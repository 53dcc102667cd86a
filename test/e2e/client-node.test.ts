// The real @kubernetes/client-node against the real `kube-actions dev`: KubernetesObjectApi
// CRUD, Watch, and an informer (ListWatch) that relists after its resourceVersion expired.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ADD, ApiException, CONNECT, DELETE, ERROR, type Informer, KubeConfig, type KubernetesListObject,
  type KubernetesObject, KubernetesObjectApi, PatchStrategy, UPDATE, Watch, makeInformer,
} from '@kubernetes/client-node';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const API_VERSION = 'kubeactions.dev/v1alpha1';
const KIND = 'WorkflowRun';

interface Run extends KubernetesObject {
  spec?: { steps: { name: string; run: string }[] };
  status?: { phase?: string; attempt?: number };
}

interface WatchEvent {
  type: string;
  object: Run & { code?: number; reason?: string; kind?: string; message?: string };
}

function runsPath(namespace: string): string {
  return `/apis/kubeactions.dev/v1alpha1/namespaces/${namespace}/workflowruns`;
}

function newRun(namespace: string, meta: { name?: string; generateName?: string; labels?: Record<string, string> }, script: string): Run {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { namespace, ...meta }, spec: { steps: [{ name: 'main', run: script }] } };
}

/** The ApiException a client call rejected with; fails the test if it resolved. */
interface StatusBody {
  kind?: string;
  code?: number;
  reason?: string;
}

/** The HTTP code and Status body of the ApiException a call rejected with (client-node keeps the body as text). */
async function apiError(call: Promise<unknown>): Promise<{ code: number; body: StatusBody }> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected an ApiException, got ${String(err)}`);
    const e = err as ApiException<unknown>;
    return { code: e.code, body: (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as StatusBody };
  }
  assert.fail('the call succeeded but should have failed');
}

function rv(obj: KubernetesObject): bigint {
  const v = obj.metadata?.resourceVersion;
  assert.ok(v && /^\d+$/.test(v), `resourceVersion "${v}" is a decimal integer`);
  return BigInt(v);
}

/** name → resourceVersion of a set of objects, sorted by name. */
function versions(objs: KubernetesObject[]): [string, string][] {
  return objs.map((o): [string, string] => [o.metadata?.name ?? '', o.metadata?.resourceVersion ?? '']).sort(([a], [b]) => a.localeCompare(b));
}

describe('@kubernetes/client-node against kube-actions dev', { timeout: 110_000 }, () => {
  let server: DevServer;
  let kc: KubeConfig;
  let api: KubernetesObjectApi;

  const list = (namespace: string): Promise<KubernetesListObject<Run>> => api.list<Run>(API_VERSION, KIND, namespace);
  const read = (namespace: string, name: string): Promise<Run> =>
    api.read<Run>({ apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace } });
  const waitPhase = async (namespace: string, name: string, phases: string[]): Promise<Run> => {
    let last: Run | undefined;
    await waitFor(async () => phases.includes((last = await read(namespace, name)).status?.phase ?? ''), {
      timeoutMs: 30_000, intervalMs: 50, message: `${namespace}/${name} to reach ${phases.join('|')}`,
    });
    return last as Run;
  };

  before(async () => {
    server = await startDevServer({ args: ['--change-history', '5'] });
    kc = new KubeConfig();
    kc.loadFromFile(server.kubeconfig);
    api = KubernetesObjectApi.makeApiClient(kc);
  });
  after(async () => {
    const alive = server?.proc.exitCode === null && server.proc.signalCode === null;
    const out = server?.output() ?? '';
    await server?.stop();
    assert.ok(alive, `kube-actions dev exited during the tests:\n${out}`);
  });

  it('KubernetesObjectApi: create (generateName), read, list, merge patch, strategic merge 415, delete', async () => {
    const ns = 'cn-crud';
    const created = await api.create(newRun(ns, { generateName: 'crud-', labels: { app: 'web' } }, 'echo crud'));
    const name = created.metadata?.name ?? '';
    assert.match(name, /^crud-[a-z0-9]{5}$/);
    assert.equal(created.kind, KIND);
    assert.equal(created.apiVersion, API_VERSION);
    assert.equal(created.metadata?.namespace, ns);
    assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    const createdRv = rv(created);

    const got = await read(ns, name);
    assert.equal(got.metadata?.uid, created.metadata?.uid);
    assert.deepEqual(got.metadata?.labels, { app: 'web' });
    assert.ok(rv(got) >= createdRv);

    const listed = await list(ns);
    assert.deepEqual(listed.items.map((i) => i.metadata?.name), [name]);
    assert.ok(BigInt(listed.metadata?.resourceVersion ?? '0') >= createdRv, 'the list resourceVersion is at least the object\'s');

    const done = await waitPhase(ns, name, ['Succeeded']);
    const patch = { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: ns, labels: { patched: 'yes' } } };
    const patched = await api.patch<Run>(patch, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
    assert.deepEqual(patched.metadata?.labels, { app: 'web', patched: 'yes' });
    assert.ok(rv(patched) > rv(done), 'a patch moves the resourceVersion forward');
    assert.equal(patched.status?.phase, 'Succeeded');

    const smp = await apiError(api.patch(patch));
    assert.equal(smp.code, 415);
    assert.equal(smp.body.kind, 'Status');
    assert.equal(smp.body.code, 415);
    assert.equal(smp.body.reason, 'UnsupportedMediaType');
    assert.deepEqual((await read(ns, name)).metadata?.labels, { app: 'web', patched: 'yes' }, 'the rejected patch changed nothing');

    await api.delete({ apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: ns } });
    const gone = await apiError(read(ns, name));
    assert.equal(gone.code, 404);
    assert.equal(gone.body.reason, 'NotFound');
    assert.deepEqual((await list(ns)).items, []);
  });

  it('Watch from a resourceVersion sees ADDED then MODIFIED events, resourceVersions increasing, as the run runs', async () => {
    const ns = 'cn-watch';
    const start = (await list(ns)).metadata?.resourceVersion ?? '';
    const events: WatchEvent[] = [];
    let ended: unknown = 'open';
    const controller = await new Watch(kc).watch(runsPath(ns), { resourceVersion: start },
      (type, object) => events.push({ type, object: object as WatchEvent['object'] }), (err) => (ended = err));
    try {
      const run = newRun(ns, { name: 'watched' }, 'echo one; echo two');
      run.spec?.steps.push({ name: 'second', run: 'echo three' });
      await api.create(run);
      await waitFor(() => events.some((e) => e.object.status?.phase === 'Succeeded'), {
        timeoutMs: 30_000, message: `a watch event with phase Succeeded (got ${JSON.stringify(events.map((e) => e.type))})`,
      });
      assert.equal(ended, 'open', 'the watch is still open');
    } finally {
      controller.abort();
    }
    assert.ok(events.length >= 3, `at least ADDED, Running and Succeeded: ${events.length} events`);
    assert.equal(events[0]?.type, 'ADDED');
    assert.equal(events[0]?.object.metadata?.name, 'watched');
    for (const e of events.slice(1)) assert.equal(e.type, 'MODIFIED');
    const rvs = events.map((e) => rv(e.object));
    assert.ok(rvs[0] !== undefined && rvs[0] > BigInt(start), 'the first event is newer than the list it started from');
    for (let i = 1; i < rvs.length; i++) assert.ok((rvs[i] ?? 0n) > (rvs[i - 1] ?? 0n), `resourceVersions strictly increase: ${rvs.join(',')}`);
    const phases = events.map((e) => e.object.status?.phase);
    assert.ok(phases.includes('Running'), `a Running event: ${phases.join(',')}`);
    assert.equal(phases.at(-1), 'Succeeded');
  });

  it('an informer gets add/update, then relists after its resourceVersion expired (410) to exactly what exists', async () => {
    const ns = 'cn-informer';
    const informer: Informer<Run> & { list(namespace?: string): Run[]; latestResourceVersion(): string } =
      makeInformer<Run>(kc, runsPath(ns), () => list(ns)) as never;
    const added: string[] = [];
    const updated: Run[] = [];
    const deleted: string[] = [];
    const errors: unknown[] = [];
    let connects = 0;
    informer.on(ADD, (o) => added.push(o.metadata?.name ?? ''));
    informer.on(UPDATE, (o) => updated.push(o));
    informer.on(DELETE, (o) => deleted.push(o.metadata?.name ?? ''));
    informer.on(ERROR, (err) => errors.push(err));
    informer.on(CONNECT, () => connects++);

    await api.create(newRun(ns, { name: 'keep-0' }, 'echo keep'));
    await informer.start();
    await waitFor(() => added.includes('keep-0'), { timeoutMs: 10_000, message: 'the listed keep-0 to be added' });
    // Created once the informer watches: its every change reaches the informer as an event.
    await api.create(newRun(ns, { name: 'doomed' }, 'echo doomed'));
    await waitFor(() => updated.some((o) => o.metadata?.name === 'doomed' && o.status?.phase === 'Succeeded'), {
      timeoutMs: 30_000, message: 'an update event with doomed Succeeded',
    });
    assert.ok(added.includes('doomed'));
    await waitPhase(ns, 'keep-0', ['Succeeded']);
    await waitFor(() => informer.list(ns).every((o) => o.status?.phase === 'Succeeded'), {
      timeoutMs: 10_000, message: 'the informer to see keep-0 Succeeded',
    });
    await informer.stop();
    const staleRv = informer.latestResourceVersion();
    assert.match(staleRv, /^\d+$/);
    const errorsWhileRunning = errors.length;

    // While the informer is away: new runs, a deleted run, and a few hundred changes in all.
    for (let i = 1; i <= 5; i++) await api.create(newRun(ns, { name: `keep-${i}` }, 'echo keep'));
    await api.delete({ apiVersion: API_VERSION, kind: KIND, metadata: { name: 'doomed', namespace: ns } });
    for (let i = 0; i < 250; i++) {
      await api.patch({ apiVersion: API_VERSION, kind: KIND, metadata: { name: 'churn', namespace: 'cn-churn', labels: { n: String(i) } } },
        undefined, undefined, undefined, undefined, PatchStrategy.MergePatch).catch(async (err: unknown) => {
        if (!(err instanceof ApiException) || err.code !== 404) throw err;
        await api.create(newRun('cn-churn', { name: 'churn' }, 'true'));
      });
    }
    for (let i = 1; i <= 5; i++) await waitPhase(ns, `keep-${i}`, ['Succeeded']);

    // Watching from the stale resourceVersion: one ERROR event, a 410 Expired Status, then the end.
    const expired: WatchEvent[] = [];
    let watchDone = false;
    await new Watch(kc).watch(runsPath(ns), { resourceVersion: staleRv },
      (type, object) => expired.push({ type, object: object as WatchEvent['object'] }), () => (watchDone = true));
    await waitFor(() => watchDone, { timeoutMs: 10_000, message: 'the server to end the expired watch' });
    assert.equal(expired.length, 1, JSON.stringify(expired));
    assert.equal(expired[0]?.type, 'ERROR');
    assert.equal(expired[0]?.object.kind, 'Status');
    assert.equal(expired[0]?.object.code, 410);
    assert.equal(expired[0]?.object.reason, 'Expired');

    // The informer restarts from the stale resourceVersion, gets the 410 and relists.
    const connectsBefore = connects;
    await informer.start();
    await waitFor(() => informer.list(ns).length === 6, { timeoutMs: 20_000, message: `the informer to relist 6 runs (has ${versions(informer.list(ns)).join(' ')})` });
    try {
      assert.ok(connects >= connectsBefore + 2, `connected from the stale version, then again after the relist (${connects - connectsBefore})`);
      assert.ok(BigInt(informer.latestResourceVersion()) > BigInt(staleRv));
      const fresh = await list(ns);
      assert.deepEqual(versions(informer.list(ns)), versions(fresh.items), 'the relisted cache is exactly a fresh list');
      assert.deepEqual(versions(fresh.items).map(([n]) => n), ['keep-0', 'keep-1', 'keep-2', 'keep-3', 'keep-4', 'keep-5']);
      assert.ok(deleted.includes('doomed'), 'the relist reported the run deleted while away');
      for (let i = 1; i <= 5; i++) assert.ok(added.includes(`keep-${i}`), `the relist added keep-${i}`);
      assert.deepEqual(errors.slice(errorsWhileRunning).filter((e) => !(e instanceof Error && e.name === 'AbortError')), [],
        'no error besides the abort of stop()');
    } finally {
      await informer.stop();
    }
  });
});
