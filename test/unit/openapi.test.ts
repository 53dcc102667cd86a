import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OpenAPI } from '../../src/apiserver/openapi.js';
import { operationIdAndTag } from '../../src/apiserver/openapi-render.js';
import type { ResourceDescriptor } from '../../src/apiserver/resource.js';
import { workflowRunDescriptor } from './fixtures/workflowrun-descriptor.js';

type Json = Record<string, any>;

const G = 'kubeactions.dev';
const V = 'v1alpha1';
const NS = `/apis/${G}/${V}/namespaces/{namespace}/workflowruns`;
const ITEM = `${NS}/{name}`;
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex').toUpperCase();
const parse = (b: Buffer): Json => JSON.parse(b.toString('utf8'));

function v3Doc(resources: ResourceDescriptor[] = [workflowRunDescriptor()]): Json {
  const doc = new OpenAPI(resources).v3GroupVersion(G, V);
  assert.ok(doc);
  return parse(doc.body);
}

const openapi = new OpenAPI([workflowRunDescriptor()]);
const v2 = parse(openapi.v2().body);
const v3 = v3Doc();

/** Every operation of the resource: [path, method, operationId, x-kubernetes-action, GVK kind]. */
const OPERATIONS: [string, string, string, string, string][] = [
  [`/apis/${G}/${V}/workflowruns`, 'get', 'listKubeactionsDevV1alpha1WorkflowRunForAllNamespaces', 'list', 'WorkflowRun'],
  [NS, 'get', 'listKubeactionsDevV1alpha1NamespacedWorkflowRun', 'list', 'WorkflowRun'],
  [NS, 'post', 'createKubeactionsDevV1alpha1NamespacedWorkflowRun', 'post', 'WorkflowRun'],
  [NS, 'delete', 'deleteKubeactionsDevV1alpha1CollectionNamespacedWorkflowRun', 'deletecollection', 'WorkflowRun'],
  [ITEM, 'get', 'readKubeactionsDevV1alpha1NamespacedWorkflowRun', 'get', 'WorkflowRun'],
  [ITEM, 'put', 'replaceKubeactionsDevV1alpha1NamespacedWorkflowRun', 'put', 'WorkflowRun'],
  [ITEM, 'patch', 'patchKubeactionsDevV1alpha1NamespacedWorkflowRun', 'patch', 'WorkflowRun'],
  [ITEM, 'delete', 'deleteKubeactionsDevV1alpha1NamespacedWorkflowRun', 'delete', 'WorkflowRun'],
  [`${ITEM}/status`, 'get', 'readKubeactionsDevV1alpha1NamespacedWorkflowRunStatus', 'get', 'WorkflowRun'],
  [`${ITEM}/status`, 'put', 'replaceKubeactionsDevV1alpha1NamespacedWorkflowRunStatus', 'put', 'WorkflowRun'],
  [`${ITEM}/status`, 'patch', 'patchKubeactionsDevV1alpha1NamespacedWorkflowRunStatus', 'patch', 'WorkflowRun'],
  [`${ITEM}/log`, 'get', 'readKubeactionsDevV1alpha1NamespacedWorkflowRunLog', 'get', 'WorkflowRun'],
  [`${ITEM}/exec`, 'get', 'connectKubeactionsDevV1alpha1GetNamespacedWorkflowRunExec', 'connect', 'WorkflowRunExecOptions'],
  [`${ITEM}/exec`, 'post', 'connectKubeactionsDevV1alpha1PostNamespacedWorkflowRunExec', 'connect', 'WorkflowRunExecOptions'],
  [`${ITEM}/attach`, 'get', 'connectKubeactionsDevV1alpha1GetNamespacedWorkflowRunAttach', 'connect', 'WorkflowRunAttachOptions'],
  [`${ITEM}/attach`, 'post', 'connectKubeactionsDevV1alpha1PostNamespacedWorkflowRunAttach', 'connect', 'WorkflowRunAttachOptions'],
  [`${ITEM}/cancel`, 'post', 'createKubeactionsDevV1alpha1NamespacedWorkflowRunCancel', 'post', 'WorkflowRun'],
  [`${ITEM}/retry`, 'post', 'createKubeactionsDevV1alpha1NamespacedWorkflowRunRetry', 'post', 'WorkflowRun'],
];

const paramNames = (op: Json): string[] => (op['parameters'] ?? []).filter((p: Json) => p['in'] === 'query').map((p: Json) => p['name']);

/** All `$ref` targets in a document. */
function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, out));
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) if (k === '$ref' && typeof v === 'string') out.push(v); else refs(v, out);
  }
  return out;
}

for (const [version, doc] of [['v2', v2], ['v3', v3]] as const) {
  describe(`OpenAPI ${version} document`, () => {
    it('has exactly the resource paths, with literal {namespace} and {name}', () => {
      assert.deepEqual(Object.keys(doc['paths']).sort(), [...new Set(OPERATIONS.map(([p]) => p))].sort());
      for (const [path, item] of Object.entries<Json>(doc['paths'])) {
        const pathParams = (item['parameters'] ?? []).map((p: Json) => `${p['in']}:${p['name']}`);
        assert.deepEqual(pathParams, [path.includes('{name}') ? 'path:name' : '', path.includes('{namespace}') ? 'path:namespace' : ''].filter(Boolean), path);
      }
    });

    it('names every operation like the apiserver, with its action and operation-level GVK', () => {
      for (const [path, method, operationId, action, kind] of OPERATIONS) {
        const op = doc['paths'][path]?.[method];
        assert.ok(op, `${method} ${path}`);
        assert.equal(op['operationId'], operationId);
        assert.equal(op['x-kubernetes-action'], action, operationId);
        assert.deepEqual(op['x-kubernetes-group-version-kind'], { group: G, kind, version: V }, operationId);
        assert.deepEqual(op['tags'], ['kubeactionsDev_v1alpha1']);
        assert.equal(op['responses']['401'].description, 'Unauthorized');
      }
    });

    it('puts fieldValidation inline on every PATCH operation, with the patch options', () => {
      for (const path of [ITEM, `${ITEM}/status`]) {
        const patch = doc['paths'][path]['patch'];
        assert.deepEqual(paramNames(patch), ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty']);
        assert.ok(patch['parameters'].every((p: Json) => p['$ref'] === undefined));
      }
    });

    it('documents the options of each verb as query parameters', () => {
      const list = ['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'pretty', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch'];
      assert.deepEqual(paramNames(doc['paths'][NS]['get']), list);
      assert.deepEqual(paramNames(doc['paths'][`/apis/${G}/${V}/workflowruns`]['get']), list);
      assert.deepEqual(paramNames(doc['paths'][NS]['post']), ['dryRun', 'fieldManager', 'fieldValidation', 'pretty']);
      assert.deepEqual(paramNames(doc['paths'][ITEM]['put']), ['dryRun', 'fieldManager', 'fieldValidation', 'pretty']);
      assert.deepEqual(paramNames(doc['paths'][ITEM]['delete']), ['dryRun', 'gracePeriodSeconds', 'orphanDependents', 'pretty', 'propagationPolicy']);
      assert.ok(paramNames(doc['paths'][NS]['delete']).includes('propagationPolicy'));
      assert.deepEqual(paramNames(doc['paths'][`${ITEM}/log`]['get']), ['follow', 'pretty', 'step', 'tailLines']);
      assert.deepEqual(paramNames(doc['paths'][`${ITEM}/exec`]['get']), ['command', 'container', 'stderr', 'stdin', 'stdout', 'tty']);
      assert.deepEqual(paramNames(doc['paths'][`${ITEM}/attach`]['post']), ['container', 'stderr', 'stdin', 'stdout', 'tty']);
    });

    it('has the kind, list, request-kind and metav1 definitions, and every $ref resolves', () => {
      const defs: Json = version === 'v2' ? doc['definitions'] : doc['components']['schemas'];
      const expected = [
        'dev.kubeactions.v1alpha1.WorkflowRun', 'dev.kubeactions.v1alpha1.WorkflowRunList',
        'dev.kubeactions.v1alpha1.WorkflowRunCancel', 'dev.kubeactions.v1alpha1.WorkflowRunRetry',
        ...['ObjectMeta', 'ListMeta', 'Status', 'StatusDetails', 'StatusCause', 'DeleteOptions', 'Preconditions', 'OwnerReference', 'ManagedFieldsEntry', 'Time', 'WatchEvent', 'Patch'].map((k) => `${META}.${k}`),
      ];
      for (const name of expected) assert.ok(defs[name], name);
      const prefix = version === 'v2' ? '#/definitions/' : '#/components/schemas/';
      for (const ref of refs(doc)) assert.ok(ref.startsWith(prefix) && defs[ref.slice(prefix.length)], ref);
      const gvk = (kind: string) => [{ group: G, kind, version: V }];
      assert.deepEqual(defs['dev.kubeactions.v1alpha1.WorkflowRun']['x-kubernetes-group-version-kind'], gvk('WorkflowRun'));
      assert.deepEqual(defs['dev.kubeactions.v1alpha1.WorkflowRunList']['x-kubernetes-group-version-kind'], gvk('WorkflowRunList'));
      assert.deepEqual(defs['dev.kubeactions.v1alpha1.WorkflowRunCancel']['x-kubernetes-group-version-kind'], gvk('WorkflowRunCancel'));
      assert.deepEqual(defs[`${META}.Time`], { type: 'string', format: 'date-time', description: defs[`${META}.Time`].description });
      assert.deepEqual(defs[`${META}.Status`]['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Status', version: 'v1' }, ...gvk('Status')]);
      const objectMeta = defs[`${META}.ObjectMeta`];
      for (const field of ['name', 'generateName', 'namespace', 'labels', 'annotations', 'ownerReferences', 'managedFields', 'creationTimestamp', 'resourceVersion', 'uid']) {
        assert.ok(objectMeta.properties[field]?.description, `ObjectMeta.${field}`);
      }
    });

    it('describes the object in the CRD envelope, metadata referencing ObjectMeta', () => {
      const defs: Json = version === 'v2' ? doc['definitions'] : doc['components']['schemas'];
      const run = defs['dev.kubeactions.v1alpha1.WorkflowRun'];
      assert.deepEqual(Object.keys(run.properties), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
      const metaRef = version === 'v2' ? run.properties.metadata.$ref : run.properties.metadata.allOf[0].$ref;
      assert.match(metaRef, /io\.k8s\.apimachinery\.pkg\.apis\.meta\.v1\.ObjectMeta$/);
      assert.equal(run.properties.spec.properties.steps.items.properties.name.pattern, '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$');
      const list = defs['dev.kubeactions.v1alpha1.WorkflowRunList'];
      assert.deepEqual(list.required, ['items']);
      assert.match(list.properties.items.items.$ref, /dev\.kubeactions\.v1alpha1\.WorkflowRun$/);
    });
  });
}

describe('OpenAPI v3 operations', () => {
  const op = (path: string, method: string): Json => v3['paths'][path][method];
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

  it('lists exactly the accepted patch types as PATCH requestBody content', () => {
    for (const path of [ITEM, `${ITEM}/status`]) {
      const body = op(path, 'patch')['requestBody'];
      assert.deepEqual(Object.keys(body.content), PATCH_TYPES);
      assert.deepEqual(body.content[PATCH_TYPES[0]!].schema, ref(`${META}.Patch`));
      assert.equal(body.required, true);
    }
  });

  it('reads and returns the object on create, with 200/201/202', () => {
    const create = op(NS, 'post');
    assert.deepEqual(create.requestBody.content['*/*'].schema, ref('dev.kubeactions.v1alpha1.WorkflowRun'));
    assert.deepEqual(Object.keys(create.responses), ['200', '201', '202', '401']);
    assert.deepEqual(create.responses['201'].content['application/json'].schema, ref('dev.kubeactions.v1alpha1.WorkflowRun'));
    assert.deepEqual(op(NS, 'get').responses['200'].content['application/json;stream=watch'].schema, ref('dev.kubeactions.v1alpha1.WorkflowRunList'));
    assert.deepEqual(op(ITEM, 'delete').responses['200'].content['application/json'].schema, ref(`${META}.Status`));
  });

  it('serves the log as text/plain and exec/attach as connect streams', () => {
    assert.deepEqual(op(`${ITEM}/log`, 'get').responses['200'].content, { 'text/plain': { schema: { type: 'string' } } });
    assert.deepEqual(op(`${ITEM}/exec`, 'post').responses['200'].content, { '*/*': { schema: { type: 'string' } } });
    const command = op(`${ITEM}/exec`, 'get').parameters.find((p: Json) => p.name === 'command');
    assert.deepEqual(command.schema, { type: 'array', items: { type: 'string' } });
  });

  it('reads the request kind on cancel/retry and returns the object', () => {
    const cancel = op(`${ITEM}/cancel`, 'post');
    assert.deepEqual(cancel.requestBody.content['*/*'].schema, ref('dev.kubeactions.v1alpha1.WorkflowRunCancel'));
    assert.deepEqual(cancel.responses['201'].content['application/json'].schema, ref('dev.kubeactions.v1alpha1.WorkflowRun'));
    assert.deepEqual(op(`${ITEM}/retry`, 'post').requestBody.content['*/*'].schema, ref('dev.kubeactions.v1alpha1.WorkflowRunRetry'));
  });

  it('publishes int-or-string and preserve-unknown-fields as the CRD v3 builder does', () => {
    const spec = v3['components']['schemas']['dev.kubeactions.v1alpha1.WorkflowRun'].properties.spec;
    assert.deepEqual(spec.properties.priority.anyOf, [{ type: 'integer' }, { type: 'string' }]);
    const details = v3['components']['schemas']['dev.kubeactions.v1alpha1.WorkflowRun'].properties.status.properties.details;
    assert.equal(details.type, 'object');
    assert.ok(details.properties.exitCode);
    assert.equal(spec.properties.ttlSecondsAfterFinished.default, 86400);
  });
});

describe('OpenAPI v2 specifics', () => {
  it('declares consumes = patch types and the Patch body on PATCH', () => {
    const patch = v2['paths'][ITEM]['patch'];
    assert.deepEqual(patch.consumes, PATCH_TYPES);
    const body = patch.parameters.find((p: Json) => p.in === 'body');
    assert.deepEqual(body, { in: 'body', name: 'body', required: true, schema: { $ref: `#/definitions/${META}.Patch` } });
    assert.equal(v2['swagger'], '2.0');
  });

  it('applies ToStructuralOpenAPIV2: no defaults, no anyOf, preserve-unknown-fields subtrees opaque', () => {
    const spec = v2['definitions']['dev.kubeactions.v1alpha1.WorkflowRun'].properties.spec;
    assert.equal(spec.properties.ttlSecondsAfterFinished.default, undefined);
    assert.equal(spec.properties.priority.anyOf, undefined);
    const details = v2['definitions']['dev.kubeactions.v1alpha1.WorkflowRun'].properties.status.properties.details;
    assert.deepEqual(details, { 'x-kubernetes-preserve-unknown-fields': true });
  });

  it('renders array query parameters with collectionFormat multi', () => {
    const command = v2['paths'][`${ITEM}/exec`]['get'].parameters.find((p: Json) => p.name === 'command');
    assert.deepEqual(command, { description: command.description, in: 'query', name: 'command', type: 'array', items: { type: 'string' }, collectionFormat: 'multi' });
  });

  it('carries an ETag of its JSON', () => {
    assert.equal(openapi.v2().etag, `"${sha512(openapi.v2().body)}"`);
  });
});

describe('OpenAPI v3 root and hashes', () => {
  it('lists only apis/<G>/<V> with a hash URL matching the document', () => {
    const gv = openapi.v3GroupVersion(G, V);
    assert.ok(gv);
    assert.equal(gv.hash, sha512(gv.body));
    assert.equal(gv.etag, `"${gv.hash}"`);
    assert.deepEqual(parse(openapi.v3Root().body), { paths: { [`apis/${G}/${V}`]: { serverRelativeURL: `/openapi/v3/apis/${G}/${V}?hash=${gv.hash}` } } });
    assert.equal(openapi.v3Root().etag, `"${sha512(openapi.v3Root().body)}"`);
    assert.equal(openapi.v3GroupVersion(G, 'v1'), undefined);
  });

  it('is deterministic, and changes the hash when the descriptor changes', () => {
    const same = new OpenAPI([workflowRunDescriptor()]).v3GroupVersion(G, V);
    assert.equal(same?.hash, openapi.v3GroupVersion(G, V)?.hash);
    const changed = workflowRunDescriptor();
    changed.schema.properties!['spec']!.properties!['newField'] = { type: 'string' };
    const other = new OpenAPI([changed]);
    assert.notEqual(other.v3GroupVersion(G, V)?.hash, same?.hash);
    assert.notEqual(other.v3Root().etag, openapi.v3Root().etag);
  });

  it('builds one document per group-version', () => {
    const other: ResourceDescriptor = { ...workflowRunDescriptor(), group: 'other.example', version: 'v1', namespaced: false, subresources: [] };
    const both = new OpenAPI([workflowRunDescriptor(), other]);
    assert.deepEqual(Object.keys(parse(both.v3Root().body)['paths']), [`apis/${G}/${V}`, 'apis/other.example/v1']);
    const doc = parse(both.v3GroupVersion('other.example', 'v1')!.body);
    assert.deepEqual(Object.keys(doc['paths']).sort(), ['/apis/other.example/v1/workflowruns', '/apis/other.example/v1/workflowruns/{name}']);
    assert.equal(doc['paths']['/apis/other.example/v1/workflowruns']['post'].operationId, 'createOtherExampleV1WorkflowRun');
    assert.ok(doc['components']['schemas']['example.other.v1.WorkflowRun']);
    assert.equal(doc['components']['schemas']['dev.kubeactions.v1alpha1.WorkflowRun'], undefined);
    assert.ok(parse(both.v2().body)['paths'][ITEM]);
  });
});

describe('operationIdAndTag', () => {
  it('matches ids the real apiserver publishes', () => {
    assert.deepEqual(operationIdAndTag('connectGetNamespacedPodExec', '/api/v1/namespaces/{namespace}/pods/{name}/exec'), { operationId: 'connectCoreV1GetNamespacedPodExec', tag: 'core_v1' });
    assert.deepEqual(operationIdAndTag('deletecollectionNamespacedLease', '/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases'), { operationId: 'deleteCoordinationV1CollectionNamespacedLease', tag: 'coordination_v1' });
    assert.deepEqual(operationIdAndTag('listLeaseForAllNamespaces', '/apis/coordination.k8s.io/v1/leases'), { operationId: 'listCoordinationV1LeaseForAllNamespaces', tag: 'coordination_v1' });
  });
});
