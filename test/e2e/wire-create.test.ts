// Wire conformance of POST (create) against the real `kube-actions dev`, with its Redis
// started here so that the BullMQ queue can be inspected (K8S-WIRE-SPEC.md §3, §4.1).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { kubeRequest, type KubeResponse } from '../helpers/kube-http.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const GV = 'kubeactions.dev/v1alpha1';
const NS = 'wire-create';
const COLLECTION = `/apis/${GV}/namespaces/${NS}/workflowruns`;
const NAME_MESSAGE = 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', '
  + 'and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is '
  + '\'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')';

interface Run {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string; resourceVersion?: string; generateName?: string; creationTimestamp: string };
  spec: Record<string, unknown> & { steps: Record<string, unknown>[] };
  status?: { phase?: string };
}

function run(metadata: Record<string, unknown>, spec: Record<string, unknown> = {}, steps: Record<string, unknown>[] = [{ name: 'main', run: 'true' }]): Record<string, unknown> {
  return { apiVersion: GV, kind: 'WorkflowRun', metadata, spec: { ...spec, steps } };
}

function status(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function assertStatus(r: KubeResponse, expected: Record<string, unknown>): void {
  assert.equal(r.status, expected.code, r.text);
  assert.equal((r.headers['content-type'] ?? '').split(';')[0], 'application/json');
  assert.deepEqual(r.json(), expected);
}

describe('wire: create', { timeout: 120_000 }, () => {
  let redis: TestRedis;
  let server: DevServer;
  let client: Redis;
  let queue: Queue;
  const post = (body: unknown, query = '', headers: Record<string, string> = {}): Promise<KubeResponse> =>
    kubeRequest(server, `${COLLECTION}${query}`, { method: 'POST', body, headers: { Accept: 'application/json', ...headers } });
  const get = (name: string): Promise<KubeResponse> => kubeRequest(server, `${COLLECTION}/${name}`);

  before(async () => {
    redis = await startTestRedis();
    server = await startDevServer({ redisUrl: redis.url });
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    queue = new Queue('workflowruns', { connection: client, prefix: '{ka}' });
  });
  after(async () => {
    await queue?.close();
    client?.disconnect();
    await server?.stop();
    await redis?.stop();
  });

  it('201 with a name made from generateName, system fields set and wiped from the body', async () => {
    const r = await post(run({ generateName: 'gen-', uid: 'mine', resourceVersion: '999', creationTimestamp: '2000-01-01T00:00:00Z' }), '?fieldManager=kubectl-create&fieldValidation=Strict');
    assert.equal(r.status, 201, r.text);
    assert.equal((r.headers['content-type'] ?? '').split(';')[0], 'application/json');
    const obj = r.json<Run>();
    assert.equal(obj.apiVersion, GV);
    assert.equal(obj.kind, 'WorkflowRun');
    assert.match(obj.metadata.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(obj.metadata.generateName, 'gen-');
    assert.equal(obj.metadata.namespace, NS);
    assert.match(obj.metadata.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(obj.metadata.resourceVersion ?? '', /^[1-9][0-9]*$/);
    assert.notEqual(obj.metadata.resourceVersion, '999');
    assert.match(obj.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.notEqual(obj.metadata.creationTimestamp, '2000-01-01T00:00:00Z');
    assert.equal(r.headerValues('Warning').length, 0);
    const got = await get(obj.metadata.name);
    assert.equal(got.status, 200);
    const { name, uid, creationTimestamp } = got.json<Run>().metadata;
    assert.deepEqual({ name, uid, creationTimestamp }, { name: obj.metadata.name, uid: obj.metadata.uid, creationTimestamp: obj.metadata.creationTimestamp });
  });

  it('dryRun=All: 201 with the object, nothing stored, no job queued, the run never starts', async () => {
    const real = await post(run({ name: 'real-before-dry' }, {}, [{ name: 'main', run: 'sleep 2' }]));
    assert.equal(real.status, 201, real.text);
    const realUid = real.json<Run>().metadata.uid;
    await waitFor(async () => (await queue.getJob(realUid)) !== undefined, { timeoutMs: 5000, message: 'the real run\'s job' });

    const dry = await post(run({ name: 'dry' }), '?dryRun=All&fieldManager=kubectl-create&fieldValidation=Strict');
    assert.equal(dry.status, 201, dry.text);
    const obj = dry.json<Run>();
    assert.equal(obj.metadata.name, 'dry');
    assert.equal(obj.metadata.namespace, NS);
    assert.equal(obj.kind, 'WorkflowRun');
    assert.equal((await get('dry')).status, 404);
    assert.equal(await queue.getJob(obj.metadata.uid), undefined);
    assert.equal(await client.exists(`{ka}:r:workflowruns:obj:${NS}/dry`), 0);

    // A run created after it is queued and runs to the end; the dry one still does not exist.
    const later = await post(run({ name: 'real-after-dry' }));
    assert.equal(later.status, 201);
    await waitFor(async () => (await get('real-after-dry')).json<Run>().status?.phase === 'Succeeded',
      { timeoutMs: 30_000, intervalMs: 200, message: 'real-after-dry to succeed' });
    assert.equal((await get('dry')).status, 404);
    assert.equal(await queue.getJob(obj.metadata.uid), undefined);

    // dryRun still checks for an existing name.
    const exists = await post(run({ name: 'real-before-dry' }), '?dryRun=All');
    assertStatus(exists, status(409, 'AlreadyExists', 'workflowruns.kubeactions.dev "real-before-dry" already exists',
      { name: 'real-before-dry', group: 'kubeactions.dev', kind: 'workflowruns' }));
  });

  it('fieldValidation=Strict: 400 naming every unknown field', async () => {
    const one = await post(run({ name: 'strict' }, { foo: 1 }), '?fieldValidation=Strict');
    assertStatus(one, status(400, 'BadRequest',
      'WorkflowRun in version "v1alpha1" cannot be handled as a WorkflowRun: strict decoding error: unknown field "spec.foo"'));
    const two = await post(run({ name: 'strict' }, { foo: 1 }, [{ name: 'main', run: 'true', bar: 2 }]), '?fieldValidation=Strict');
    assertStatus(two, status(400, 'BadRequest',
      'WorkflowRun in version "v1alpha1" cannot be handled as a WorkflowRun: strict decoding error: unknown field "spec.foo", unknown field "spec.steps[0].bar"'));
    assert.equal((await get('strict')).status, 404);
  });

  it('a field given twice: 400 under Strict (before unknown fields), a warning under Warn, the last value kept', async () => {
    const twice = (name: string): string => `{"apiVersion":"kubeactions.dev/v1alpha1","kind":"WorkflowRun","metadata":{"name":"${name}","labels":{"a":"1","a":"2"}},`
      + `"spec":{"foo":1,"steps":[{"name":"main","run":"false","run":"true"}]}}`;
    const strict = await post(twice('dup-strict'), '?fieldValidation=Strict', { 'Content-Type': 'application/json' });
    assertStatus(strict, status(400, 'BadRequest', 'WorkflowRun in version "v1alpha1" cannot be handled as a WorkflowRun: '
      + 'strict decoding error: duplicate field "a", duplicate field "run", unknown field "spec.foo"'));
    assert.equal((await get('dup-strict')).status, 404);
    const warn = await post(twice('dup-warn'), '?fieldValidation=Warn', { 'Content-Type': 'application/json' });
    assert.equal(warn.status, 201, warn.text);
    assert.deepEqual(warn.headerValues('Warning'),
      ['299 - "duplicate field \\"a\\""', '299 - "duplicate field \\"run\\""', '299 - "unknown field \\"spec.foo\\""']);
    const stored = warn.json<Run>() as Run & { metadata: { labels?: Record<string, string> } };
    assert.deepEqual(stored.metadata.labels, { a: '2' });
    assert.equal((stored.spec as { steps: { run: string }[] }).steps[0]?.run, 'true');
  });

  it('fieldValidation=Warn and the default: 201, one Warning header per field, the field dropped', async () => {
    for (const [name, query] of [['warn', '?fieldValidation=Warn'], ['warn-default', '']] as const) {
      const r = await post(run({ name }, { foo: 1 }), query);
      assert.equal(r.status, 201, r.text);
      assert.deepEqual(r.headerValues('Warning'), ['299 - "unknown field \\"spec.foo\\""'], `${name}: ${JSON.stringify(r.headerValues('Warning'))}`);
      assert.equal('foo' in r.json<Run>().spec, false);
      assert.equal('foo' in (await get(name)).json<Run>().spec, false);
    }
  });

  it('fieldValidation=Ignore: 201 without a warning, the field dropped', async () => {
    const r = await post(run({ name: 'ignore' }, { foo: 1 }), '?fieldValidation=Ignore');
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.headerValues('Warning'), []);
    assert.equal('foo' in r.json<Run>().spec, false);
  });

  it('an unsupported fieldValidation is 422 CreateOptions', async () => {
    const message = 'Unsupported value: "Bogus": supported values: "", "Ignore", "Strict", "Warn"';
    const r = await post(run({ name: 'bogus' }), '?fieldValidation=Bogus');
    assertStatus(r, status(422, 'Invalid', `CreateOptions.meta.k8s.io "" is invalid: fieldValidation: ${message}`, {
      group: 'meta.k8s.io', kind: 'CreateOptions', causes: [{ reason: 'FieldValueNotSupported', message, field: 'fieldValidation' }],
    }));
  });

  it('namespace and apiVersion mismatches are 400', async () => {
    const ns = await post(run({ name: 'elsewhere', namespace: 'other' }));
    assertStatus(ns, status(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'));
    const same = await post(run({ name: 'same-namespace', namespace: NS }));
    assert.equal(same.status, 201);
    const gv = await post({ ...run({ name: 'wrong-gv' }), apiVersion: 'v1' });
    assertStatus(gv, status(400, 'BadRequest', `the API version in the data (v1) does not match the expected API version (${GV})`));
  });

  it('an invalid name is 422 with a FieldValueInvalid cause', async () => {
    const r = await post(run({ name: 'Bad_Name' }));
    const message = `Invalid value: "Bad_Name": ${NAME_MESSAGE}`;
    assertStatus(r, status(422, 'Invalid', `WorkflowRun.kubeactions.dev "Bad_Name" is invalid: metadata.name: ${message}`, {
      name: 'Bad_Name', group: 'kubeactions.dev', kind: 'WorkflowRun', causes: [{ reason: 'FieldValueInvalid', message, field: 'metadata.name' }],
    }));
  });

  it('neither name nor generateName is 422 FieldValueRequired', async () => {
    const r = await post(run({}));
    const message = 'Required value: name or generateName is required';
    assertStatus(r, status(422, 'Invalid', `WorkflowRun.kubeactions.dev "" is invalid: metadata.name: ${message}`, {
      group: 'kubeactions.dev', kind: 'WorkflowRun', causes: [{ reason: 'FieldValueRequired', message, field: 'metadata.name' }],
    }));
  });

  it('a schema type error is 422 Invalid', async () => {
    const r = await post(run({ name: 'typed' }, { timeoutSeconds: 'x' }));
    const message = 'Invalid value: "string": spec.timeoutSeconds in body must be of type integer: "string"';
    assertStatus(r, status(422, 'Invalid', `WorkflowRun.kubeactions.dev "typed" is invalid: spec.timeoutSeconds: ${message}`, {
      name: 'typed', group: 'kubeactions.dev', kind: 'WorkflowRun', causes: [{ reason: 'FieldValueTypeInvalid', message, field: 'spec.timeoutSeconds' }],
    }));
  });

  it('an existing name is 409 AlreadyExists with details', async () => {
    assert.equal((await post(run({ name: 'twice' }))).status, 201);
    const r = await post(run({ name: 'twice' }));
    assertStatus(r, status(409, 'AlreadyExists', 'workflowruns.kubeactions.dev "twice" already exists',
      { name: 'twice', group: 'kubeactions.dev', kind: 'workflowruns' }));
  });

  it('a body over 3 MiB is 413', async () => {
    const big = JSON.stringify(run({ name: 'big' }, {}, [{ name: 'main', run: 'x'.repeat(3 * 1024 * 1024) }]));
    // Keep-alive, so that the server drains the unread body instead of resetting the connection.
    const r = await post(big, '', { Connection: 'keep-alive' });
    assertStatus(r, status(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
    assert.equal((await get('big')).status, 404);
  });

  it('Content-Type text/plain is 415; YAML is accepted', async () => {
    const r = await post(JSON.stringify(run({ name: 'plain' })), '', { 'Content-Type': 'text/plain' });
    assert.equal(r.status, 415, r.text);
    const s = r.json<{ reason: string; message: string }>();
    assert.equal(s.reason, 'UnsupportedMediaType');
    assert.match(s.message, /^the body of the request was in an unknown format - accepted media types include: application\/json, /);
    const yaml = `apiVersion: ${GV}\nkind: WorkflowRun\nmetadata:\n  name: from-yaml\nspec:\n  steps:\n    - name: main\n      run: "true"\n`;
    const y = await post(yaml, '', { 'Content-Type': 'application/yaml' });
    assert.equal(y.status, 201, y.text);
    assert.equal(y.json<Run>().metadata.name, 'from-yaml');
  });

  it('Accept: protobuf only is 406; protobuf first falls through to JSON', async () => {
    const r = await post(run({ name: 'proto' }), '', { Accept: 'application/vnd.kubernetes.protobuf' });
    assertStatus(r, status(406, 'NotAcceptable',
      'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf'));
    assert.equal((await get('proto')).status, 404);
    const ok = await post(run({ name: 'proto' }), '', { Accept: 'application/vnd.kubernetes.protobuf, application/json' });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json<Run>().kind, 'WorkflowRun');
  });
});
