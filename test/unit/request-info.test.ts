import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isStatusError } from '../../src/apiserver/errors.js';
import { parseRequestInfo } from '../../src/apiserver/request-info.js';

function info(method: string, url: string): ReturnType<typeof parseRequestInfo> {
  const [path = '', search = ''] = url.split('?');
  return parseRequestInfo(method, path, new URLSearchParams(search));
}

// [method, url, verb, apiPrefix, apiGroup, apiVersion, namespace, resource, subresource, name, parts]
type Row = [string, string, string, string, string, string, string, string, string, string, string[]];

// The success table of requestinfo_test.go TestGetAPIRequestInfo (Go's test reuses "api" as the
// expected prefix for /apis paths without checking it; the real prefix is asserted here).
const SUCCESS: Row[] = [
  ['GET', '/api/v1/namespaces', 'list', 'api', '', 'v1', '', 'namespaces', '', '', ['namespaces']],
  ['GET', '/api/v1/namespaces/other', 'get', 'api', '', 'v1', 'other', 'namespaces', '', 'other', ['namespaces', 'other']],
  ['GET', '/api/v1/namespaces/other/pods', 'list', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/other/pods/foo', 'get', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['HEAD', '/api/v1/namespaces/other/pods/foo', 'get', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['GET', '/api/v1/pods', 'list', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['HEAD', '/api/v1/pods', 'list', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  // Go's table expects namespace "" here, but NewRequestInfo sets it from the path like any namespace.
  ['PATCH', '/api/v1/namespaces/new-namespace', 'patch', 'api', '', 'v1', 'new-namespace', 'namespaces', '', 'new-namespace', ['namespaces', 'new-namespace']],
  ['GET', '/api/v1/proxy/namespaces/other/pods/foo', 'proxy', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  [
    'GET',
    '/api/v1/proxy/namespaces/other/pods/foo/subpath/not/a/subresource',
    'proxy', 'api', '', 'v1', 'other', 'pods', '', 'foo',
    ['pods', 'foo', 'subpath', 'not', 'a', 'subresource'],
  ],
  ['GET', '/api/v1/watch/pods', 'watch', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/pods?watch=true', 'watch', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/pods?watch=false', 'list', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/watch/namespaces/other/pods', 'watch', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/other/pods?watch=1', 'watch', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/other/pods?watch=0', 'list', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/other/pods?watch=FALSE', 'list', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/other/pods?watch=yes', 'watch', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/other/pods/foo/status', 'get', 'api', '', 'v1', 'other', 'pods', 'status', 'foo', ['pods', 'foo', 'status']],
  ['GET', '/api/v1/namespaces/other/pods/foo/proxy/subpath', 'get', 'api', '', 'v1', 'other', 'pods', 'proxy', 'foo', ['pods', 'foo', 'proxy', 'subpath']],
  ['PUT', '/api/v1/namespaces/other/finalize', 'update', 'api', '', 'v1', 'other', 'namespaces', 'finalize', 'other', ['namespaces', 'other', 'finalize']],
  ['PUT', '/api/v1/namespaces/other/status', 'update', 'api', '', 'v1', 'other', 'namespaces', 'status', 'other', ['namespaces', 'other', 'status']],
  ['PATCH', '/api/v1/namespaces/other/pods/foo', 'patch', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['DELETE', '/api/v1/namespaces/other/pods/foo', 'delete', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['POST', '/api/v1/namespaces/other/pods', 'create', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['DELETE', '/api/v1/nodes', 'deletecollection', 'api', '', 'v1', '', 'nodes', '', '', ['nodes']],
  ['DELETE', '/api/v1/namespaces', 'deletecollection', 'api', '', 'v1', '', 'namespaces', '', '', ['namespaces']],
  ['DELETE', '/api/v1/namespaces/other/pods', 'deletecollection', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['DELETE', '/apis/extensions/v1/namespaces/other/pods', 'deletecollection', 'apis', 'extensions', 'v1', 'other', 'pods', '', '', ['pods']],
  ['POST', '/apis/extensions/v1/namespaces/other/pods', 'create', 'apis', 'extensions', 'v1', 'other', 'pods', '', '', ['pods']],
  ['POST', '/apis/extensions/v1beta3/namespaces/other/pods', 'create', 'apis', 'extensions', 'v1beta3', 'other', 'pods', '', '', ['pods']],
  // This server's own shapes.
  [
    'GET', '/apis/kubeactions.dev/v1alpha1/namespaces/ci/workflowruns/build-x7k2p/log?follow=true',
    'get', 'apis', 'kubeactions.dev', 'v1alpha1', 'ci', 'workflowruns', 'log', 'build-x7k2p',
    ['workflowruns', 'build-x7k2p', 'log'],
  ],
  [
    'POST', '/apis/kubeactions.dev/v1alpha1/namespaces/ci/workflowruns/r1/exec?command=sh',
    'create', 'apis', 'kubeactions.dev', 'v1alpha1', 'ci', 'workflowruns', 'exec', 'r1',
    ['workflowruns', 'r1', 'exec'],
  ],
  [
    'GET', '/apis/kubeactions.dev/v1alpha1/workflowruns?watch=true&resourceVersion=5',
    'watch', 'apis', 'kubeactions.dev', 'v1alpha1', '', 'workflowruns', '', '', ['workflowruns'],
  ],
  [
    'GET', '/apis/kubeactions.dev/v1alpha1/watch/namespaces/ci/workflowruns/r1',
    'watch', 'apis', 'kubeactions.dev', 'v1alpha1', 'ci', 'workflowruns', '', 'r1', ['workflowruns', 'r1'],
  ],
  [
    'GET', '/apis/kubeactions.dev/v1alpha1/namespaces/ci/workflowruns/r1?watch=true',
    'get', 'apis', 'kubeactions.dev', 'v1alpha1', 'ci', 'workflowruns', '', 'r1', ['workflowruns', 'r1'],
  ],
  [
    'OPTIONS', '/apis/kubeactions.dev/v1alpha1/namespaces/ci/workflowruns',
    '', 'apis', 'kubeactions.dev', 'v1alpha1', 'ci', 'workflowruns', '', '', ['workflowruns'],
  ],
  // Go's URL.Path is decoded before splitting, so an encoded slash separates segments.
  [
    'GET', '/apis/kubeactions.dev/v1alpha1/namespaces/a%2Fb/workflowruns',
    'get', 'apis', 'kubeactions.dev', 'v1alpha1', 'a', 'b', '', 'workflowruns', ['b', 'workflowruns'],
  ],
];

describe('parseRequestInfo: resource requests', () => {
  for (const [method, url, verb, apiPrefix, apiGroup, apiVersion, namespace, resource, subresource, name, parts] of SUCCESS) {
    it(`${method} ${url}`, () => {
      const got = info(method, url);
      assert.deepEqual(
        { ...got, path: undefined },
        { isResourceRequest: true, path: undefined, verb, apiPrefix, apiGroup, apiVersion, namespace, resource, subresource, name, parts },
      );
    });
  }
});

describe('parseRequestInfo: non-resource requests', () => {
  const cases: Array<[string, string]> = [
    ['no resource path', '/'],
    ['empty', ''],
    ['just apiversion', '/api/version/'],
    ['just prefix, group, version', '/apis/group/version/'],
    ['bad prefix', '/badprefix/version/resource'],
    ['missing api group', '/apis/version/resource'],
    ['group without enough steps', '/apis/extensions/v1beta1'],
    ['not enough steps', '/api/version'],
    ['one step', '/api'],
    ['healthz', '/healthz'],
    ['openapi', '/openapi/v3/apis/kubeactions.dev/v1alpha1'],
  ];
  for (const [name, path] of cases) {
    it(name, () => {
      const got = info('GET', path);
      assert.equal(got.isResourceRequest, false);
      assert.equal(got.verb, 'get');
      assert.equal(got.path, path);
    });
  }

  it('keeps the lower-case method as verb', () => {
    assert.equal(info('POST', '/version').verb, 'post');
    assert.equal(info('DELETE', '/apis').verb, 'delete');
  });

  it('resource-ness of the Go table TestGetNonAPIRequestInfo', () => {
    const table: Array<[string, boolean]> = [
      ['/api/version/resource', true],
      ['/apis/group/version/resource/name/subresource', true],
      ['/api/version/resource/name/subresource', true],
      ['/apis/batch/v1/job', true],
      ['/apis/batch/v1/job/foo', true],
      ['/apis/batch/v1/job/foo/scale', true],
      ['/not-api/version/resource', false],
      ['/apis/extensions/v1beta1/', false],
    ];
    for (const [path, want] of table) assert.equal(info('GET', path).isResourceRequest, want, path);
  });
});

// requestinfo_test.go TestFieldSelectorParsing, plus this server's cases.
describe('parseRequestInfo: metadata.name field selector', () => {
  const cases: Array<[string, string, string, string]> = [
    ['no selector', 'GET /apis/group/version/resource', 'list', ''],
    ['metadata.name selector', 'GET /apis/group/version/resource?fieldSelector=metadata.name=name1', 'list', 'name1'],
    ['with ==', 'GET /apis/group/version/resource?fieldSelector=metadata.name%3D%3Dname1', 'list', 'name1'],
    ['with watch', 'GET /apis/group/version/resource?watch=true&fieldSelector=metadata.name=name1', 'watch', 'name1'],
    ['random selector', 'GET /apis/group/version/resource?fieldSelector=foo=bar', 'list', ''],
    ['not-equals does not name', 'GET /apis/group/version/resource?fieldSelector=metadata.name!%3Dx', 'list', ''],
    ['invalid selector', 'GET /apis/group/version/resource?fieldSelector=metadata.name=name1,foo', 'list', ''],
    ['invalid selector with watch', 'GET /apis/group/version/resource?fieldSelector=metadata.name=name1,foo&watch=true', 'watch', ''],
    ['invalid selector watch=false', 'GET /apis/group/version/resource?fieldSelector=metadata.name=name1,foo&watch=false', 'list', ''],
    ['bad labelSelector discards the name', 'GET /apis/g/v/r?fieldSelector=metadata.name=n&labelSelector=a%20b', 'list', ''],
    ['bad limit discards the name', 'GET /apis/g/v/r?fieldSelector=metadata.name=n&limit=ten&watch=1', 'watch', ''],
    ['name not a path segment', 'GET /apis/g/v/r?fieldSelector=metadata.name=a%2Fb', 'list', ''],
    ['name ..', 'GET /apis/g/v/r?fieldSelector=metadata.name=..', 'list', ''],
    ['deletecollection takes no name', 'DELETE /apis/g/v/r?fieldSelector=metadata.name=n', 'deletecollection', ''],
    ['kubectl get -w', 'GET /apis/g/v/namespaces/ns/r?fieldSelector=metadata.name%3Dx&resourceVersion=0&watch=true', 'watch', 'x'],
  ];
  for (const [name, request, verb, wantName] of cases) {
    it(name, () => {
      const [method = '', url = ''] = request.split(' ');
      const got = info(method, url);
      assert.equal(got.verb, verb);
      assert.equal(got.name, wantName);
    });
  }
});

describe('parseRequestInfo: errors', () => {
  it('fails like Go for a special verb with nothing after it', () => {
    assert.throws(
      () => info('GET', '/api/v1/watch?x=1'),
      (e: unknown) =>
        isStatusError(e) &&
        e.status.code === 500 &&
        e.status.message ===
          'Internal error occurred: failed to create RequestInfo: unable to determine kind and namespace from url, /api/v1/watch?x=1',
    );
  });
});
