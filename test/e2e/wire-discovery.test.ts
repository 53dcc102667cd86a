// Wire conformance of the non-resource endpoints against the real `kube-actions dev`:
// discovery (legacy and aggregated), OpenAPI v2/v3, /version, health and authentication
// (K8S-WIRE-SPEC.md §1, §2, §3, §8.5).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { kubeRequest } from '../helpers/kube-http.js';
import { type DevServer, startDevServer } from '../helpers/server.js';

const GV = 'kubeactions.dev/v1alpha1';
const KUBECTL_DISCOVERY_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,'
  + 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
const V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const GROUP_VERSION = { groupVersion: GV, version: 'v1alpha1' };

const sha512 = (s: string): string => createHash('sha512').update(s).digest('hex').toUpperCase();
const mediaType = (ct: string | undefined): string => (ct ?? '').split(';')[0]?.trim() ?? '';

/** The g/v/as parameters of an application/json Content-Type, as client-go's ContentTypeIsGVK reads them. */
function gvkParams(ct: string | undefined): Record<string, string> {
  const [type, ...params] = (ct ?? '').split(';').map((p) => p.trim());
  assert.equal(type, 'application/json');
  const out: Record<string, string> = {};
  for (const p of params) {
    const [k = '', v = ''] = p.split('=');
    if (['g', 'v', 'as'].includes(k)) out[k] = v;
  }
  return out;
}

interface DiscoveryResource {
  resource: string;
  responseKind: { group: string; version: string; kind: string };
  scope: string;
  singularResource: string;
  verbs: string[];
  shortNames: string[];
  subresources: { subresource: string; responseKind: { kind: string }; verbs: string[] }[];
}
interface AggregatedList {
  kind: string;
  apiVersion: string;
  items: { metadata: { name: string }; versions: { version: string; freshness?: string; resources: DiscoveryResource[] }[] }[];
}

describe('wire: discovery, OpenAPI, version, health', { timeout: 120_000 }, () => {
  let server: DevServer;
  before(async () => {
    server = await startDevServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('GET /api is a plain 404, as an aggregated apiserver answers it', async () => {
    const r = await kubeRequest(server, '/api?timeout=32s', { headers: { Accept: KUBECTL_DISCOVERY_ACCEPT } });
    assert.equal(r.status, 404);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.text, '404 page not found\n');
  });

  it('GET /apis with Accept: application/json is the APIGroupList', async () => {
    const r = await kubeRequest(server, '/apis?timeout=32s', { headers: { Accept: 'application/json' } });
    assert.equal(r.status, 200);
    assert.equal(mediaType(r.headers['content-type']), 'application/json');
    const body = r.json<{ kind: string; groups: unknown[] }>();
    assert.equal(body.kind, 'APIGroupList');
    assert.deepEqual(body.groups, [{ name: 'kubeactions.dev', versions: [GROUP_VERSION], preferredVersion: GROUP_VERSION }]);
  });

  it('GET /apis with the kubectl Accept is aggregated discovery v2 with ETag and 304', async () => {
    const r = await kubeRequest(server, '/apis', { headers: { Accept: KUBECTL_DISCOVERY_ACCEPT } });
    assert.equal(r.status, 200);
    assert.deepEqual(gvkParams(r.headers['content-type']), { g: 'apidiscovery.k8s.io', v: 'v2', as: 'APIGroupDiscoveryList' });
    assert.equal(r.headers.vary, 'Accept');
    assert.equal(r.headers['cache-control'], 'public');
    assert.equal(r.headers.etag, `"${sha512(r.text)}"`);
    const body = r.json<AggregatedList>();
    assert.equal(body.kind, 'APIGroupDiscoveryList');
    assert.equal(body.apiVersion, 'apidiscovery.k8s.io/v2');
    assert.equal(body.items.length, 1);
    const group = body.items[0];
    assert.equal(group?.metadata.name, 'kubeactions.dev');
    assert.equal(group?.versions.length, 1);
    const version = group?.versions[0];
    assert.equal(version?.version, 'v1alpha1');
    assert.equal(version?.freshness, 'Current');
    const wfr = version?.resources[0];
    assert.equal(wfr?.resource, 'workflowruns');
    assert.deepEqual(wfr?.responseKind, { group: 'kubeactions.dev', version: 'v1alpha1', kind: 'WorkflowRun' });
    assert.equal(wfr?.scope, 'Namespaced');
    assert.equal(wfr?.singularResource, 'workflowrun');
    assert.deepEqual(wfr?.verbs, VERBS);
    assert.deepEqual(wfr?.shortNames, ['wfr']);
    assert.ok((wfr?.subresources.length ?? 0) > 0);
    for (const sub of wfr?.subresources ?? []) {
      assert.notEqual(sub.responseKind.kind, '', `subresource ${sub.subresource} has a responseKind`);
      assert.deepEqual(sub.verbs, [...sub.verbs].sort(), `verbs of ${sub.subresource} are sorted`);
    }

    const again = await kubeRequest(server, '/apis', { headers: { Accept: KUBECTL_DISCOVERY_ACCEPT, 'If-None-Match': r.headers.etag ?? '' } });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    assert.equal(again.headers.etag, r.headers.etag);

    const stale = await kubeRequest(server, '/apis', { headers: { Accept: KUBECTL_DISCOVERY_ACCEPT, 'If-None-Match': '"0"' } });
    assert.equal(stale.status, 200);
    assert.equal(stale.text, r.text);
    // The apiserver sends exactly this (generateMediaTypeWithGVK), without a charset.
    assert.equal(r.headers['content-type'], V2);
  });

  it('aggregated discovery v2beta1 and kube-aggregator\'s JSON-less Accept', async () => {
    const v2 = await kubeRequest(server, '/apis', { headers: { Accept: V2 } });
    const beta = await kubeRequest(server, '/apis', { headers: { Accept: V2BETA1 } });
    assert.equal(beta.status, 200);
    assert.deepEqual(gvkParams(beta.headers['content-type']), { g: 'apidiscovery.k8s.io', v: 'v2beta1', as: 'APIGroupDiscoveryList' });
    const body = beta.json<AggregatedList>();
    assert.equal(body.apiVersion, 'apidiscovery.k8s.io/v2beta1');
    assert.deepEqual(body.items, v2.json<AggregatedList>().items);
    assert.equal(beta.headers.etag, v2.headers.etag);
    const notModified = await kubeRequest(server, '/apis', { headers: { Accept: V2BETA1, 'If-None-Match': beta.headers.etag ?? '' } });
    assert.equal(notModified.status, 304);

    const aggregator = await kubeRequest(server, '/apis', { headers: { Accept: `${V2},${V2BETA1}` } });
    assert.equal(aggregator.status, 200);
    assert.deepEqual(gvkParams(aggregator.headers['content-type']), { g: 'apidiscovery.k8s.io', v: 'v2', as: 'APIGroupDiscoveryList' });
    assert.equal(aggregator.text, v2.text);
    assert.equal(beta.headers['content-type'], V2BETA1);
  });

  it('GET /apis/<group> is the APIGroup', async () => {
    const r = await kubeRequest(server, '/apis/kubeactions.dev', { headers: { Accept: 'application/json' } });
    assert.equal(r.status, 200);
    assert.equal(mediaType(r.headers['content-type']), 'application/json');
    assert.deepEqual(r.json(), {
      kind: 'APIGroup', apiVersion: 'v1', name: 'kubeactions.dev', versions: [GROUP_VERSION], preferredVersion: GROUP_VERSION,
    });
    const missing = await kubeRequest(server, '/apis/nope.example.com');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404,
    });
  });

  it('GET /apis/<group>/<version> lists the parent resource before its subresources', async () => {
    const r = await kubeRequest(server, `/apis/${GV}`, { headers: { Accept: 'application/json, */*;q=0.8' } });
    assert.equal(r.status, 200);
    assert.equal(mediaType(r.headers['content-type']), 'application/json');
    const body = r.json<{ kind: string; apiVersion: string; groupVersion: string; resources: Record<string, unknown>[] }>();
    assert.equal(body.kind, 'APIResourceList');
    assert.equal(body.apiVersion, 'v1');
    assert.equal(body.groupVersion, GV);
    const [first, ...subs] = body.resources;
    assert.deepEqual(first, {
      name: 'workflowruns', singularName: 'workflowrun', namespaced: true, kind: 'WorkflowRun', verbs: VERBS,
      shortNames: ['wfr'], categories: ['kubeactions'],
    });
    assert.ok(subs.length > 0);
    for (const s of subs) {
      assert.match(String(s.name), /^workflowruns\/[a-z]+$/);
      assert.equal(s.singularName, '');
      assert.equal(s.namespaced, true);
      assert.notEqual(s.kind, '');
      assert.ok(Array.isArray(s.verbs));
    }
    // client-node's KubernetesObjectApi takes the first entry of the kind.
    assert.equal(body.resources.find((x) => x.kind === 'WorkflowRun')?.name, 'workflowruns');
  });

  it('OpenAPI v3: root, hashed GV document with immutable caching, 301 on a stale hash, 304', async () => {
    const root = await kubeRequest(server, '/openapi/v3?timeout=32s', { headers: { Accept: 'application/json, */*' } });
    assert.equal(root.status, 200);
    assert.equal(mediaType(root.headers['content-type']), 'application/json');
    assert.match(root.headers.etag ?? '', /^"[0-9A-F]{128}"$/);
    const paths = root.json<{ paths: Record<string, { serverRelativeURL: string }> }>().paths;
    assert.deepEqual(Object.keys(paths), [`apis/${GV}`]);
    const url = paths[`apis/${GV}`]?.serverRelativeURL ?? '';
    const m = /^\/openapi\/v3\/apis\/kubeactions\.dev\/v1alpha1\?hash=([0-9A-F]{128})$/.exec(url);
    assert.ok(m, url);
    const hash = m[1] ?? '';

    const doc = await kubeRequest(server, `${url}&timeout=32s`, { headers: { Accept: 'application/json' } });
    assert.equal(doc.status, 200);
    assert.equal(mediaType(doc.headers['content-type']), 'application/json');
    assert.equal(doc.headers.etag, `"${hash}"`);
    assert.equal(sha512(doc.text), hash);
    assert.equal(doc.headers.vary, 'Accept');
    assert.equal(doc.headers['cache-control'], 'public, immutable');
    const expires = Date.parse(doc.headers.expires ?? '');
    assert.ok(Math.abs(expires - (Date.now() + 365 * 24 * 3600 * 1000)) < 2 * 24 * 3600 * 1000, `Expires ${doc.headers.expires}`);
    const spec = doc.json<{ openapi: string; paths: Record<string, unknown> }>();
    assert.match(spec.openapi, /^3\./);
    assert.ok(`/apis/${GV}/namespaces/{namespace}/workflowruns/{name}` in spec.paths);

    const unhashed = await kubeRequest(server, `/openapi/v3/apis/${GV}`);
    assert.equal(unhashed.status, 200);
    assert.equal(unhashed.headers['cache-control'], undefined);
    assert.equal(unhashed.text, doc.text);

    const moved = await kubeRequest(server, `/openapi/v3/apis/${GV}?hash=0123ABC`);
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.location, `/openapi/v3/apis/${GV}?hash=${hash}`);

    const cached = await kubeRequest(server, url, { headers: { 'If-None-Match': `"${hash}"` } });
    assert.equal(cached.status, 304);
    assert.equal(cached.text, '');

    const proto = await kubeRequest(server, url, { headers: { Accept: 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf' } });
    assert.equal(proto.status, 406);
  });

  it('OpenAPI v2 is Swagger JSON with an ETag, limited to the group-version', async () => {
    const r = await kubeRequest(server, '/openapi/v2', { headers: { Accept: 'application/json' } });
    assert.equal(r.status, 200);
    assert.equal(mediaType(r.headers['content-type']), 'application/json');
    assert.equal(r.headers.etag, `"${sha512(r.text)}"`);
    const spec = r.json<{ swagger: string; paths: Record<string, unknown>; definitions: Record<string, { 'x-kubernetes-group-version-kind'?: unknown[] }> }>();
    assert.equal(spec.swagger, '2.0');
    assert.ok(Object.keys(spec.paths).length > 0);
    for (const p of Object.keys(spec.paths)) assert.ok(p.startsWith(`/apis/${GV}/`), p);
    const kinds = Object.values(spec.definitions).flatMap((d) => d['x-kubernetes-group-version-kind'] ?? []);
    assert.deepEqual(kinds.filter((k) => (k as { kind: string }).kind === 'WorkflowRun'), [{ group: 'kubeactions.dev', kind: 'WorkflowRun', version: 'v1alpha1' }]);
    const cached = await kubeRequest(server, '/openapi/v2', { headers: { Accept: 'application/json', 'If-None-Match': r.headers.etag ?? '' } });
    assert.equal(cached.status, 304);
  });

  it('GET /version is a version.Info', async () => {
    const r = await kubeRequest(server, '/version?timeout=5s');
    assert.equal(r.status, 200);
    assert.equal(mediaType(r.headers['content-type']), 'application/json');
    const v = r.json<Record<string, string>>();
    assert.deepEqual(Object.keys(v).sort(), ['buildDate', 'compiler', 'gitCommit', 'gitTreeState', 'gitVersion', 'goVersion', 'major', 'minor', 'platform']);
    assert.equal(v.major, '1');
    assert.equal(v.minor, '32');
    assert.match(v.gitVersion ?? '', /^v\d+\.\d+\.\d+/);
    assert.match(v.platform ?? '', /^[a-z0-9]+\/[a-z0-9]+$/);
  });

  it('health endpoints: plain ok, ?verbose, per check, ?exclude=, all without a token', async () => {
    for (const endpoint of ['healthz', 'livez', 'readyz']) {
      const r = await kubeRequest(server, `/${endpoint}`, { token: null });
      assert.equal(r.status, 200, endpoint);
      assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.text, 'ok');
    }
    const verbose = await kubeRequest(server, '/readyz?verbose', { token: null });
    assert.equal(verbose.status, 200);
    assert.equal(verbose.text, '[+]ping ok\n[+]redis ok\n[+]shutdown ok\nreadyz check passed\n');
    const live = await kubeRequest(server, '/livez?verbose');
    assert.equal(live.text, '[+]ping ok\nlivez check passed\n');
    const excluded = await kubeRequest(server, '/readyz?verbose&exclude=redis', { token: null });
    assert.equal(excluded.status, 200);
    assert.equal(excluded.text, '[+]ping ok\n[+]redis excluded: ok\n[+]shutdown ok\nreadyz check passed\n');
    const one = await kubeRequest(server, '/readyz/redis', { token: null });
    assert.equal(one.status, 200);
    assert.equal(one.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(one.text, 'ok');
    const ping = await kubeRequest(server, '/healthz/ping', { token: null });
    assert.equal(ping.status, 200);
    assert.equal(ping.text, 'ok');
    const unknown = await kubeRequest(server, '/readyz/nope', { token: null });
    assert.equal(unknown.status, 404);
  });

  it('everything else needs credentials: 401 Status without a token or with a wrong one', async () => {
    const unauthorized = {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401,
    };
    for (const path of ['/apis', `/apis/${GV}`, '/openapi/v3', '/version', `/apis/${GV}/namespaces/default/workflowruns`]) {
      const r = await kubeRequest(server, path, { token: null });
      assert.equal(r.status, 401, path);
      assert.equal(mediaType(r.headers['content-type']), 'application/json');
      assert.deepEqual(r.json(), unauthorized);
    }
    const wrong = await kubeRequest(server, '/apis', { token: 'not-the-token' });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.json(), unauthorized);
    // A presented but invalid credential is refused even where anonymous users are let in.
    const badProbe = await kubeRequest(server, '/healthz', { token: 'not-the-token' });
    assert.equal(badProbe.status, 401);
  });
});
