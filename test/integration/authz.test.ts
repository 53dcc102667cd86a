// Authorization of the real server: delegated SubjectAccessReview (the attributes sent for every
// verb and subresource, the 403 kube-apiserver gives with the review's reason, the caches of
// allowed and refused answers, the short-circuits, namespace scoping of lists and watches), and
// in dev mode without kube-apiserver the static policy file.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiServerProcess, startApiServerProcess } from '../helpers/components.js';
import { type TestRedis, startTestRedis } from '../helpers/redis.js';
import { type AccessReviewSpec, type ReviewServer, startReviewServer } from '../helpers/review-server.js';
import { RUNS_API, runsPath } from '../helpers/runs.js';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { type Answer, send, type SendOptions, type TlsTarget, upgrade } from '../helpers/tls-request.js';

const GROUP = 'kubeactions.dev';
const VERSION = 'v1alpha1';

function run(name: string): Record<string, unknown> {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: 'WorkflowRun', metadata: { name }, spec: { steps: [{ name: 'a', run: 'true' }] } };
}

function forbiddenStatus(message: string, details: Record<string, string>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details, code: 403 };
}

function names(res: Answer): string[] {
  return res.json<{ items: { metadata: { namespace: string; name: string } }[] }>().items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`).sort();
}

describe('delegated authorization (SubjectAccessReview)', { timeout: 120_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  let review: ReviewServer;
  let api: ApiServerProcess;
  let target: TlsTarget;

  /** alice: team-a only, no exec create; bob: refused with a reason; carol: no opinion; dave: everything. */
  function decide(spec: AccessReviewSpec): { allowed: boolean; denied?: boolean; reason?: string } | { httpStatus: number } {
    const ra = spec.resourceAttributes;
    if (!ra) return { allowed: spec.user !== 'bob', reason: spec.user === 'bob' ? 'no path for bob' : '' };
    switch (spec.user) {
      case 'alice':
        if (ra.subresource === 'exec' && ra.verb === 'create') return { allowed: false, denied: true, reason: 'exec is not for alice' };
        return ra.namespace === 'team-a' ? { allowed: true } : { allowed: false, reason: 'alice works in team-a' };
      case 'bob': return { allowed: false, denied: true, reason: 'no RBAC policy matched' };
      case 'dave': return { allowed: true };
      case 'erin': return review.accessReviews.filter((r) => r.body.spec.user === 'erin').length === 1 ? { httpStatus: 503 } : { allowed: true };
      case 'frank': return { httpStatus: 400 };
      default: return { allowed: false };
    }
  }

  before(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'kube-actions-authz-'));
    review = await startReviewServer(dir);
    for (const user of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
      review.users.set(`${user}-token`, { username: user, uid: `${user}-uid`, groups: user === 'alice' ? ['dev'] : [] });
    }
    review.decide = decide;
    api = await startApiServerProcess({
      redisUrl: redis.url, dir: join(dir, 'api'),
      args: ['--kubeconfig', review.kubeconfig, '--authentication-skip-lookup',
        '--authorization-webhook-cache-authorized-ttl', '1m', '--authorization-webhook-cache-unauthorized-ttl', '1s',
        '--authorization-always-allow-paths', '/healthz,/livez,/readyz', '--authorization-always-allow-paths', '/version'],
    });
    target = { url: api.target.url, ca: api.target.ca };
    for (const [ns, name] of [['team-a', 'r1'], ['team-a', 'r2'], ['team-b', 'r3']] as const) {
      const res = await send(target, runsPath(ns), { method: 'POST', token: api.target.token, body: run(name) });
      assert.equal(res.status, 201, res.text);
    }
  });
  after(async () => {
    await api?.stop();
    await review?.close();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Sends as `user` and returns the answer and the SubjectAccessReview specs it caused. */
  async function as(user: string, path: string, o: SendOptions = {}): Promise<{ res: Answer; specs: AccessReviewSpec[] }> {
    const before = review.accessReviews.length;
    const res = await send(target, path, { token: `${user}-token`, ...o });
    return { res, specs: review.accessReviews.slice(before).map((r) => r.body.spec) };
  }

  it('sends the user, uid, groups and resource attributes with the kubeconfig credential', async () => {
    const before = review.accessReviews.length;
    const { res } = await as('alice', `${runsPath('team-a')}/r1`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(review.accessReviews.slice(before), [{
      authorization: `Bearer ${review.token}`,
      body: {
        apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
        spec: {
          resourceAttributes: { namespace: 'team-a', verb: 'get', group: GROUP, version: VERSION, resource: 'workflowruns', name: 'r1' },
          user: 'alice', groups: ['dev', 'system:authenticated'], uid: 'alice-uid',
        },
      },
    }]);
  });

  it('maps every verb and subresource as kube-apiserver does', async () => {
    const ns = runsPath('team-a');
    const cases: [string, SendOptions, Record<string, string>][] = [
      [`${ns}/r2`, {}, { verb: 'get', name: 'r2' }],
      [ns, {}, { verb: 'list' }],
      [`${ns}?fieldSelector=metadata.name%3Dr2`, {}, { verb: 'list', name: 'r2' }],
      [`${ns}?watch=true&timeoutSeconds=1`, {}, { verb: 'watch' }],
      [`${RUNS_API}/watch/namespaces/team-a/workflowruns/r2?timeoutSeconds=1`, {}, { verb: 'watch', name: 'r2' }],
      [ns, { method: 'POST', body: run('r9') }, { verb: 'create' }],
      [`${ns}/r9`, { method: 'PUT', body: run('r9') }, { verb: 'update', name: 'r9' }],
      [`${ns}/r9`, { method: 'PATCH', body: { metadata: { labels: { a: 'b' } } }, contentType: 'application/merge-patch+json' }, { verb: 'patch', name: 'r9' }],
      [`${ns}/r9/status`, {}, { verb: 'get', subresource: 'status', name: 'r9' }],
      [`${ns}/r9/log`, {}, { verb: 'get', subresource: 'log', name: 'r9' }],
      [`${ns}/r9/cancel`, { method: 'POST', body: {} }, { verb: 'create', subresource: 'cancel', name: 'r9' }],
      [`${ns}/r9`, { method: 'DELETE' }, { verb: 'delete', name: 'r9' }],
      [`${ns}?labelSelector=nothing%3Dhere`, { method: 'DELETE' }, { verb: 'deletecollection' }],
    ];
    for (const [path, o, attrs] of cases) {
      const { res, specs } = await as('alice', path, o);
      assert.notEqual(res.status, 403, `${path}: ${res.text}`);
      assert.deepEqual(specs.map((s) => s.resourceAttributes), [{ namespace: 'team-a', group: GROUP, version: VERSION, resource: 'workflowruns', ...attrs }], path);
    }
  });

  it('a websocket exec needs get and create on workflowruns/exec; a refused create is 403 before the upgrade', async () => {
    const before = review.accessReviews.length;
    const res = await upgrade(target, `${runsPath('team-a')}/r1/exec?command=sh&stdin=true&stdout=true`, ['v5.channel.k8s.io'], { token: 'alice-token' });
    assert.equal(res.status, 403);
    assert.deepEqual(res.json(), forbiddenStatus(
      'workflowruns.kubeactions.dev "r1" is forbidden: User "alice" cannot create resource "workflowruns/exec" in API group "kubeactions.dev" in the namespace "team-a": exec is not for alice',
      { name: 'r1', group: GROUP, kind: 'workflowruns' },
    ));
    const attrs = review.accessReviews.slice(before).map((r) => r.body.spec.resourceAttributes);
    const exec = { namespace: 'team-a', group: GROUP, version: VERSION, resource: 'workflowruns', subresource: 'exec', name: 'r1' };
    assert.deepEqual(attrs, [{ ...exec, verb: 'get' }, { ...exec, verb: 'create' }]);
  });

  it('a denial is 403 with kube-apiserver\'s message and the review\'s reason', async () => {
    const { res } = await as('bob', `${runsPath('team-a')}/r1`);
    assert.equal(res.status, 403);
    assert.deepEqual(res.json(), forbiddenStatus(
      'workflowruns.kubeactions.dev "r1" is forbidden: User "bob" cannot get resource "workflowruns" in API group "kubeactions.dev" in the namespace "team-a": no RBAC policy matched',
      { name: 'r1', group: GROUP, kind: 'workflowruns' },
    ));
    const path = await as('bob', '/apis');
    assert.equal(path.res.status, 403);
    assert.deepEqual(path.res.json(), forbiddenStatus('forbidden: User "bob" cannot get path "/apis": no path for bob', {}));
    assert.deepEqual(path.specs, [{ nonResourceAttributes: { path: '/apis', verb: 'get' }, user: 'bob', groups: ['system:authenticated'], uid: 'bob-uid' }]);
  });

  it('no opinion is 403 too, without a reason', async () => {
    const { res } = await as('carol', runsPath('team-b'));
    assert.deepEqual(res.json(), forbiddenStatus(
      'workflowruns.kubeactions.dev is forbidden: User "carol" cannot list resource "workflowruns" in API group "kubeactions.dev" in the namespace "team-b"',
      { group: GROUP, kind: 'workflowruns' },
    ));
  });

  it('caches allowed and refused answers, each for its own TTL', async () => {
    const path = `${runsPath('team-a')}/cached`;
    assert.equal((await as('alice', path)).specs.length, 1);
    assert.equal((await as('alice', path)).specs.length, 0);
    assert.equal((await as('bob', path)).specs.length, 1);
    const cachedDenial = await as('bob', path);
    assert.equal(cachedDenial.specs.length, 0);
    assert.equal(cachedDenial.res.status, 403);
    await sleep(1_300);
    assert.equal((await as('bob', path)).specs.length, 1, 'the refusal expired after 1s');
    assert.equal((await as('alice', path)).specs.length, 0, 'the allowance is kept for 1m');
  });

  it('cluster-wide lists and watches are authorized at the cluster scope', async () => {
    const all = `${RUNS_API}/workflowruns`;
    const list = await as('alice', all);
    assert.deepEqual(list.res.json(), forbiddenStatus(
      'workflowruns.kubeactions.dev is forbidden: User "alice" cannot list resource "workflowruns" in API group "kubeactions.dev" at the cluster scope: alice works in team-a',
      { group: GROUP, kind: 'workflowruns' },
    ));
    assert.deepEqual(list.specs.map((s) => s.resourceAttributes), [{ verb: 'list', group: GROUP, version: VERSION, resource: 'workflowruns' }]);
    const watch = await as('alice', `${all}?watch=1&timeoutSeconds=1`);
    assert.equal(watch.res.status, 403);
    assert.deepEqual(watch.specs.map((s) => s.resourceAttributes), [{ verb: 'watch', group: GROUP, version: VERSION, resource: 'workflowruns' }]);
    const legacyWatch = await as('alice', `${RUNS_API}/watch/workflowruns?timeoutSeconds=1`);
    assert.equal(legacyWatch.res.status, 403);
    assert.deepEqual(legacyWatch.specs, [], 'the same review as the watch before: answered from the cache');
    const teamA = await as('alice', `${runsPath('team-a')}?fieldSelector=metadata.namespace%3Dteam-b`);
    assert.deepEqual(names(teamA.res), [], 'a namespaced list never reaches into another namespace');
    assert.deepEqual(names((await as('alice', runsPath('team-a'))).res), ['team-a/r1', 'team-a/r2']);
    assert.deepEqual(names((await as('dave', all)).res), ['team-a/r1', 'team-a/r2', 'team-b/r3']);
  });

  it('never asks for system:masters or the always-allowed paths', async () => {
    const before = review.accessReviews.length;
    assert.equal((await send(target, `${runsPath('team-b')}/r3`, { token: api.target.token })).status, 200);
    assert.equal((await send(target, '/healthz')).status, 200);
    const version = await send(target, '/version');
    assert.equal(version.status, 200, 'anonymous, because --authorization-always-allow-paths names /version');
    assert.equal((await send(target, '/readyz/redis')).status, 401, 'the flag replaced the default list');
    assert.equal(review.accessReviews.length, before);
  });

  it('retries a review the backend could not answer (503); a failed review is 500', async () => {
    const retried = await as('erin', `${runsPath('team-a')}/r1`);
    assert.equal(retried.res.status, 200, retried.res.text);
    assert.equal(retried.specs.length, 2);
    const failed = await as('frank', `${runsPath('team-a')}/r1`);
    assert.equal(failed.res.status, 500);
    assert.equal(failed.res.json<{ reason: string }>().reason, 'InternalError');
    assert.equal((await as('frank', `${runsPath('team-a')}/r1`)).specs.length, 1, 'failures are not cached');
  });
});

describe('dev mode with --authorization-policy-file', { timeout: 120_000 }, () => {
  let redis: TestRedis;
  let dir: string;
  let server: DevServer;
  let target: TlsTarget;
  const policy = `
rules:
  - groups: [dev]
    verbs: [get, list, watch, create]
    apiGroups: [kubeactions.dev]
    resources: [workflowruns, workflowruns/log]
    namespaces: [team-a]
  - users: [alice]
    verbs: [get]
    nonResourceURLs: [/custom/*]
`;

  before(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(join(tmpdir(), 'kube-actions-policy-'));
    await writeFile(join(dir, 'tokens.csv'), 'alice-token,alice,alice-uid,"dev"\nbob-token,bob,bob-uid\n');
    await writeFile(join(dir, 'policy.yaml'), policy);
    server = await startDevServer({ redisUrl: redis.url, args: ['--token-auth-file', join(dir, 'tokens.csv'), '--authorization-policy-file', join(dir, 'policy.yaml')] });
    target = { url: server.url, ca: server.ca };
    for (const [ns, name] of [['team-a', 'a1'], ['team-b', 'b1']] as const) {
      assert.equal((await send(target, runsPath(ns), { method: 'POST', token: server.token, body: run(name) })).status, 201);
    }
  });
  after(async () => {
    await server?.stop();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('allows what a rule allows, in the namespaces it names', async () => {
    const list = await send(target, runsPath('team-a'), { token: 'alice-token' });
    assert.equal(list.status, 200);
    assert.deepEqual(names(list), ['team-a/a1']);
    assert.equal((await send(target, `${runsPath('team-a')}/a1`, { token: 'alice-token' })).status, 200);
    assert.equal((await send(target, `${runsPath('team-a')}/a1/log`, { token: 'alice-token' })).status, 200);
    assert.equal((await send(target, runsPath('team-a'), { method: 'POST', token: 'alice-token', body: run('a2') })).status, 201);
    assert.equal((await send(target, '/custom/thing', { token: 'alice-token' })).status, 404, 'allowed, then not found');
  });

  it('refuses everything else with kube-apiserver\'s 403', async () => {
    const cases: [string, SendOptions, string, Record<string, string>][] = [
      [`${runsPath('team-b')}/b1`, {}, 'workflowruns.kubeactions.dev "b1" is forbidden: User "alice" cannot get resource "workflowruns" in API group "kubeactions.dev" in the namespace "team-b"', { name: 'b1', group: GROUP, kind: 'workflowruns' }],
      [`${RUNS_API}/workflowruns`, {}, 'workflowruns.kubeactions.dev is forbidden: User "alice" cannot list resource "workflowruns" in API group "kubeactions.dev" at the cluster scope', { group: GROUP, kind: 'workflowruns' }],
      [`${runsPath('team-a')}/a1`, { method: 'DELETE' }, 'workflowruns.kubeactions.dev "a1" is forbidden: User "alice" cannot delete resource "workflowruns" in API group "kubeactions.dev" in the namespace "team-a"', { name: 'a1', group: GROUP, kind: 'workflowruns' }],
      [`${runsPath('team-a')}/a1/cancel`, { method: 'POST', body: {} }, 'workflowruns.kubeactions.dev "a1" is forbidden: User "alice" cannot create resource "workflowruns/cancel" in API group "kubeactions.dev" in the namespace "team-a"', { name: 'a1', group: GROUP, kind: 'workflowruns' }],
    ];
    for (const [path, o, message, details] of cases) {
      const res = await send(target, path, { token: 'alice-token', ...o });
      assert.equal(res.status, 403, path);
      assert.deepEqual(res.json(), forbiddenStatus(message, details), path);
    }
    const bob = await send(target, '/custom/thing', { token: 'bob-token' });
    assert.deepEqual(bob.json(), forbiddenStatus('forbidden: User "bob" cannot get path "/custom/thing"', {}));
  });

  it('lets every authenticated user read discovery, OpenAPI and version, as system:discovery does', async () => {
    for (const path of ['/apis', `/apis/${GROUP}/${VERSION}`, '/openapi/v3', '/version']) {
      assert.equal((await send(target, path, { token: 'bob-token' })).status, 200, path);
    }
    assert.equal((await send(target, runsPath('team-a'), { token: 'bob-token' })).status, 403);
    assert.equal((await send(target, '/apis')).status, 401, 'anonymous users are not let in');
  });

  it('the admin (system:masters) may do anything', async () => {
    assert.equal((await send(target, `${RUNS_API}/workflowruns`, { token: server.token })).status, 200);
    assert.equal((await send(target, `${runsPath('team-b')}/b1`, { method: 'DELETE', token: server.token })).status, 200);
  });

  it('an invalid policy file stops the server from starting, naming the problem', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'rules:\n  - users: [x]\n    resources: [workflowruns]\n    colour: blue\n');
    await assert.rejects(
      startDevServer({ redisUrl: redis.url, dataDir: join(dir, 'bad-dev'), args: ['--authorization-policy-file', join(dir, 'bad.yaml')] }),
      (err: Error) => err.message.includes('rules[0].colour: unknown field') && err.message.includes('rules[0].verbs: Required value'),
    );
  });
});
