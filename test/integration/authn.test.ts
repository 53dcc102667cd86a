// Authentication of the real `kube-actions apiserver` process: front-proxy certificates with
// X-Remote-* headers (configured from the extension-apiserver-authentication ConfigMap),
// client certificates (--client-ca-file overriding the ConfigMap), delegated TokenReview with its
// cache, the websocket subprotocol token, and anonymous requests. Who the server took the caller
// for is read from the SubjectAccessReview it sends to the test's review server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { generateCA, issueCertificate, type PemKeyPair } from '../../src/cli/certs.js';
import { type ApiServerProcess, startApiServerProcess } from '../helpers/components.js';
import { type TestRedis, startTestRedis } from '../helpers/redis.js';
import { type AccessReviewSpec, type ReviewServer, startReviewServer } from '../helpers/review-server.js';
import { RUNS_API } from '../helpers/runs.js';
import { type Credentials, send, upgrade } from '../helpers/tls-request.js';

const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

describe('authentication', { timeout: 120_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  let review: ReviewServer;
  let api: ApiServerProcess;
  let probes = 0;
  const certs: Record<string, PemKeyPair> = {};

  before(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'kube-actions-authn-'));
    review = await startReviewServer(dir);
    const [frontProxyCA, otherCA, clientCA] = await Promise.all([generateCA('front-proxy-ca'), generateCA('other-ca'), generateCA('client-ca')]);
    const client = (ca: PemKeyPair, commonName: string, extra: { organizations?: string[]; validityDays?: number } = {}): Promise<PemKeyPair> =>
      issueCertificate(ca, { commonName, usage: 'client', ...extra });
    [certs.proxy, certs.proxyOtherName, certs.proxyWrongCA, certs.proxyExpired, certs.carol] = await Promise.all([
      client(frontProxyCA, 'front-proxy-client'),
      client(frontProxyCA, 'intruder'),
      client(otherCA, 'front-proxy-client'),
      client(frontProxyCA, 'front-proxy-client', { validityDays: -1 }),
      client(clientCA, 'carol', { organizations: ['dev', 'ops'] }),
    ]);
    certs.proxyServerUsage = await issueCertificate(frontProxyCA, { commonName: 'front-proxy-client', usage: 'server' });
    // The ConfigMap names otherCA as client CA; --client-ca-file must win over it.
    review.configMap = {
      'client-ca-file': otherCA.cert,
      'requestheader-client-ca-file': frontProxyCA.cert,
      'requestheader-allowed-names': '["front-proxy-client"]',
      'requestheader-username-headers': '["X-Remote-User"]',
      'requestheader-group-headers': '["X-Remote-Group"]',
      'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
    };
    review.users.set('tina-token', { username: 'tina', uid: 'tina-uid', groups: ['team'], extra: { scopes: ['x'] } });
    review.erroring.set('expired-token', 'token has expired');
    const clientCAFile = join(dir, 'client-ca.crt');
    await writeFile(clientCAFile, clientCA.cert);
    api = await startApiServerProcess({
      redisUrl: redis.url, dir: join(dir, 'api'),
      args: ['--authentication-kubeconfig', review.kubeconfig, '--authorization-kubeconfig', review.kubeconfig,
        '--client-ca-file', clientCAFile, '--authentication-token-webhook-cache-ttl', '2s'],
    });
  });
  after(async () => {
    await api?.stop();
    await review?.close();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const target = (): { url: string; ca: string } => ({ url: api.target.url, ca: api.target.ca });

  /** GETs a fresh run name with `creds`; resolves with the status and the spec of the SubjectAccessReview it caused. */
  async function whoami(creds: Credentials): Promise<{ status: number; body: string; spec?: AccessReviewSpec }> {
    const name = `probe-${++probes}`;
    const res = await send(target(), `${RUNS_API}/namespaces/default/workflowruns/${name}`, creds);
    const spec = review.accessReviews.find((r) => r.body.spec.resourceAttributes?.name === name)?.body.spec;
    return { status: res.status, body: res.text, spec };
  }

  function assertUnauthorized(r: { status: number; body: string; spec?: AccessReviewSpec }): void {
    assert.equal(r.status, 401, r.body);
    assert.deepEqual(JSON.parse(r.body), UNAUTHORIZED);
    assert.equal(r.spec, undefined, 'no SubjectAccessReview for an unauthenticated request');
  }

  describe('front proxy (requestheader)', () => {
    it('read the requestheader settings from the ConfigMap with the kubeconfig credential', () => {
      assert.ok(review.configMapReads >= 1);
    });

    it('a certificate from the requestheader CA lets X-Remote-User, every X-Remote-Group line and X-Remote-Extra-* name the user', async () => {
      const r = await whoami({
        cert: certs.proxy,
        headers: {
          'X-Remote-User': 'alice',
          'X-Remote-Group': ['dev', 'ops,qa', ''],
          'X-Remote-Extra-Scopes': ['read', 'write'],
          'X-Remote-Extra-Acme.com%2FProject': 'p1',
        },
      });
      assert.equal(r.status, 404, r.body);
      assert.equal(r.spec?.user, 'alice');
      assert.deepEqual(r.spec?.groups, ['dev', 'ops,qa', 'system:authenticated']);
      assert.deepEqual(r.spec?.extra, { scopes: ['read', 'write'], 'acme.com/project': ['p1'] });
      assert.equal(r.spec?.uid, undefined);
    });

    it('does not add system:authenticated twice and wins over a bearer token on the same request', async () => {
      const before = review.tokenReviews.length;
      const r = await whoami({ cert: certs.proxy, token: 'not-a-token', headers: { 'X-Remote-User': 'alice', 'X-Remote-Group': ['system:authenticated'] } });
      assert.equal(r.status, 404, r.body);
      assert.equal(r.spec?.user, 'alice');
      assert.deepEqual(r.spec?.groups, ['system:authenticated']);
      assert.equal(review.tokenReviews.length, before, 'the token was never looked at');
    });

    it('a certificate from another CA: 401, the headers are not believed', async () => {
      assertUnauthorized(await whoami({ cert: certs.proxyWrongCA, headers: { 'X-Remote-User': 'alice' } }));
    });

    it('a certificate from the requestheader CA whose CN is not an allowed name: 401', async () => {
      assertUnauthorized(await whoami({ cert: certs.proxyOtherName, headers: { 'X-Remote-User': 'alice' } }));
    });

    it('a certificate without the clientAuth usage, or expired: 401', async () => {
      assertUnauthorized(await whoami({ cert: certs.proxyServerUsage, headers: { 'X-Remote-User': 'alice' } }));
      assertUnauthorized(await whoami({ cert: certs.proxyExpired, headers: { 'X-Remote-User': 'alice' } }));
    });

    it('X-Remote-* headers without a certificate are ignored: anonymous, 401; a health probe is still let in', async () => {
      const headers = { 'X-Remote-User': 'alice', 'X-Remote-Group': 'system:masters' };
      assertUnauthorized(await whoami({ headers }));
      const health = await send(target(), '/healthz', { headers });
      assert.equal(health.status, 200);
      assert.equal(health.text, 'ok');
    });
  });

  describe('client certificates', () => {
    it('a certificate from --client-ca-file: CN is the user, O the groups', async () => {
      const r = await whoami({ cert: certs.carol });
      assert.equal(r.status, 404, r.body);
      assert.equal(r.spec?.user, 'carol');
      assert.deepEqual(r.spec?.groups, ['dev', 'ops', 'system:authenticated']);
    });

    it('X-Remote-User next to a client certificate changes nothing', async () => {
      const r = await whoami({ cert: certs.carol, headers: { 'X-Remote-User': 'mallory', 'X-Remote-Group': 'system:masters' } });
      assert.equal(r.spec?.user, 'carol');
      assert.deepEqual(r.spec?.groups, ['dev', 'ops', 'system:authenticated']);
    });

    it('kubectl with a client certificate in its kubeconfig is that user', async () => {
      const b64 = (text: string): string => Buffer.from(text).toString('base64');
      const kubeconfig = join(dir, 'carol.kubeconfig');
      await writeFile(kubeconfig, stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
        clusters: [{ name: 'c', cluster: { server: api.target.url, 'certificate-authority-data': b64(api.target.ca) } }],
        users: [{ name: 'carol', user: { 'client-certificate-data': b64(certs.carol?.cert ?? ''), 'client-key-data': b64(certs.carol?.key ?? '') } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'carol' } }],
      }));
      const out = await promisify(execFile)('kubectl', ['--kubeconfig', kubeconfig, 'get', '--raw', `${RUNS_API}/namespaces/default/workflowruns`], { env: { ...process.env, HOME: dir } });
      assert.match(out.stdout, /"kind":"WorkflowRunList"/);
      const spec = review.accessReviews.map((r) => r.body.spec).findLast((s) => s.resourceAttributes?.verb === 'list');
      assert.equal(spec?.user, 'carol');
    });

    it('--client-ca-file overrides the ConfigMap client-ca-file: its CA is not trusted', async () => {
      assertUnauthorized(await whoami({ cert: certs.proxyWrongCA }));
    });
  });

  describe('bearer tokens', () => {
    it('the static token table is asked first: no TokenReview for the admin token', async () => {
      const before = review.tokenReviews.length;
      const res = await send(target(), '/apis', { token: api.target.token });
      assert.equal(res.status, 200);
      assert.equal(review.tokenReviews.length, before);
    });

    it('other tokens go to TokenReview with the kubeconfig credential; the user it names is the user', async () => {
      const before = review.tokenReviews.length;
      const r = await whoami({ token: 'tina-token' });
      assert.equal(r.status, 404, r.body);
      assert.deepEqual(review.tokenReviews.slice(before), [{
        authorization: `Bearer ${review.token}`,
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'tina-token' } },
      }]);
      assert.deepEqual(r.spec, {
        resourceAttributes: { namespace: 'default', verb: 'get', group: 'kubeactions.dev', version: 'v1alpha1', resource: 'workflowruns', name: r.spec?.resourceAttributes?.name },
        user: 'tina', groups: ['team', 'system:authenticated'], extra: { scopes: ['x'] }, uid: 'tina-uid',
      });
    });

    it('answers are cached for --authentication-token-webhook-cache-ttl, accepted and refused alike', async () => {
      const count = (token: string): number => review.tokenReviews.filter((r) => r.body.spec.token === token).length;
      assertUnauthorized(await whoami({ token: 'cache-good' }));
      // The refusal is cached although TokenReview would now accept the token.
      review.users.set('cache-good', { username: 'gina' });
      assertUnauthorized(await whoami({ token: 'cache-good' }));
      assert.equal(count('cache-good'), 1);
      await sleep(2_300);
      const after = await whoami({ token: 'cache-good' });
      assert.equal(after.spec?.user, 'gina');
      assert.equal(count('cache-good'), 2);
      await whoami({ token: 'cache-good' });
      assert.equal(count('cache-good'), 2);
    });

    it('a refusal with status.error is 401 and not cached', async () => {
      const count = (): number => review.tokenReviews.filter((r) => r.body.spec.token === 'expired-token').length;
      assertUnauthorized(await whoami({ token: 'expired-token' }));
      assertUnauthorized(await whoami({ token: 'expired-token' }));
      assert.equal(count(), 2);
    });

    it('a token in the websocket subprotocol authenticates an upgrade; exec is authorized for get and create', async () => {
      const encoded = Buffer.from('tina-token').toString('base64url');
      const path = `${RUNS_API}/namespaces/default/workflowruns/ws-probe/exec?command=true&stdout=true`;
      const res = await upgrade(target(), path, [`base64url.bearer.authorization.k8s.io.${encoded}`, 'v5.channel.k8s.io']);
      assert.equal(res.status, 404, res.text);
      const specs = review.accessReviews.map((r) => r.body.spec).filter((s) => s.resourceAttributes?.name === 'ws-probe');
      assert.deepEqual(specs.map((s) => [s.user, s.resourceAttributes?.verb, s.resourceAttributes?.subresource]), [['tina', 'get', 'exec'], ['tina', 'create', 'exec']]);
    });

    it('a bad subprotocol token, or one with no other subprotocol, is 401', async () => {
      const path = `${RUNS_API}/namespaces/default/workflowruns/ws-probe/exec?command=true&stdout=true`;
      const bad = await upgrade(target(), path, [`base64url.bearer.authorization.k8s.io.${Buffer.from('nope').toString('base64url')}`, 'v5.channel.k8s.io']);
      assert.equal(bad.status, 401);
      assert.deepEqual(bad.json(), UNAUTHORIZED);
      const alone = await upgrade(target(), path, [`base64url.bearer.authorization.k8s.io.${Buffer.from('tina-token').toString('base64url')}`]);
      assert.equal(alone.status, 401);
    });
  });

  describe('anonymous', () => {
    it('no credentials: 401 everywhere but the health endpoints', async () => {
      for (const path of ['/apis', '/version', '/openapi/v3', `${RUNS_API}/namespaces/default/workflowruns`]) {
        const res = await send(target(), path);
        assert.equal(res.status, 401, path);
        assert.deepEqual(res.json(), UNAUTHORIZED);
      }
      for (const path of ['/healthz', '/livez', '/readyz']) assert.equal((await send(target(), path)).status, 200, path);
    });

    it('a presented but invalid credential is 401 even on a health endpoint', async () => {
      assert.equal((await send(target(), '/healthz', { token: 'not-a-token' })).status, 401);
    });
  });
});
