import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Discovery, compareKubeAwareVersions } from '../../src/apiserver/discovery.js';
import type { ResourceDescriptor } from '../../src/apiserver/resource.js';
import { workflowRunDescriptor } from './fixtures/workflowrun-descriptor.js';

const json = (body: Buffer): unknown => JSON.parse(body.toString('utf8'));
const gvd = { groupVersion: 'kubeactions.dev/v1alpha1', version: 'v1alpha1' };

describe('Discovery (legacy)', () => {
  const discovery = new Discovery([workflowRunDescriptor()]);

  it('serves the APIGroupList of /apis (spec §1.2)', () => {
    const doc = discovery.apiGroupList();
    assert.equal(doc.contentType, 'application/json');
    assert.equal(doc.etag, undefined);
    assert.deepEqual(json(doc.body), {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [{ name: 'kubeactions.dev', versions: [gvd], preferredVersion: gvd }],
    });
  });

  it('serves the APIGroup of /apis/G (spec §1.3) and nothing for unknown groups', () => {
    const doc = discovery.apiGroup('kubeactions.dev');
    assert.ok(doc);
    assert.equal(doc.contentType, 'application/json');
    assert.deepEqual(json(doc.body), { kind: 'APIGroup', apiVersion: 'v1', name: 'kubeactions.dev', versions: [gvd], preferredVersion: gvd });
    assert.equal(discovery.apiGroup('apps'), undefined);
  });

  it('serves the APIResourceList of /apis/G/V exactly as spec §1.4 shows it', () => {
    const doc = discovery.apiResourceList('kubeactions.dev', 'v1alpha1');
    assert.ok(doc);
    assert.equal(doc.contentType, 'application/json');
    const sub = (name: string, kind: string, verbs: string[]) => ({ name: `workflowruns/${name}`, singularName: '', namespaced: true, kind, verbs });
    assert.deepEqual(json(doc.body), {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'kubeactions.dev/v1alpha1',
      resources: [
        {
          name: 'workflowruns', singularName: 'workflowrun', namespaced: true, kind: 'WorkflowRun',
          verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
          shortNames: ['wfr'], categories: ['actions'],
        },
        sub('attach', 'WorkflowRunAttachOptions', ['create', 'get']),
        sub('cancel', 'WorkflowRun', ['create']),
        sub('exec', 'WorkflowRunExecOptions', ['create', 'get']),
        sub('log', 'WorkflowRun', ['get']),
        sub('retry', 'WorkflowRun', ['create']),
        sub('status', 'WorkflowRun', ['get', 'patch', 'update']),
      ],
    });
    assert.equal(discovery.apiResourceList('kubeactions.dev', 'v1'), undefined);
  });

  it('sorts verbs and never emits a subresource without kind, or with shortNames', () => {
    const d = workflowRunDescriptor();
    d.verbs = ['watch', 'get', 'list', 'get'];
    const status = d.subresources.find((s) => s.name === 'status');
    assert.ok(status);
    status.verbs = ['update', 'patch', 'get'];
    const doc = new Discovery([d]).apiResourceList('kubeactions.dev', 'v1alpha1');
    assert.ok(doc);
    const resources = (json(doc.body) as { resources: Record<string, unknown>[] }).resources;
    assert.deepEqual(resources[0]?.['verbs'], ['get', 'list', 'watch']);
    assert.deepEqual(resources.find((r) => r['name'] === 'workflowruns/status')?.['verbs'], ['get', 'patch', 'update']);
    for (const r of resources.slice(1)) {
      assert.notEqual(r['kind'], '');
      assert.equal(r['shortNames'], undefined);
      assert.equal(r['categories'], undefined);
    }
  });
});

describe('Discovery (aggregated)', () => {
  const discovery = new Discovery([workflowRunDescriptor()]);
  const responseKind = (kind: string) => ({ group: 'kubeactions.dev', version: 'v1alpha1', kind });
  const expectedItems = [{
    metadata: { name: 'kubeactions.dev', creationTimestamp: null },
    versions: [{
      version: 'v1alpha1',
      resources: [{
        resource: 'workflowruns',
        responseKind: responseKind('WorkflowRun'),
        scope: 'Namespaced',
        singularResource: 'workflowrun',
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        shortNames: ['wfr'],
        categories: ['actions'],
        subresources: [
          { subresource: 'attach', responseKind: responseKind('WorkflowRunAttachOptions'), verbs: ['create', 'get'] },
          { subresource: 'cancel', responseKind: responseKind('WorkflowRun'), verbs: ['create'] },
          { subresource: 'exec', responseKind: responseKind('WorkflowRunExecOptions'), verbs: ['create', 'get'] },
          { subresource: 'log', responseKind: responseKind('WorkflowRun'), verbs: ['get'] },
          { subresource: 'retry', responseKind: responseKind('WorkflowRun'), verbs: ['create'] },
          { subresource: 'status', responseKind: responseKind('WorkflowRun'), verbs: ['get', 'patch', 'update'] },
        ],
      }],
      freshness: 'Current',
    }],
  }];

  it('serves APIGroupDiscoveryList v2 with the GVK content type (spec §1.5)', () => {
    const doc = discovery.aggregated('v2');
    assert.equal(doc.contentType, 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    assert.deepEqual(json(doc.body), { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items: expectedItems });
  });

  it('serves v2beta1 with the same items and the same ETag', () => {
    const v2 = discovery.aggregated('v2');
    const v2beta1 = discovery.aggregated('v2beta1');
    assert.equal(v2beta1.contentType, 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
    assert.deepEqual(json(v2beta1.body), { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2beta1', metadata: {}, items: expectedItems });
    assert.equal(v2beta1.etag, v2.etag);
  });

  it('uses the quoted upper-case hex SHA-512 of the v2 JSON as ETag (spec §1.6)', () => {
    const doc = discovery.aggregated('v2');
    assert.match(doc.etag ?? '', /^"[0-9A-F]{128}"$/);
    assert.equal(doc.etag, `"${createHash('sha512').update(doc.body).digest('hex').toUpperCase()}"`);
  });

  it('changes the ETag when the resources change, and keeps it for identical input', () => {
    const before = discovery.aggregated('v2').etag;
    assert.equal(new Discovery([workflowRunDescriptor()]).aggregated('v2').etag, before);
    const d = workflowRunDescriptor();
    d.shortNames = ['wr'];
    assert.notEqual(new Discovery([d]).aggregated('v2').etag, before);
  });
});

describe('Discovery with several groups and versions', () => {
  const make = (group: string, version: string, kind: string, namespaced = true): ResourceDescriptor => ({
    ...workflowRunDescriptor(),
    group, version, kind, namespaced,
    listKind: `${kind}List`, plural: `${kind.toLowerCase()}s`, singular: kind.toLowerCase(),
    shortNames: [], categories: [], subresources: [],
  });
  const discovery = new Discovery([
    make('a.example', 'v1beta1', 'Widget'),
    make('a.example', 'v1', 'Widget'),
    make('a.example', 'v1', 'Gadget', false),
    make('b.example', 'v1alpha1', 'Thing'),
  ]);

  it('lists every group with its versions by priority, the highest preferred', () => {
    const list = json(discovery.apiGroupList().body) as { groups: { name: string; versions: { version: string }[]; preferredVersion: { groupVersion: string } }[] };
    assert.deepEqual(list.groups.map((g) => g.name), ['a.example', 'b.example']);
    assert.deepEqual(list.groups[0]?.versions.map((v) => v.version), ['v1', 'v1beta1']);
    assert.equal(list.groups[0]?.preferredVersion.groupVersion, 'a.example/v1');
  });

  it('serves one APIResourceList per group-version, resources sorted, without shortNames when there are none', () => {
    const doc = discovery.apiResourceList('a.example', 'v1');
    assert.ok(doc);
    const resources = (json(doc.body) as { resources: Record<string, unknown>[] }).resources;
    assert.deepEqual(resources.map((r) => [r['name'], r['namespaced']]), [['gadgets', false], ['widgets', true]]);
    assert.equal(resources[0]?.['shortNames'], undefined);
    assert.ok(discovery.apiResourceList('a.example', 'v1beta1'));
    assert.ok(discovery.apiResourceList('b.example', 'v1alpha1'));
  });

  it('gives cluster-scoped resources scope Cluster in aggregated discovery', () => {
    const list = json(discovery.aggregated('v2').body) as { items: { versions: { version: string; resources: { resource: string; scope: string }[] }[] }[] };
    const a = list.items[0];
    assert.deepEqual(a?.versions.map((v) => v.version), ['v1', 'v1beta1']);
    assert.deepEqual(a?.versions[0]?.resources.map((r) => [r.resource, r.scope]), [['gadgets', 'Cluster'], ['widgets', 'Namespaced']]);
  });

  it('orders versions like apimachinery CompareKubeAwareVersionStrings', () => {
    const versions = ['v1alpha1', 'foo', 'v2', 'v1', 'v1beta2', 'bar', 'v1beta1', 'v10', 'v11alpha2'];
    assert.deepEqual(
      versions.sort((a, b) => compareKubeAwareVersions(b, a)),
      ['v10', 'v2', 'v1', 'v1beta2', 'v1beta1', 'v11alpha2', 'v1alpha1', 'bar', 'foo'],
    );
  });
});
