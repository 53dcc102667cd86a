// Wire conformance of watch against the real `kube-actions dev`: framing, resume, bookmarks,
// watch-list, Table and partial-metadata events, selector semantics, the deprecated path,
// disconnects and 410 for history no longer kept (K8S-WIRE-SPEC.md §5, §6).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { kubeRequest, openWatch, type KubeResponse, type WatchEvent, type WatchStream } from '../helpers/kube-http.js';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const GV = 'kubeactions.dev/v1alpha1';
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const METADATA_ACCEPT = 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,'
  + 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

const collection = (ns: string): string => `/apis/${GV}/namespaces/${ns}/workflowruns`;
const rvOf = (e: WatchEvent): string => String(e.object.metadata?.resourceVersion ?? '');
const nameOf = (e: WatchEvent): string => String(e.object.metadata?.name ?? '');
const phaseOf = (e: WatchEvent): string => String((e.object.status as { phase?: string } | undefined)?.phase ?? '');

/** Resolves when the stream ends, rejects after `ms`. */
async function endsWithin(w: WatchStream, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms; received:\n${w.lines.join('\n')}`)), ms);
  });
  try {
    await Promise.race([w.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('wire: watch', { timeout: 240_000 }, () => {
  let server: DevServer;
  const open: WatchStream[] = [];
  const watch = async (path: string, accept = 'application/json'): Promise<WatchStream> => {
    const w = await openWatch(server, path, { headers: { Accept: accept } });
    open.push(w);
    return w;
  };
  const listRv = async (ns: string): Promise<string> => {
    const r = await kubeRequest(server, collection(ns));
    assert.equal(r.status, 200, r.text);
    return r.json<{ metadata: { resourceVersion: string } }>().metadata.resourceVersion;
  };
  const create = async (ns: string, name: string, labels: Record<string, string> = {}, script = 'true'): Promise<KubeResponse> => {
    const r = await kubeRequest(server, collection(ns), {
      method: 'POST', body: { apiVersion: GV, kind: 'WorkflowRun', metadata: { name, labels }, spec: { steps: [{ name: 'main', run: script }] } },
    });
    assert.equal(r.status, 201, r.text);
    return r;
  };
  const label = async (ns: string, name: string, labels: Record<string, string | null>): Promise<void> => {
    const r = await kubeRequest(server, `${collection(ns)}/${name}`, {
      method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: { metadata: { labels } },
    });
    assert.equal(r.status, 200, r.text);
  };
  const finished = async (ns: string, name: string): Promise<void> => {
    await waitFor(async () => ['Succeeded', 'Failed'].includes(
      (await kubeRequest(server, `${collection(ns)}/${name}`)).json<{ status?: { phase?: string } }>().status?.phase ?? ''),
    { timeoutMs: 30_000, intervalMs: 100, message: `${ns}/${name} finished` });
  };
  // The server keeps only a few changes (--change-history 5): runs must not churn while a later
  // test lists and then watches from the list's resourceVersion.
  const settle = async (ns: string, names: string[]): Promise<void> => {
    for (const n of names) await finished(ns, n);
  };

  before(async () => {
    server = await startDevServer({ args: ['--watch-bookmark-interval', '1', '--change-history', '5'] });
  });
  after(async () => {
    for (const w of open) w.close();
    await server?.stop();
  });

  it('watch from the list resourceVersion: ADDED then MODIFIED as the worker runs, one JSON object per line, chunked', async () => {
    const ns = 'watch-run';
    const rv = await listRv(ns);
    const w = await watch(`${collection(ns)}?watch=true&resourceVersion=${rv}`);
    assert.equal(w.status, 200);
    assert.equal(w.headers['content-type'], 'application/json');
    assert.equal(w.headers['transfer-encoding'], 'chunked');
    assert.equal(w.headers['content-length'], undefined);
    await create(ns, 'short', {}, 'echo hi');
    await w.next((e) => e.type === 'MODIFIED' && phaseOf(e) === 'Succeeded', 'MODIFIED Succeeded');
    assert.deepEqual(w.errors, []);
    assert.equal(w.lines.length, w.events.length);
    for (const [i, e] of w.events.entries()) {
      assert.deepEqual(Object.keys(e).sort(), ['object', 'type'], w.lines[i]);
      assert.equal(e.object.kind, 'WorkflowRun');
      assert.equal(e.object.apiVersion, GV);
      assert.equal(nameOf(e), 'short');
      assert.ok(!(w.lines[i] ?? '').includes('\n'));
    }
    assert.equal(w.events[0]?.type, 'ADDED');
    assert.equal(phaseOf(w.events[0] as WatchEvent), 'Pending');
    assert.ok(w.events.slice(1).every((e) => e.type === 'MODIFIED'));
    assert.ok(w.events.some((e) => phaseOf(e) === 'Running'));
    const rvs = w.events.map((e) => BigInt(rvOf(e)));
    assert.ok((rvs[0] ?? 0n) > BigInt(rv));
    for (let i = 1; i < rvs.length; i++) assert.ok((rvs[i] ?? 0n) > (rvs[i - 1] ?? 0n), `resourceVersions increase: ${rvs.join(',')}`);
  });

  it('timeoutSeconds=1 ends the response cleanly', async () => {
    const start = Date.now();
    const w = await watch(`${collection('watch-run')}?watch=true&timeoutSeconds=1&resourceVersion=${await listRv('watch-run')}`);
    assert.equal(w.status, 200);
    await endsWithin(w, 5000, 'a watch with timeoutSeconds=1');
    assert.ok(Date.now() - start >= 900, `ended after ${Date.now() - start} ms`);
    assert.equal(w.complete(), true);
    assert.deepEqual(w.errors, []);
  });

  it('allowWatchBookmarks=true: BOOKMARK events with only apiVersion, kind and metadata.resourceVersion', async () => {
    const rv = await listRv('watch-run');
    const w = await watch(`${collection('watch-run')}?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`);
    const b = await w.next((e) => e.type === 'BOOKMARK', 'a BOOKMARK', 10_000);
    assert.deepEqual(Object.keys(b.object).sort(), ['apiVersion', 'kind', 'metadata']);
    assert.equal(b.object.apiVersion, GV);
    assert.equal(b.object.kind, 'WorkflowRun');
    assert.deepEqual(Object.keys(b.object.metadata ?? {}), ['resourceVersion']);
    assert.ok(BigInt(rvOf(b)) >= BigInt(rv));
    w.close();
  });

  it('sendInitialEvents=true with NotOlderThan: ADDED for existing objects, then the initial-events-end BOOKMARK', async () => {
    const ns = 'watch-list';
    await create(ns, 'wl-1');
    await create(ns, 'wl-2');
    const w = await watch(`${collection(ns)}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
    assert.equal(w.status, 200);
    const end = await w.next((e) => e.type === 'BOOKMARK' && e.object.metadata?.annotations !== undefined, 'the initial-events-end BOOKMARK');
    const idx = w.events.indexOf(end);
    const initial = w.events.slice(0, idx);
    assert.deepEqual(initial.filter((e) => e.type === 'ADDED').map(nameOf), ['wl-1', 'wl-2']);
    assert.ok(initial.every((e) => e.type === 'ADDED' || e.type === 'BOOKMARK'));
    const annotations = end.object.metadata?.annotations as Record<string, string>;
    assert.equal(annotations['k8s.io/initial-events-end'], 'true');
    assert.equal(end.object.kind, 'WorkflowRun');
    for (const e of initial) assert.ok(BigInt(rvOf(e)) <= BigInt(rvOf(end)));
    await create(ns, 'wl-3');
    const added = await w.next((e) => e.type === 'ADDED' && nameOf(e) === 'wl-3', 'ADDED wl-3 after the bookmark');
    assert.ok(w.events.indexOf(added) > idx);
    assert.ok(BigInt(rvOf(added)) > BigInt(rvOf(end)));
    w.close();
    await settle(ns, ['wl-1', 'wl-2', 'wl-3']);
  });

  it('sendInitialEvents=true without resourceVersionMatch=NotOlderThan is 422', async () => {
    const r = await kubeRequest(server, `${collection('watch-list')}?watch=true&sendInitialEvents=true`);
    const message = 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan';
    assert.equal(r.status, 422, r.text);
    assert.deepEqual(r.json(), {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Invalid', code: 422,
      message: `ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: ${message}`,
      details: { group: 'meta.k8s.io', kind: 'ListOptions', causes: [{ reason: 'FieldValueForbidden', message, field: 'resourceVersionMatch' }] },
    });
  });

  it('watch with the Table Accept: one-row Tables, column definitions only on the first event', async () => {
    const ns = 'watch-table';
    await create(ns, 't-1');
    await create(ns, 't-2');
    const w = await watch(`${collection(ns)}?watch=true&resourceVersion=0`, TABLE_ACCEPT);
    assert.equal(w.status, 200);
    await w.next((e) => e.type === 'ADDED' && (e.object.rows as { cells: unknown[] }[] | undefined)?.[0]?.cells[0] === 't-2', 'ADDED t-2');
    await create(ns, 't-3');
    await w.next((e) => (e.object.rows as { cells: unknown[] }[] | undefined)?.[0]?.cells[0] === 't-3', 'an event for t-3');
    const [first, ...rest] = w.events;
    assert.equal(first?.object.kind, 'Table');
    assert.equal(first?.object.apiVersion, 'meta.k8s.io/v1');
    assert.equal((first?.object.columnDefinitions as unknown[] | undefined)?.length, 7);
    assert.ok(rest.length >= 2);
    for (const e of w.events) {
      assert.equal(e.object.kind, 'Table');
      const rows = e.object.rows as { cells: unknown[]; object?: { kind: string } }[];
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.cells.length, 7);
      assert.equal(rows[0]?.object?.kind, 'PartialObjectMetadata');
    }
    for (const e of rest) assert.equal(e.object.columnDefinitions ?? null, null);
    w.close();
    await settle(ns, ['t-1', 't-2', 't-3']);
  });

  it('watch with the PartialObjectMetadata Accept: objects and bookmarks are PartialObjectMetadata', async () => {
    const ns = 'watch-meta';
    const rv = await listRv(ns);
    const w = await watch(`${collection(ns)}?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`, METADATA_ACCEPT);
    assert.equal(w.status, 200);
    await create(ns, 'pm-1', { a: 'b' });
    const added = await w.next((e) => e.type === 'ADDED', 'ADDED pm-1');
    assert.deepEqual(Object.keys(added.object).sort(), ['apiVersion', 'kind', 'metadata']);
    assert.equal(added.object.kind, 'PartialObjectMetadata');
    assert.equal(added.object.apiVersion, 'meta.k8s.io/v1');
    assert.equal(nameOf(added), 'pm-1');
    assert.deepEqual(added.object.metadata?.labels, { a: 'b' });
    const b = await w.next((e) => e.type === 'BOOKMARK', 'a BOOKMARK', 10_000);
    assert.deepEqual(b.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: rvOf(b) } });
    for (const e of w.events) assert.equal(e.object.kind, 'PartialObjectMetadata');
    w.close();
    await settle(ns, ['pm-1']);
  });

  it('label-selector watch: stops matching arrives as DELETED, starts matching as ADDED', async () => {
    const ns = 'watch-sel';
    await create(ns, 'm-1', { sel: 'yes' });
    await create(ns, 'm-2', { sel: 'no' });
    await finished(ns, 'm-1');
    await finished(ns, 'm-2');
    const rv = await listRv(ns);
    const w = await watch(`${collection(ns)}?watch=true&labelSelector=sel%3Dyes&resourceVersion=${rv}`);
    await label(ns, 'm-1', { sel: 'no' });
    const gone = await w.next((e) => e.type === 'DELETED' && nameOf(e) === 'm-1', 'DELETED m-1');
    await label(ns, 'm-2', { sel: 'yes' });
    const came = await w.next((e) => e.type === 'ADDED' && nameOf(e) === 'm-2', 'ADDED m-2');
    await label(ns, 'm-2', { extra: 'x' });
    await w.next((e) => e.type === 'MODIFIED' && nameOf(e) === 'm-2', 'MODIFIED m-2');
    assert.deepEqual(w.events.map((e) => `${e.type} ${nameOf(e)}`), ['DELETED m-1', 'ADDED m-2', 'MODIFIED m-2']);
    assert.ok(BigInt(rvOf(came)) > BigInt(rvOf(gone)));
    w.close();
  });

  it('the deprecated /watch/ paths work, for a collection and for one object', async () => {
    const ns = 'watch-old';
    const rv = await listRv(ns);
    const w = await watch(`/apis/${GV}/watch/namespaces/${ns}/workflowruns?resourceVersion=${rv}`);
    assert.equal(w.status, 200);
    assert.equal(w.headers['content-type'], 'application/json');
    const one = await watch(`/apis/${GV}/watch/namespaces/${ns}/workflowruns/old-2?resourceVersion=${rv}`);
    assert.equal(one.status, 200);
    await create(ns, 'old-1');
    await create(ns, 'old-2');
    await w.next((e) => e.type === 'ADDED' && nameOf(e) === 'old-2', 'ADDED old-2 on the collection');
    const added = await one.next((e) => e.type === 'ADDED', 'ADDED on the one-object watch');
    assert.equal(nameOf(added), 'old-2');
    assert.ok(one.events.every((e) => nameOf(e) === 'old-2'));
    assert.ok(w.events.some((e) => nameOf(e) === 'old-1'));
    w.close();
    one.close();
    await settle(ns, ['old-1', 'old-2']);
  });

  it('a client that disconnects mid-watch does not disturb the server', async () => {
    const ns = 'watch-drop';
    const rv = await listRv(ns);
    const watchers = await Promise.all([1, 2, 3].map(() => watch(`${collection(ns)}?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`)));
    await create(ns, 'drop-1', {}, 'for i in 1 2 3; do echo $i; sleep 0.2; done');
    await Promise.all(watchers.map((w) => w.next((e) => e.type === 'ADDED', 'ADDED drop-1')));
    for (const w of watchers) w.close();
    await create(ns, 'drop-2');
    await sleep(1500);
    assert.equal(server.proc.exitCode, null, server.output());
    const r = await kubeRequest(server, `${collection(ns)}/drop-2`);
    assert.equal(r.status, 200, r.text);
    const after = await watch(`${collection(ns)}?watch=true&resourceVersion=0`);
    await after.next((e) => e.type === 'ADDED' && nameOf(e) === 'drop-2', 'a new watch sees drop-2');
    after.close();
    assert.equal((await kubeRequest(server, '/readyz', { token: null })).text, 'ok');
  });

  it('watch from a resourceVersion older than the kept history: one ERROR 410 Expired event, then the stream ends', async () => {
    const ns = 'watch-old-rv';
    await create(ns, 'churn');
    await finished(ns, 'churn');
    for (let i = 0; i < 300; i++) await label(ns, 'churn', { n: String(i) });
    const w = await watch(`${collection(ns)}?watch=true&resourceVersion=1`);
    assert.equal(w.status, 200);
    await endsWithin(w, 10_000, 'a watch from an expired resourceVersion');
    assert.deepEqual(w.errors, []);
    assert.equal(w.events.length, 1, w.lines.join('\n'));
    const e = w.events[0] as WatchEvent;
    assert.equal(e.type, 'ERROR');
    const status = e.object as { kind: string; apiVersion: string; status: string; reason: string; code: number; message: string };
    assert.equal(status.kind, 'Status');
    assert.equal(status.apiVersion, 'v1');
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'Expired');
    assert.equal(status.code, 410);
    assert.match(status.message, /^too old resource version: 1 \(\d+\)$/);
  });
});
