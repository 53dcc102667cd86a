// Request metric labels as kube-apiserver computes them (verb, scope), and only for what is served.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResourceInstall } from '../../src/apiserver/handlers/types.js';
import { isLongRunning, isReadOnly, RequestLabeler } from '../../src/apiserver/metrics-labels.js';
import { parseRequestInfo } from '../../src/apiserver/request-info.js';
import type { TableConvertor } from '../../src/apiserver/rest.js';
import { workflowRunsDescriptor } from '../../src/registry/workflowruns/descriptor.js';

const table: TableConvertor = { columns: [], row: () => [] };
const connecter = { connect: () => Promise.reject(new Error('unused')) };
const install: ResourceInstall = {
  descriptor: workflowRunsDescriptor, storage: {}, table, fields: { fieldNames: [], fields: () => ({}) },
  connecters: { exec: connecter, attach: connecter },
};
const labeler = new RequestLabeler([install]);
const RUNS = '/apis/kubeactions.dev/v1alpha1/namespaces/ci/workflowruns';

function labels(method: string, url: string, code = 200, contentType?: string): string {
  const u = new URL(url, 'https://x');
  const l = labeler.labels(parseRequestInfo(method, u.pathname, u.searchParams), method, contentType, code);
  return [l.verb, l.group, l.version, l.resource, l.subresource, l.scope, l.component].join('|');
}

describe('RequestLabeler', () => {
  it('names verbs as kube-apiserver does (GET vs LIST, WATCH, POST, PUT, PATCH, APPLY, CONNECT)', () => {
    const cases: [string, string, string][] = [
      ['GET', `${RUNS}/a`, 'GET|kubeactions.dev|v1alpha1|workflowruns||resource|apiserver'],
      ['HEAD', `${RUNS}/a`, 'GET|kubeactions.dev|v1alpha1|workflowruns||resource|apiserver'],
      ['GET', RUNS, 'LIST|kubeactions.dev|v1alpha1|workflowruns||namespace|apiserver'],
      ['GET', '/apis/kubeactions.dev/v1alpha1/workflowruns', 'LIST|kubeactions.dev|v1alpha1|workflowruns||cluster|apiserver'],
      ['GET', `${RUNS}?watch=true`, 'WATCH|kubeactions.dev|v1alpha1|workflowruns||namespace|apiserver'],
      ['GET', `${RUNS}?watch=1&fieldSelector=metadata.name%3Da`, 'WATCH|kubeactions.dev|v1alpha1|workflowruns||namespace|apiserver'],
      ['POST', RUNS, 'POST|kubeactions.dev|v1alpha1|workflowruns||resource|apiserver'],
      ['PUT', `${RUNS}/a`, 'PUT|kubeactions.dev|v1alpha1|workflowruns||resource|apiserver'],
      ['PATCH', `${RUNS}/a`, 'PATCH|kubeactions.dev|v1alpha1|workflowruns||resource|apiserver'],
      ['DELETE', `${RUNS}/a`, 'DELETE|kubeactions.dev|v1alpha1|workflowruns||resource|apiserver'],
      ['DELETE', RUNS, 'DELETECOLLECTION|kubeactions.dev|v1alpha1|workflowruns||namespace|apiserver'],
      ['GET', `${RUNS}/a/log`, 'GET|kubeactions.dev|v1alpha1|workflowruns|log|resource|apiserver'],
      ['POST', `${RUNS}/a/cancel`, 'POST|kubeactions.dev|v1alpha1|workflowruns|cancel|resource|apiserver'],
      ['GET', `${RUNS}/a/exec?command=sh`, 'CONNECT|kubeactions.dev|v1alpha1|workflowruns|exec|resource|apiserver'],
      ['GET', `${RUNS}/a/attach`, 'CONNECT|kubeactions.dev|v1alpha1|workflowruns|attach|resource|apiserver'],
    ];
    for (const [method, url, want] of cases) assert.equal(labels(method, url), want, `${method} ${url}`);
    assert.equal(labels('PATCH', `${RUNS}/a`, 200, 'application/apply-patch+yaml'), 'APPLY|kubeactions.dev|v1alpha1|workflowruns||resource|apiserver');
  });

  it('labels paths with their path and the HTTP method, except unknown (401, 404) ones', () => {
    assert.equal(labels('GET', '/metrics'), 'GET||||/metrics||apiserver');
    assert.equal(labels('GET', '/apis/kubeactions.dev/v1alpha1'), 'GET||||/apis/kubeactions.dev/v1alpha1||apiserver');
    assert.equal(labels('GET', '/metrics', 403), 'GET||||/metrics||apiserver');
    assert.equal(labels('GET', '/no/such/thing', 404), 'GET||||||apiserver');
    assert.equal(labels('GET', '/wp-login.php', 401), 'GET||||||apiserver');
  });

  it('leaves resources and subresources that are not served out of the labels', () => {
    assert.equal(labels('GET', '/apis/other.dev/v1/namespaces/a/things/x', 404), 'GET|||||resource|apiserver');
    assert.equal(labels('GET', `${RUNS}/a/madeup`, 404), 'GET|kubeactions.dev|v1alpha1|workflowruns||resource|apiserver');
  });
});

describe('request kinds', () => {
  const info = (method: string, url: string) => {
    const u = new URL(url, 'https://x');
    return parseRequestInfo(method, u.pathname, u.searchParams);
  };

  it('treats watches and log, exec and attach as long-running, as kube-apiserver does', () => {
    assert.equal(isLongRunning(info('GET', `${RUNS}?watch=true`)), true);
    assert.equal(isLongRunning(info('GET', `${RUNS}/a/log`)), true);
    assert.equal(isLongRunning(info('GET', `${RUNS}/a/exec`)), true);
    assert.equal(isLongRunning(info('GET', `${RUNS}/a/attach`)), true);
    assert.equal(isLongRunning(info('GET', `${RUNS}/a`)), false);
    assert.equal(isLongRunning(info('POST', `${RUNS}/a/cancel`)), false);
  });

  it('counts get, list and watch as read-only and the rest as mutating', () => {
    assert.equal(isReadOnly(info('GET', `${RUNS}/a`)), true);
    assert.equal(isReadOnly(info('GET', RUNS)), true);
    assert.equal(isReadOnly(info('GET', '/metrics')), true);
    assert.equal(isReadOnly(info('POST', RUNS)), false);
    assert.equal(isReadOnly(info('DELETE', `${RUNS}/a`)), false);
    assert.equal(isReadOnly(info('PATCH', `${RUNS}/a`)), false);
  });
});
