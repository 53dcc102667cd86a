// Observability of the real `kube-actions dev`: GET /metrics (authentication, the exposition
// format, kube-apiserver's request metrics and labels, long-running requests, the queue, run
// phases and worker slots) and the JSON request log lines.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChannelClient, remoteCommandPath } from '../helpers/channel-client.js';
import { kubeRequest, openWatch } from '../helpers/kube-http.js';
import { killMatching, uniqueSleep } from '../helpers/procs.js';
import { type Exposition, parseExposition, samplesOf, valueOf } from '../helpers/prom-text.js';
import { RunClient, runsPath } from '../helpers/runs.js';
import { type DevServer, startDevServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const NS = 'metrics-e2e';
const RUNS = { group: 'kubeactions.dev', version: 'v1alpha1', resource: 'workflowruns', component: 'apiserver' };

describe('GET /metrics and request logs', { timeout: 120_000 }, () => {
  let server: DevServer;
  let runs: RunClient;
  const hold = uniqueSleep();

  const scrape = async (): Promise<Exposition> => {
    const res = await kubeRequest(server, '/metrics');
    assert.equal(res.status, 200, res.text);
    return parseExposition(res.text);
  };
  /** Polls /metrics until `cond` holds on a scrape; returns that scrape. */
  const until = async (cond: (e: Exposition) => boolean, what: string, timeoutMs = 20_000): Promise<Exposition> => {
    let last: Exposition | undefined;
    await waitFor(async () => cond((last = await scrape())), { timeoutMs, intervalMs: 100, message: what });
    return last as Exposition;
  };
  /** JSON log lines the server wrote so far. */
  const logLines = (): Record<string, unknown>[] => server.output().split('\n').filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

  before(async () => {
    server = await startDevServer({ args: ['--log-level', 'info'] });
    runs = new RunClient(server);
  });
  after(async () => {
    runs?.close();
    killMatching(hold);
    await server?.stop();
  });

  it('refuses /metrics without credentials (401) and serves the text format to the admin', async () => {
    const anonymous = await kubeRequest(server, '/metrics', { token: null });
    assert.equal(anonymous.status, 401);
    const res = await kubeRequest(server, '/metrics');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const e = parseExposition(res.text);
    assert.equal(e.types.get('apiserver_request_total'), 'counter');
    assert.equal(e.types.get('apiserver_request_duration_seconds'), 'histogram');
    assert.equal(e.types.get('apiserver_longrunning_requests'), 'gauge');
    assert.equal(e.types.get('apiserver_current_inflight_requests'), 'gauge');
    for (const name of ['kubeactions_queue_jobs', 'kubeactions_workflowruns', 'kubeactions_watchers', 'kubeactions_worker_slots', 'kubeactions_worker_busy_slots']) {
      assert.equal(e.types.get(name), 'gauge', name);
    }
    // The 401 above is counted like any request, with the path left out of its labels.
    assert.ok(valueOf(e, 'apiserver_request_total', { verb: 'GET', group: '', version: '', resource: '', subresource: '', scope: '', component: 'apiserver', code: '401' }) >= 1);
    // This very scrape is in flight while the gauge is read.
    assert.equal(valueOf(e, 'apiserver_current_inflight_requests', { request_kind: 'readOnly' }), 1);
    assert.deepEqual(samplesOf(e, 'kubeactions_queue_jobs').map((s) => s.labels.state).sort(), ['active', 'delayed', 'failed', 'waiting']);
    assert.deepEqual(samplesOf(e, 'kubeactions_workflowruns').map((s) => s.labels.phase).sort(), ['Cancelled', 'Failed', 'Pending', 'Running', 'Succeeded']);
    const slots = samplesOf(e, 'kubeactions_worker_slots');
    assert.equal(slots.length, 1, 'the dev worker reports its slots');
    assert.equal(slots[0]?.value, 10);
  });

  it('counts requests by kube-apiserver verb, resource, scope and code', async () => {
    const get = { verb: 'GET', ...RUNS, subresource: '', scope: 'resource', code: '200' };
    const missing = { ...get, code: '404' };
    const create = { verb: 'POST', ...RUNS, subresource: '', scope: 'resource', code: '201' };
    const list = { verb: 'LIST', ...RUNS, subresource: '', scope: 'namespace', code: '200' };
    const before = await scrape();
    const run = await runs.create(NS, { generateName: 'count-' }, { steps: [{ name: 'main', run: 'true' }] });
    for (let i = 0; i < 3; i++) assert.equal((await runs.raw('GET', `${runsPath(NS)}/${run.metadata.name}`)).status, 200);
    assert.equal((await runs.raw('GET', `${runsPath(NS)}/no-such-run`)).status, 404);
    await runs.list(NS);
    const e = await scrape();
    const delta = (labels: Record<string, string>): number => valueOf(e, 'apiserver_request_total', labels) - valueOf(before, 'apiserver_request_total', labels);
    assert.equal(delta(get), 3);
    assert.equal(delta(missing), 1);
    assert.equal(delta(create), 1);
    assert.equal(delta(list), 1);
    const { code: _code, ...histogram } = get;
    const count = (x: Exposition): number => valueOf(x, 'apiserver_request_duration_seconds_count', histogram);
    assert.equal(count(e) - count(before), 4, 'the 200s and the 404 share one histogram series');
    const inf = valueOf(e, 'apiserver_request_duration_seconds_bucket', { ...histogram, le: '+Inf' });
    assert.equal(inf, count(e));
    await runs.untilPhase(NS, run.metadata.name, ['Succeeded']);
  });

  it('shows an open watch as a long-running request until it closes', async () => {
    const labels = { verb: 'WATCH', ...RUNS, subresource: '', scope: 'namespace' };
    const watchers = (e: Exposition): number => valueOf(e, 'kubeactions_watchers');
    const before = await scrape();
    const watch = await openWatch(server, `${runsPath(NS)}?watch=true`);
    assert.equal(watch.status, 200);
    const open = await until((e) => valueOf(e, 'apiserver_longrunning_requests', labels) === 1, 'the watch to be counted');
    assert.equal(watchers(open), watchers(before) + 1);
    assert.equal(valueOf(open, 'apiserver_request_total', { ...labels, code: '200' }), valueOf(before, 'apiserver_request_total', { ...labels, code: '200' }),
      'a watch is counted in apiserver_request_total when it ends');
    watch.close();
    const closed = await until((e) => valueOf(e, 'apiserver_longrunning_requests', labels) === 0, 'the watch to leave the gauge');
    assert.equal(watchers(closed), watchers(before));
    assert.equal(valueOf(closed, 'apiserver_request_total', { ...labels, code: '200' }), valueOf(before, 'apiserver_request_total', { ...labels, code: '200' }) + 1);
  });

  it('reports the queue, run phases, worker slots and exec sessions as a run goes through', async () => {
    const phase = (e: Exposition, p: string): number => valueOf(e, 'kubeactions_workflowruns', { phase: p });
    const busy = (e: Exposition): number => samplesOf(e, 'kubeactions_worker_busy_slots').reduce((n, s) => n + s.value, 0);
    const active = (e: Exposition): number => valueOf(e, 'kubeactions_queue_jobs', { state: 'active' });
    const before = await scrape();
    const run = await runs.create(NS, { generateName: 'hold-' }, { steps: [{ name: 'hold', run: `sleep ${hold}` }] });
    await runs.untilPhase(NS, run.metadata.name, ['Running']);
    const running = await until((e) => busy(e) === busy(before) + 1, 'the worker to report a busy slot');
    assert.equal(phase(running, 'Running'), phase(before, 'Running') + 1);
    assert.equal(active(running), active(before) + 1);

    const exec = { verb: 'CONNECT', ...RUNS, subresource: 'exec', scope: 'resource' };
    const session = await ChannelClient.open(server, remoteCommandPath(NS, run.metadata.name, 'exec', { command: ['sleep', '30'], stdout: true, stderr: true }), ['v5.channel.k8s.io']);
    await until((e) => valueOf(e, 'apiserver_longrunning_requests', exec) === 1, 'the exec session to be counted');
    session.ws.close();
    const ended = await until((e) => valueOf(e, 'apiserver_longrunning_requests', exec) === 0, 'the exec session to end');
    assert.equal(valueOf(ended, 'apiserver_request_total', { ...exec, code: '101' }) - valueOf(before, 'apiserver_request_total', { ...exec, code: '101' }), 1);
    const logged = logLines().find((l) => l.subresource === 'exec' && l.name === run.metadata.name);
    assert.equal(logged?.code, 101, 'an exec session is logged when it ends');

    assert.equal((await runs.raw('POST', `${runsPath(NS)}/${run.metadata.name}/cancel`, {})).status, 201);
    await runs.untilPhase(NS, run.metadata.name, ['Cancelled']);
    const done = await until((e) => phase(e, 'Cancelled') === phase(before, 'Cancelled') + 1, 'the run to count as Cancelled');
    assert.equal(phase(done, 'Running'), phase(before, 'Running'));
    await until((e) => busy(e) === busy(before) && active(e) === active(before), 'the slot and the job to be free again');

    const quick = await runs.create(NS, { generateName: 'quick-' }, { steps: [{ name: 'main', run: 'true' }] });
    await runs.untilPhase(NS, quick.metadata.name, ['Succeeded']);
    await until((e) => phase(e, 'Succeeded') === phase(before, 'Succeeded') + 1, 'the run to count as Succeeded');
  });

  it('logs mutating and failed requests as JSON lines with who, what, code, latency and Audit-ID', async () => {
    const created = await kubeRequest(server, runsPath(NS), {
      method: 'POST', headers: { 'Audit-ID': 'audit-create-1', 'User-Agent': 'metrics-test/1.0' },
      body: { apiVersion: 'kubeactions.dev/v1alpha1', kind: 'WorkflowRun', metadata: { name: 'logged' }, spec: { steps: [{ name: 'main', run: 'true' }] } },
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers['audit-id'], 'audit-create-1');
    assert.equal((await kubeRequest(server, `${runsPath(NS)}/logged`, { headers: { 'Audit-ID': 'audit-get-ok' } })).status, 200);
    assert.equal((await kubeRequest(server, `${runsPath(NS)}/nope`, { headers: { 'Audit-ID': 'audit-get-404' } })).status, 404);
    await waitFor(() => logLines().some((l) => l.auditID === 'audit-get-404'), { timeoutMs: 5000, message: 'the 404 to be logged' });
    const line = logLines().find((l) => l.auditID === 'audit-create-1');
    assert.ok(line, 'the create is logged');
    assert.equal(line.level, 30);
    assert.equal(line.msg, `POST ${runsPath(NS)}`);
    assert.equal(line.user, 'kube-actions-admin');
    assert.equal(line.verb, 'create');
    assert.equal(line.resource, 'workflowruns');
    assert.equal(line.namespace, NS);
    assert.equal(line.code, 201);
    assert.equal(line.userAgent, 'metrics-test/1.0');
    assert.equal(typeof line.latencyMs, 'number');
    const notFound = logLines().find((l) => l.auditID === 'audit-get-404');
    assert.equal(notFound?.code, 404);
    assert.equal(notFound?.name, 'nope');
    assert.equal(logLines().some((l) => l.auditID === 'audit-get-ok'), false, 'a quick successful GET is not logged in the default mode');
  });
});

describe('--request-log all', { timeout: 60_000 }, () => {
  let server: DevServer;
  before(async () => {
    server = await startDevServer({ args: ['--log-level', 'info', '--request-log', 'all'] });
  });
  after(async () => {
    await server?.stop();
  });

  it('logs every request, reads included', async () => {
    assert.equal((await kubeRequest(server, runsPath(NS), { headers: { 'Audit-ID': 'audit-list' } })).status, 200);
    await waitFor(() => server.output().includes('"auditID":"audit-list"'), { timeoutMs: 5000, message: 'the list to be logged' });
    const line = server.output().split('\n').find((l) => l.includes('"auditID":"audit-list"')) ?? '';
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.equal(parsed.verb, 'list');
    assert.equal(parsed.code, 200);
    assert.equal(parsed.user, 'kube-actions-admin');
  });
});
