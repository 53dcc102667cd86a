// The installer routes what a storage implements and refuses a Lister without a table at start.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResourceInstall } from '../../src/apiserver/handlers/types.js';
import { Installer } from '../../src/apiserver/installer.js';
import type { TableConvertor } from '../../src/apiserver/rest.js';
import { workflowRunsDescriptor } from '../../src/registry/workflowruns/descriptor.js';

const settings = { bookmarkIntervalMs: 1000, maxBufferedBytes: 1 << 20, minRequestTimeoutSeconds: 60 };
const fields = { fieldNames: ['metadata.name'], fields: () => ({}) };

describe('Installer', () => {
  it('refuses a Lister without a TableConvertor at start-up', () => {
    const lister = { list: () => Promise.resolve({ items: [], resourceVersion: '0' }) };
    const install = { descriptor: workflowRunsDescriptor, storage: lister, fields } as unknown as ResourceInstall;
    assert.throws(() => new Installer([install], settings), /workflowruns\.kubeactions\.dev: a Lister needs a TableConvertor/);
  });

  it('accepts a storage without list when it has no table', () => {
    const getter = { get: () => Promise.reject(new Error('unused')) };
    const install = { descriptor: workflowRunsDescriptor, storage: getter, fields } as unknown as ResourceInstall;
    const installer = new Installer([install], settings);
    assert.equal(installer.find({ apiGroup: 'kubeactions.dev', apiVersion: 'v1alpha1', resource: 'workflowruns' } as never), install);
  });

  it('finds resources by group, version and plural only', () => {
    const table: TableConvertor = { columns: [], row: () => [] };
    const install: ResourceInstall = { descriptor: workflowRunsDescriptor, storage: {}, table, fields };
    const installer = new Installer([install], settings);
    assert.equal(installer.find({ apiGroup: 'kubeactions.dev', apiVersion: 'v1', resource: 'workflowruns' } as never), undefined);
    assert.equal(installer.find({ apiGroup: 'other.dev', apiVersion: 'v1alpha1', resource: 'workflowruns' } as never), undefined);
  });
});
