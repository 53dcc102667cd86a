// Wire conformance of PUT, PATCH, DELETE and DELETE-collection against the real
// `kube-actions dev` (K8S-WIRE-SPEC.md §3, §4.4-§4.7).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kubeRequest, type KubeResponse } from '../helpers/kube-http.js';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const GV = 'kubeactions.dev/v1alpha1';
const NS = 'wire-write';
const COLLECTION = `/apis/${GV}/namespaces/${NS}/workflowruns`;
const MERGE = 'application/merge-patch+json';

interface Run {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string; namespace: string; uid: string; resourceVersion: string; generation?: number;
    labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string;
  };
  spec: Record<string, unknown>;
  status?: { phase?: string };
}
interface StatusBody {
  kind: string;
  status: string;
  reason: string;
  message: string;
  code: number;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason: string; message: string; field: string }[] };
}

function failure(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function expectStatus(r: KubeResponse, expected: Record<string, unknown>): void {
  assert.equal(r.status, expected.code, r.text);
  assert.equal((r.headers['content-type'] ?? '').split(';')[0], 'application/json');
  assert.deepEqual(r.json(), expected);
}

const details = (name: string): Record<string, string> => ({ name, group: 'kubeactions.dev', kind: 'workflowruns' });

describe('wire: update, patch, delete', { timeout: 180_000 }, () => {
  let server: DevServer;
  const item = (name: string): string => `${COLLECTION}/${name}`;
  const get = (name: string): Promise<KubeResponse> => kubeRequest(server, item(name));
  const patch = (name: string, type: string, body: unknown, query = ''): Promise<KubeResponse> =>
    kubeRequest(server, `${item(name)}${query}`, { method: 'PATCH', headers: { 'Content-Type': type }, body });
  const create = async (name: string, labels: Record<string, string> = {}, script = 'true'): Promise<Run> => {
    const r = await kubeRequest(server, COLLECTION, {
      method: 'POST', body: { apiVersion: GV, kind: 'WorkflowRun', metadata: { name, labels }, spec: { steps: [{ name: 'main', run: script }] } },
    });
    assert.equal(r.status, 201, r.text);
    return r.json<Run>();
  };
  const finished = async (name: string): Promise<Run> => {
    let run: Run | undefined;
    await waitFor(async () => ['Succeeded', 'Failed'].includes((run = (await get(name)).json<Run>()).status?.phase ?? ''),
      { timeoutMs: 30_000, intervalMs: 100, message: `${name} finished` });
    return run as Run;
  };

  before(async () => {
    server = await startDevServer();
    await create('target', { app: 'x' });
    await finished('target');
  });
  after(async () => {
    await server?.stop();
  });

  it('merge patch of labels and annotations: 200, new resourceVersion, spec untouched', async () => {
    const before = (await get('target')).json<Run>();
    const r = await patch('target', MERGE, { metadata: { labels: { team: 'ci', app: null }, annotations: { note: 'hi' } } }, '?fieldManager=kubectl-label');
    assert.equal(r.status, 200, r.text);
    assert.equal((r.headers['content-type'] ?? '').split(';')[0], 'application/json');
    const obj = r.json<Run>();
    assert.deepEqual(obj.metadata.labels, { team: 'ci' });
    assert.deepEqual(obj.metadata.annotations, { note: 'hi' });
    assert.ok(BigInt(obj.metadata.resourceVersion) > BigInt(before.metadata.resourceVersion));
    assert.equal(obj.metadata.uid, before.metadata.uid);
    assert.deepEqual(obj.spec, before.spec);
    assert.deepEqual(obj.status, before.status);
    assert.deepEqual((await get('target')).json<Run>().metadata.labels, { team: 'ci' });
  });

  it('JSON patch: 200; a failing test operation is 422 Invalid', async () => {
    const r = await patch('target', 'application/json-patch+json', [
      { op: 'add', path: '/metadata/labels/tier', value: 'web' },
      { op: 'test', path: '/metadata/name', value: 'target' },
    ]);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json<Run>().metadata.labels, { team: 'ci', tier: 'web' });
    const bad = await patch('target', 'application/json-patch+json', [{ op: 'test', path: '/metadata/name', value: 'other' }]);
    assert.equal(bad.status, 422, bad.text);
    assert.equal(bad.json<StatusBody>().reason, 'Invalid');
  });

  it('strategic merge patch is 415 with the CRD message; a text/plain patch too', async () => {
    const expected = failure(415, 'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
    expectStatus(await patch('target', 'application/strategic-merge-patch+json', { metadata: { labels: { x: 'y' } } }), expected);
    expectStatus(await patch('target', 'text/plain', { metadata: { labels: { x: 'y' } } }), expected);
    assert.equal((await get('target')).json<Run>().metadata.labels?.x, undefined);
  });

  it('changing the spec is 422 field is immutable', async () => {
    const r = await patch('target', MERGE, { spec: { timeoutSeconds: 5 } });
    assert.equal(r.status, 422, r.text);
    const s = r.json<StatusBody>();
    assert.equal(s.reason, 'Invalid');
    assert.match(s.message, /^WorkflowRun\.kubeactions\.dev "target" is invalid: spec: Invalid value: .*: field is immutable$/);
    assert.deepEqual(s.details && { name: s.details.name, group: s.details.group, kind: s.details.kind }, { name: 'target', group: 'kubeactions.dev', kind: 'WorkflowRun' });
    assert.equal(s.details?.causes?.length, 1);
    assert.equal(s.details?.causes?.[0]?.reason, 'FieldValueInvalid');
    assert.equal(s.details?.causes?.[0]?.field, 'spec');
    assert.match(s.details?.causes?.[0]?.message ?? '', /field is immutable$/);
    assert.equal((await get('target')).json<Run>().spec.timeoutSeconds, undefined);
  });

  it('PUT: 200 with a new resourceVersion; stale resourceVersion 409; name mismatch 400; missing object 404', async () => {
    const current = (await get('target')).json<Run>();
    const replaced = structuredClone(current);
    replaced.metadata.labels = { replaced: 'yes' };
    const ok = await kubeRequest(server, `${item('target')}?fieldManager=kubectl-replace&fieldValidation=Strict`, { method: 'PUT', body: replaced });
    assert.equal(ok.status, 200, ok.text);
    const updated = ok.json<Run>();
    assert.deepEqual(updated.metadata.labels, { replaced: 'yes' });
    assert.ok(BigInt(updated.metadata.resourceVersion) > BigInt(current.metadata.resourceVersion));

    const stale = structuredClone(current);
    stale.metadata.labels = { stale: 'yes' };
    expectStatus(await kubeRequest(server, item('target'), { method: 'PUT', body: stale }), failure(409, 'Conflict',
      'Operation cannot be fulfilled on workflowruns.kubeactions.dev "target": the object has been modified; please apply your changes to the latest version and try again',
      details('target')));

    const renamed = structuredClone(updated);
    renamed.metadata.name = 'other';
    expectStatus(await kubeRequest(server, item('target'), { method: 'PUT', body: renamed }),
      failure(400, 'BadRequest', 'the name of the object (other) does not match the name on the URL (target)'));

    const missing = structuredClone(updated);
    missing.metadata.name = 'missing';
    expectStatus(await kubeRequest(server, item('missing'), { method: 'PUT', body: missing }),
      failure(404, 'NotFound', 'workflowruns.kubeactions.dev "missing" not found', details('missing')));
    assert.deepEqual((await get('target')).json<Run>().metadata.labels, { replaced: 'yes' });
  });

  it('delete: 200 with the object, then 404; kubectl\'s DeleteOptions body without kind', async () => {
    const run = await create('del-plain');
    await finished('del-plain');
    const r = await kubeRequest(server, item('del-plain'), { method: 'DELETE' });
    assert.equal(r.status, 200, r.text);
    const obj = r.json<Run>();
    assert.equal(obj.kind, 'WorkflowRun');
    assert.equal(obj.apiVersion, GV);
    assert.equal(obj.metadata.name, 'del-plain');
    assert.equal(obj.metadata.uid, run.metadata.uid);
    expectStatus(await get('del-plain'), failure(404, 'NotFound', 'workflowruns.kubeactions.dev "del-plain" not found', details('del-plain')));
    expectStatus(await kubeRequest(server, item('del-plain'), { method: 'DELETE' }),
      failure(404, 'NotFound', 'workflowruns.kubeactions.dev "del-plain" not found', details('del-plain')));

    await create('del-kubectl');
    await finished('del-kubectl');
    const k = await kubeRequest(server, item('del-kubectl'), { method: 'DELETE', body: { propagationPolicy: 'Background' } });
    assert.equal(k.status, 200, k.text);
    assert.equal(k.json<Run>().metadata.name, 'del-kubectl');
    assert.equal((await get('del-kubectl')).status, 404);
  });

  it('delete with a uid precondition that does not match is 409 and deletes nothing', async () => {
    const run = await create('del-pre');
    const r = await kubeRequest(server, item('del-pre'), {
      method: 'DELETE', body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'not-the-uid' } },
    });
    expectStatus(r, failure(409, 'Conflict',
      `Operation cannot be fulfilled on workflowruns.kubeactions.dev "del-pre": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${run.metadata.uid}`,
      details('del-pre')));
    assert.equal((await get('del-pre')).status, 200);
    await finished('del-pre');
    const ok = await kubeRequest(server, item('del-pre'), { method: 'DELETE', body: { preconditions: { uid: run.metadata.uid } } });
    assert.equal(ok.status, 200, ok.text);
  });

  it('deleting a running run: 200 with deletionTimestamp, gone once stopped', async () => {
    await create('del-running', {}, 'sleep 600');
    await waitFor(async () => (await get('del-running')).json<Run>().status?.phase === 'Running',
      { timeoutMs: 30_000, intervalMs: 100, message: 'del-running to run' });
    const r = await kubeRequest(server, item('del-running'), { method: 'DELETE', body: { propagationPolicy: 'Background' } });
    assert.equal(r.status, 200, r.text);
    const obj = r.json<Run>();
    assert.equal(obj.metadata.name, 'del-running');
    assert.match(obj.metadata.deletionTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await waitFor(async () => (await get('del-running')).status === 404, { timeoutMs: 30_000, intervalMs: 100, message: 'del-running to be gone' });
  });

  it('deletecollection with a label selector: 200 WorkflowRunList of what was deleted', async () => {
    await create('dc-1', { batch: 'one' });
    await create('dc-2', { batch: 'one' });
    await create('dc-keep', { batch: 'two' });
    for (const n of ['dc-1', 'dc-2', 'dc-keep']) await finished(n);
    const r = await kubeRequest(server, `${COLLECTION}?labelSelector=batch%3Done`, { method: 'DELETE', body: { propagationPolicy: 'Background' } });
    assert.equal(r.status, 200, r.text);
    const list = r.json<{ kind: string; apiVersion: string; metadata: { resourceVersion?: string }; items: Run[] }>();
    assert.equal(list.kind, 'WorkflowRunList');
    assert.equal(list.apiVersion, GV);
    assert.deepEqual(list.items.map((i) => i.metadata.name).sort(), ['dc-1', 'dc-2']);
    for (const i of list.items) assert.equal(i.kind, 'WorkflowRun');
    assert.equal((await get('dc-1')).status, 404);
    assert.equal((await get('dc-2')).status, 404);
    assert.equal((await get('dc-keep')).status, 200);
  });

  it('unknown query parameters are ignored on writes', async () => {
    const r = await patch('target', MERGE, { metadata: { labels: { extra: 'yes' } } }, '?foo=bar&pretty=true&timeout=32s');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json<Run>().metadata.labels?.extra, 'yes');
    const c = await kubeRequest(server, `${COLLECTION}?foo=bar&pretty=true&timeout=32s`, {
      method: 'POST', body: { apiVersion: GV, kind: 'WorkflowRun', metadata: { name: 'unknown-params' }, spec: { steps: [{ name: 'main', run: 'true' }] } },
    });
    assert.equal(c.status, 201, c.text);
  });
});
