// Wire conformance of GET and LIST against the real `kube-actions dev`: Table and partial
// metadata output, selectors, pagination and list options (K8S-WIRE-SPEC.md §4.2, §4.3, §6).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kubeRequest, type KubeResponse } from '../helpers/kube-http.js';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const GV = 'kubeactions.dev/v1alpha1';
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const METADATA_LIST_ACCEPT = 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,'
  + 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_ACCEPT = 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,'
  + 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
const SEL = 'wire-sel';
const PAGE = 'wire-page';

const collection = (ns: string): string => `/apis/${GV}/namespaces/${ns}/workflowruns`;

interface Meta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  labels?: Record<string, string>;
}
interface Obj {
  kind: string;
  apiVersion: string;
  metadata: Meta;
  status?: { phase?: string };
}
interface List {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: Obj[];
}
interface Table {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string };
  columnDefinitions: { name: string; type: string; format: string; description: string; priority: number }[] | null;
  rows: { cells: unknown[]; object?: Obj }[];
}

function badRequest(r: KubeResponse, message: string | RegExp): void {
  assert.equal(r.status, 400, r.text);
  const s = r.json<{ kind: string; status: string; reason: string; message: string; code: number }>();
  assert.equal(s.kind, 'Status');
  assert.equal(s.status, 'Failure');
  assert.equal(s.reason, 'BadRequest');
  assert.equal(s.code, 400);
  if (typeof message === 'string') assert.equal(s.message, message);
  else assert.match(s.message, message);
}

describe('wire: get and list', { timeout: 180_000 }, () => {
  let server: DevServer;
  const get = (path: string, accept = 'application/json'): Promise<KubeResponse> => kubeRequest(server, path, { headers: { Accept: accept } });
  const names = async (ns: string, query: string): Promise<string[]> => {
    const r = await get(`${collection(ns)}?${query}`);
    assert.equal(r.status, 200, `${query}: ${r.text}`);
    return r.json<List>().items.map((i) => i.metadata.name);
  };
  const create = async (ns: string, name: string, labels: Record<string, string>, script = 'true'): Promise<void> => {
    const r = await kubeRequest(server, collection(ns), {
      method: 'POST', body: { apiVersion: GV, kind: 'WorkflowRun', metadata: { name, labels }, spec: { steps: [{ name: 'main', run: script }] } },
    });
    assert.equal(r.status, 201, r.text);
  };
  const settled = async (ns: string, count: number): Promise<void> => {
    await waitFor(async () => {
      const items = (await get(collection(ns))).json<List>().items;
      return items.length === count && items.every((i) => ['Succeeded', 'Failed'].includes(i.status?.phase ?? ''));
    }, { timeoutMs: 60_000, intervalMs: 200, message: `every run in ${ns} finished` });
  };

  before(async () => {
    server = await startDevServer();
    await create(SEL, 'a', { env: 'prod', tier: 'web' });
    await create(SEL, 'b', { env: 'dev', tier: 'web' });
    await create(SEL, 'c', { env: 'prod' });
    await create(SEL, 'd', {});
    await create(SEL, 'e', { env: 'qa' }, 'exit 1');
    for (const n of [1, 2, 3, 4, 5]) await create(PAGE, `p-${n}`, { page: 'yes' });
    await settled(SEL, 5);
    await settled(PAGE, 5);
  });
  after(async () => {
    await server?.stop();
  });

  it('get: the object, 404 NotFound with details, unknown query parameters ignored', async () => {
    const r = await get(`${collection(SEL)}/a?foo=bar&pretty=true&timeout=32s`);
    assert.equal(r.status, 200, r.text);
    assert.equal((r.headers['content-type'] ?? '').split(';')[0], 'application/json');
    const obj = r.json<Obj>();
    assert.equal(obj.kind, 'WorkflowRun');
    assert.equal(obj.apiVersion, GV);
    assert.deepEqual(obj.metadata.labels, { env: 'prod', tier: 'web' });
    const missing = await get(`${collection(SEL)}/nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'workflowruns.kubeactions.dev "nope" not found',
      reason: 'NotFound', details: { name: 'nope', group: 'kubeactions.dev', kind: 'workflowruns' }, code: 404,
    });
  });

  it('get with the Table Accept: one row, column definitions, includeObject', async () => {
    const r = await get(`${collection(SEL)}/a`, TABLE_ACCEPT);
    assert.equal(r.status, 200, r.text);
    assert.equal((r.headers['content-type'] ?? '').split(';')[0], 'application/json');
    const t = r.json<Table>();
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.columnDefinitions?.map((c) => [c.name, c.type, c.format, c.priority]), [
      ['Name', 'string', 'name', 0], ['Phase', 'string', '', 0], ['Steps', 'string', '', 0], ['Age', 'date', '', 0],
      ['Duration', 'string', '', 0], ['Attempt', 'integer', '', 1], ['Worker', 'string', '', 1],
    ]);
    for (const c of t.columnDefinitions ?? []) assert.notEqual(c.description, '');
    assert.equal(t.rows.length, 1);
    const row = t.rows[0];
    assert.equal(row?.cells.length, t.columnDefinitions?.length);
    assert.deepEqual(row?.cells.slice(0, 3), ['a', 'Succeeded', '1/1']);
    assert.equal(row?.object?.kind, 'PartialObjectMetadata');
    assert.equal(row?.object?.apiVersion, 'meta.k8s.io/v1');
    assert.equal(row?.object?.metadata.name, 'a');
    assert.equal(row?.object?.metadata.namespace, SEL);
    assert.deepEqual(row?.object?.metadata.labels, { env: 'prod', tier: 'web' });
    assert.equal(t.metadata.resourceVersion, row?.object?.metadata.resourceVersion);

    const beta = (await get(`${collection(SEL)}/a`, 'application/json;as=Table;v=v1beta1;g=meta.k8s.io')).json<Table>();
    assert.equal(beta.apiVersion, 'meta.k8s.io/v1beta1');
    assert.equal(beta.rows[0]?.object?.apiVersion, 'meta.k8s.io/v1beta1');

    const metadata = (await get(`${collection(SEL)}/a?includeObject=Metadata`, TABLE_ACCEPT)).json<Table>();
    assert.equal(metadata.rows[0]?.object?.kind, 'PartialObjectMetadata');
    const object = (await get(`${collection(SEL)}/a?includeObject=Object`, TABLE_ACCEPT)).json<Table>();
    assert.equal(object.rows[0]?.object?.kind, 'WorkflowRun');
    assert.equal(object.rows[0]?.object?.apiVersion, GV);
    assert.ok('spec' in (object.rows[0]?.object ?? {}));
    const none = (await get(`${collection(SEL)}/a?includeObject=None`, TABLE_ACCEPT)).json<Table>();
    assert.equal(none.rows.length, 1);
    assert.equal('object' in (none.rows[0] ?? {}), false);
  });

  it('a bad includeObject is 400 for Table output and ignored otherwise', async () => {
    const r = await get(`${collection(SEL)}/a?includeObject=Bogus`, TABLE_ACCEPT);
    badRequest(r, 'Unable to convert to Table as requested: includeObject: Invalid value: "Bogus": must be \'Metadata\', \'Object\', \'None\', or empty');
    const list = await get(`${collection(SEL)}?includeObject=Bogus`, TABLE_ACCEPT);
    assert.equal(list.status, 400);
    // TableOptions are only decoded when a Table is negotiated (optionsForTransform).
    const plain = await get(`${collection(SEL)}/a?includeObject=Bogus`);
    assert.equal(plain.status, 200, plain.text);
  });

  it('get with the PartialObjectMetadata Accept', async () => {
    const r = await get(`${collection(SEL)}/b`, METADATA_ACCEPT);
    assert.equal(r.status, 200, r.text);
    const obj = r.json<Obj & Record<string, unknown>>();
    assert.deepEqual(Object.keys(obj).sort(), ['apiVersion', 'kind', 'metadata']);
    assert.equal(obj.kind, 'PartialObjectMetadata');
    assert.equal(obj.apiVersion, 'meta.k8s.io/v1');
    assert.equal(obj.metadata.name, 'b');
    assert.deepEqual(obj.metadata.labels, { env: 'dev', tier: 'web' });
  });

  it('list: WorkflowRunList with a resourceVersion; items [] when empty; all namespaces', async () => {
    const r = await get(`${collection(SEL)}?foo=bar&pretty=true&timeout=32s`);
    assert.equal(r.status, 200, r.text);
    const list = r.json<List>();
    assert.equal(list.kind, 'WorkflowRunList');
    assert.equal(list.apiVersion, GV);
    assert.match(list.metadata.resourceVersion, /^[1-9][0-9]*$/);
    assert.deepEqual(list.items.map((i) => i.metadata.name), ['a', 'b', 'c', 'd', 'e']);
    for (const i of list.items) {
      assert.equal(i.kind, 'WorkflowRun');
      assert.equal(i.apiVersion, GV);
      assert.ok(BigInt(i.metadata.resourceVersion) <= BigInt(list.metadata.resourceVersion));
    }
    const empty = await get(collection('wire-empty'));
    assert.equal(empty.status, 200);
    assert.match(empty.text, /"items":\[\]/);
    assert.deepEqual(empty.json<List>().items, []);
    assert.equal(empty.json<List>().kind, 'WorkflowRunList');

    const all = (await get(`/apis/${GV}/workflowruns`)).json<List>();
    assert.equal(all.kind, 'WorkflowRunList');
    assert.deepEqual(all.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`).sort(), [
      ...['a', 'b', 'c', 'd', 'e'].map((n) => `${SEL}/${n}`), ...[1, 2, 3, 4, 5].map((n) => `${PAGE}/p-${n}`),
    ].sort());
  });

  it('list with the Table Accept (kubectl get) and the metadata client\'s Accept', async () => {
    const t = (await get(`${collection(SEL)}?limit=500`, TABLE_ACCEPT)).json<Table>();
    assert.equal(t.kind, 'Table');
    assert.deepEqual(t.rows.map((r) => r.cells[0]), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(t.rows.map((r) => r.cells[1]), ['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded', 'Failed']);
    assert.match(t.metadata.resourceVersion, /^[1-9][0-9]*$/);

    const r = await get(collection(SEL), METADATA_LIST_ACCEPT);
    assert.equal(r.status, 200, r.text);
    const list = r.json<List>();
    assert.equal(list.kind, 'PartialObjectMetadataList');
    assert.equal(list.apiVersion, 'meta.k8s.io/v1');
    assert.match(list.metadata.resourceVersion, /^[1-9][0-9]*$/);
    assert.deepEqual(list.items.map((i) => i.metadata.name), ['a', 'b', 'c', 'd', 'e']);
    for (const i of list.items) {
      assert.deepEqual(Object.keys(i).sort(), ['apiVersion', 'kind', 'metadata']);
      assert.equal(i.kind, 'PartialObjectMetadata');
      assert.equal(i.apiVersion, 'meta.k8s.io/v1');
    }
  });

  it('label selectors: =, in, notin, !=, exists, !key; a bad one is 400', async () => {
    const q = (s: string): Promise<string[]> => names(SEL, `labelSelector=${encodeURIComponent(s)}`);
    assert.deepEqual(await q('env=prod'), ['a', 'c']);
    assert.deepEqual(await q('env==prod,tier'), ['a']);
    assert.deepEqual(await q('env in (prod,dev)'), ['a', 'b', 'c']);
    assert.deepEqual(await q('env notin (prod)'), ['b', 'd', 'e']);
    assert.deepEqual(await q('env!=prod'), ['b', 'd', 'e']);
    assert.deepEqual(await q('!tier'), ['c', 'd', 'e']);
    assert.deepEqual(await q('tier,!env'), []);
    badRequest(await get(`${collection(SEL)}?labelSelector=${encodeURIComponent('env in (prod')}`), /.+/);
    badRequest(await get(`${collection(SEL)}?labelSelector=${encodeURIComponent('Bad Key=x')}`), /.+/);
  });

  it('field selectors: metadata.name, metadata.namespace, status.phase; an unknown field is 400', async () => {
    const q = (s: string): Promise<string[]> => names(SEL, `fieldSelector=${encodeURIComponent(s)}`);
    assert.deepEqual(await q('metadata.name=b'), ['b']);
    assert.deepEqual(await q('metadata.name==b'), ['b']);
    assert.deepEqual(await q('metadata.name!=b'), ['a', 'c', 'd', 'e']);
    assert.deepEqual(await q(`metadata.namespace=${SEL}`), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(await q('status.phase=Failed'), ['e']);
    assert.deepEqual(await q('status.phase=Succeeded,metadata.name!=a'), ['b', 'c', 'd']);
    const all = (await get(`/apis/${GV}/workflowruns?fieldSelector=${encodeURIComponent(`metadata.namespace=${PAGE}`)}`)).json<List>();
    assert.deepEqual(all.items.map((i) => i.metadata.name), ['p-1', 'p-2', 'p-3', 'p-4', 'p-5']);
    assert.deepEqual(await names(SEL, `labelSelector=env%3Dprod&fieldSelector=${encodeURIComponent('metadata.name=c')}`), ['c']);
    badRequest(await get(`${collection(SEL)}?fieldSelector=${encodeURIComponent('spec.x=1')}`),
      /^"spec\.x" is not a known field selector: only "metadata\.name", "metadata\.namespace"/);
  });

  it('limit/continue pages through one snapshot; garbage continue is 400; continue with resourceVersion is 400', async () => {
    const first = (await get(`${collection(PAGE)}?limit=2`)).json<List>();
    assert.deepEqual(first.items.map((i) => i.metadata.name), ['p-1', 'p-2']);
    assert.equal(first.metadata.remainingItemCount, 3);
    assert.ok(first.metadata.continue);
    const second = (await get(`${collection(PAGE)}?limit=2&continue=${encodeURIComponent(first.metadata.continue ?? '')}`)).json<List>();
    assert.deepEqual(second.items.map((i) => i.metadata.name), ['p-3', 'p-4']);
    assert.equal(second.metadata.resourceVersion, first.metadata.resourceVersion);
    assert.ok(second.metadata.continue);
    const last = (await get(`${collection(PAGE)}?limit=2&continue=${encodeURIComponent(second.metadata.continue ?? '')}`)).json<List>();
    assert.deepEqual(last.items.map((i) => i.metadata.name), ['p-5']);
    assert.equal(last.metadata.continue, undefined);
    assert.equal(last.metadata.resourceVersion, first.metadata.resourceVersion);

    badRequest(await get(`${collection(PAGE)}?limit=2&continue=garbage`), /^invalid continue token: /);
    badRequest(await get(`${collection(PAGE)}?limit=2&continue=${encodeURIComponent(first.metadata.continue ?? '')}&resourceVersion=${first.metadata.resourceVersion}`),
      'specifying resource version is not allowed when using continue');
  });

  it('a continue token whose remaining items changed is 410 Expired', async () => {
    const first = (await get(`${collection(PAGE)}?limit=2`)).json<List>();
    assert.deepEqual(first.items.map((i) => i.metadata.name), ['p-1', 'p-2']);
    const patched = await kubeRequest(server, `${collection(PAGE)}/p-4`, {
      method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: { metadata: { labels: { touched: 'yes' } } },
    });
    assert.equal(patched.status, 200, patched.text);
    const r = await get(`${collection(PAGE)}?limit=2&continue=${encodeURIComponent(first.metadata.continue ?? '')}`);
    assert.equal(r.status, 410, r.text);
    assert.deepEqual(r.json(), {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      reason: 'Expired', code: 410,
    });
  });

  it('list options validation: resourceVersionMatch without resourceVersion and sendInitialEvents on a list are 422', async () => {
    const r = await get(`${collection(SEL)}?resourceVersionMatch=NotOlderThan`);
    const message = 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided';
    assert.equal(r.status, 422, r.text);
    assert.deepEqual(r.json(), {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Invalid', code: 422,
      message: `ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: ${message}`,
      details: { group: 'meta.k8s.io', kind: 'ListOptions', causes: [{ reason: 'FieldValueForbidden', message, field: 'resourceVersionMatch' }] },
    });
    const sie = await get(`${collection(SEL)}?sendInitialEvents=true`);
    assert.equal(sie.status, 422, sie.text);
    assert.match(sie.json<{ message: string }>().message, /sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list/);
    const current = (await get(collection(SEL))).json<List>().metadata.resourceVersion;
    const notOlder = await get(`${collection(SEL)}?resourceVersion=${current}&resourceVersionMatch=NotOlderThan`);
    assert.equal(notOlder.status, 200, notOlder.text);
    assert.ok(BigInt(notOlder.json<List>().metadata.resourceVersion) >= BigInt(current));
  });
});
