// cancel and retry: POST subresources answered at once, against the real server and worker.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processesMatching, uniqueSleep } from '../helpers/procs.js';
import { type Run, RunClient, runsPath } from '../helpers/runs.js';
import { type TestRedis, startTestRedis } from '../helpers/redis.js';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const NS = 'default';

describe('cancel and retry', { timeout: 120_000 }, () => {
  let redis: TestRedis;
  let server: DevServer;
  let client: RunClient;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kube-actions-cancel-'));
    redis = await startTestRedis();
    server = await startDevServer({ redisUrl: redis.url, args: ['--concurrency', '1'] });
    client = new RunClient(server);
  });
  after(async () => {
    client?.close();
    await server?.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const post = async (name: string, sub: string, body?: unknown, query = ''): Promise<{ status: number; json: Run & { reason?: string; message?: string } }> => {
    const r = await client.raw('POST', `${runsPath(NS)}/${name}/${sub}${query}`, body);
    return { status: r.status, json: JSON.parse(r.body) as Run & { reason?: string; message?: string } };
  };
  const succeeded = (r: Run | undefined) => r?.status?.conditions?.find((c) => c.type === 'Succeeded');

  it('cancels a running run: SIGTERM to its process group, Cancelled with the reason, nothing left', async () => {
    const marker = uniqueSleep();
    await client.create(NS, { name: 'long' }, { steps: [{ name: 'wait', run: `sleep ${marker}` }, { name: 'after', run: 'true' }] });
    await waitFor(() => processesMatching(marker).length > 0, { timeoutMs: 20_000, message: 'the step to run' });
    const res = await post('long', 'cancel', { apiVersion: 'kubeactions.dev/v1alpha1', kind: 'WorkflowRunCancel', reason: 'superseded by a newer commit' });
    assert.equal(res.status, 201);
    assert.equal(res.json.kind, 'WorkflowRun');
    const done = await client.untilPhase(NS, 'long', ['Cancelled']);
    assert.deepEqual([succeeded(done)?.status, succeeded(done)?.reason, succeeded(done)?.message], ['False', 'Cancelled', 'superseded by a newer commit']);
    assert.deepEqual(done.status?.steps?.map((s) => s.phase), ['Cancelled', 'Skipped']);
    await waitFor(() => processesMatching(marker).length === 0, { timeoutMs: 10_000, message: 'no step process left' });
    const again = await post('long', 'cancel');
    assert.equal(again.status, 201, 'cancel is idempotent');
    assert.equal(again.json.status?.phase, 'Cancelled');
  });

  it('cancels a pending run at once; it never starts', async () => {
    const marker = uniqueSleep();
    const ran = path.join(dir, 'pending-ran');
    await client.create(NS, { name: 'blocker' }, { steps: [{ name: 'wait', run: `sleep ${marker}` }] });
    await waitFor(() => processesMatching(marker).length > 0, { timeoutMs: 20_000, message: 'the blocker to run' });
    await client.create(NS, { name: 'queued' }, { steps: [{ name: 'touch', run: `touch ${ran}` }] });
    const res = await post('queued', 'cancel');
    assert.equal(res.status, 201);
    assert.equal(res.json.status?.phase, 'Cancelled');
    assert.equal(succeeded(res.json)?.message, 'the run was cancelled');
    assert.equal((await post('blocker', 'cancel')).status, 201);
    await client.untilPhase(NS, 'blocker', ['Cancelled']);
    await client.create(NS, { name: 'later' }, { steps: [{ name: 'ok', run: 'true' }] });
    await client.untilPhase(NS, 'later', ['Succeeded']);
    assert.equal(existsSync(ran), false, 'the cancelled run never ran');
    assert.equal((await client.get(NS, 'queued'))?.status?.phase, 'Cancelled');
  });

  it('refuses to cancel a finished run (409) and honours dryRun', async () => {
    await client.create(NS, { name: 'quick' }, { steps: [{ name: 'ok', run: 'true' }] });
    await client.untilPhase(NS, 'quick', ['Succeeded']);
    const res = await post('quick', 'cancel');
    assert.equal(res.status, 409);
    assert.equal(res.json.reason, 'Conflict');
    assert.equal(res.json.message, 'Operation cannot be fulfilled on workflowruns.kubeactions.dev "quick": the run has already finished (Succeeded)');

    const marker = uniqueSleep();
    await client.create(NS, { name: 'dry' }, { steps: [{ name: 'wait', run: `sleep ${marker}` }] });
    await waitFor(() => processesMatching(marker).length > 0, { timeoutMs: 20_000, message: 'dry to run' });
    const dry = await post('dry', 'cancel', undefined, '?dryRun=All');
    assert.equal(dry.status, 201);
    assert.equal(succeeded(dry.json)?.reason, 'Cancelling');
    assert.equal((await client.get(NS, 'dry'))?.status?.phase, 'Running', 'dry run changed nothing');
    assert.ok(processesMatching(marker).length > 0);
    assert.equal((await post('dry', 'cancel', { reason: 'done' })).status, 201);
    await client.untilPhase(NS, 'dry', ['Cancelled']);
  });

  it('rejects bad cancel bodies with a Status', async () => {
    await client.create(NS, { name: 'body' }, { steps: [{ name: 'ok', run: 'true' }] });
    const wrongKind = await post('body', 'cancel', { kind: 'Pod' });
    assert.equal(wrongKind.status, 400);
    const unknown = await post('body', 'cancel', { reason: 'x', force: true });
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.message ?? '', /unknown field "force"/);
    const badType = await post('body', 'cancel', { reason: 5 });
    assert.equal(badType.status, 422);
    const missing = await post('nope', 'cancel');
    assert.equal(missing.status, 404);
  });

  it('retry creates a new run with parameter overrides and a retry-of label', async () => {
    await client.create(NS, { generateName: 'flaky-', labels: { app: 'web' } }, {
      params: { MODE: 'fail', KEEP: 'kept' },
      steps: [{ name: 'check', run: 'echo "$PARAM_MODE $PARAM_KEEP"; test "$PARAM_MODE" = pass' }],
    });
    const first = (await client.list(NS)).items.find((r) => r.metadata.name.startsWith('flaky-'));
    assert.ok(first);
    await client.untilPhase(NS, first.metadata.name, ['Failed']);
    const dry = await post(first.metadata.name, 'retry', { params: { MODE: 'pass' } }, '?dryRun=All');
    assert.equal(dry.status, 201);
    const res = await post(first.metadata.name, 'retry', { apiVersion: 'kubeactions.dev/v1alpha1', kind: 'WorkflowRunRetry', params: { MODE: 'pass' } });
    assert.equal(res.status, 201);
    const retried = res.json;
    assert.match(retried.metadata.name, /^flaky-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.notEqual(retried.metadata.name, first.metadata.name);
    assert.deepEqual(retried.metadata.labels, { app: 'web', 'kubeactions.dev/retry-of': first.metadata.name });
    assert.deepEqual(retried.spec.params, { MODE: 'pass', KEEP: 'kept' });
    await client.untilPhase(NS, retried.metadata.name, ['Succeeded']);
    const log = await client.log(NS, retried.metadata.name);
    assert.equal(log.body, 'pass kept\n');
    const flaky = (await client.list(NS)).items.filter((r) => r.metadata.name.startsWith('flaky-'));
    assert.equal(flaky.length, 2, 'the dry-run retry created nothing');
  });
});
