// The kubectl plugin's pure parts: Go durations, --param, manifests, kubectl's error texts, the
// exec exit Status, the log and exec queries, and the watch view.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Status } from '../../src/apiserver/types.js';
import type { WorkflowRun } from '../../src/apis/kubeactions/types.js';
import { outcome } from '../../src/plugin/commands/run.js';
import { logOptions } from '../../src/plugin/commands/logs.js';
import { ConnectionError } from '../../src/plugin/connection-error.js';
import { formatDuration, parseDuration } from '../../src/plugin/duration.js';
import { describeError, ExitError } from '../../src/plugin/format-error.js';
import { logQuery } from '../../src/plugin/log-stream.js';
import { manifestNamespace, parseManifest, withParams } from '../../src/plugin/manifest.js';
import { collectParam, parseParams } from '../../src/plugin/params.js';
import { remoteCommandQuery, statusToExitError } from '../../src/plugin/remote-command.js';
import { runPath } from '../../src/plugin/resource.js';
import { StatusError, statusErrorFrom } from '../../src/plugin/status-error.js';
import { progressBar, renderRun } from '../../src/plugin/watch-view.js';

function status(fields: Partial<Status>): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 500, ...fields };
}

describe('parseDuration (Go time.ParseDuration)', () => {
  it('parses units, fractions, sums and signs into milliseconds', () => {
    const cases: [string, number][] = [
      ['0', 0], ['10m', 600_000], ['30s', 30_000], ['1.5h', 5_400_000], ['2h45m', 9_900_000],
      ['300ms', 300], ['1500us', 1.5], ['1µs', 0.001], ['-1s', -1000], ['+2s', 2000], ['.5s', 500],
    ];
    for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
  });

  it('refuses what Go refuses, with Go\'s messages', () => {
    assert.throws(() => parseDuration('10'), { message: 'time: missing unit in duration "10"' });
    assert.throws(() => parseDuration('1d'), { message: 'time: unknown unit "d" in duration "1d"' });
    for (const bad of ['', 'm', '1h-2m', '1.2.3s', 'abc', '-']) assert.throws(() => parseDuration(bad), { message: `time: invalid duration "${bad}"` }, bad);
  });

  it('formatDuration keeps two units at most', () => {
    assert.deepEqual([0, 999, 42_000, 187_000, 7_500_000, 100_000_000].map(formatDuration), ['0s', '0s', '42s', '3m7s', '2h5m', '1d3h']);
  });
});

describe('--param and manifests', () => {
  it('collects KEY=VALUE pairs; the value keeps later "="; a later key wins', () => {
    const pairs = ['A=1', 'B=x=y', 'A=2'].reduce<string[]>((acc, p) => collectParam(p, acc), []);
    assert.deepEqual(parseParams(pairs), { A: '2', B: 'x=y' });
    assert.deepEqual(parseParams(['EMPTY=']), { EMPTY: '' });
    assert.throws(() => collectParam('novalue'), /invalid --param "novalue": expected KEY=VALUE/);
    assert.throws(() => collectParam('=v'), /expected KEY=VALUE/);
  });

  it('parses one WorkflowRun from YAML or JSON and lays params over spec.params', () => {
    const yaml = parseManifest('apiVersion: kubeactions.dev/v1alpha1\nkind: WorkflowRun\nmetadata: {name: a}\nspec:\n  params: {X: "1", Y: "2"}\n  steps: []\n', 'f.yaml');
    assert.deepEqual(withParams(yaml, { Y: 'two', Z: '3' }).spec, { params: { X: '1', Y: 'two', Z: '3' }, steps: [] });
    const json = parseManifest('{"apiVersion":"kubeactions.dev/v1alpha1","kind":"WorkflowRun","spec":{"steps":[]}}', 'STDIN');
    assert.deepEqual(withParams(json, { A: 'b' }).spec, { steps: [], params: { A: 'b' } });
    assert.equal(withParams(json, {}), json, 'no params: the same object');
  });

  it('refuses other kinds, several documents and bad YAML, naming the source', () => {
    assert.throws(() => parseManifest('apiVersion: v1\nkind: Pod\n', 'pod.yaml'), { message: 'pod.yaml: expected apiVersion kubeactions.dev/v1alpha1, kind WorkflowRun (found v1, Pod)' });
    assert.throws(() => parseManifest('a: 1\n---\nb: 2\n', 'two.yaml'), { message: 'two.yaml: expected one WorkflowRun, found 2 documents' });
    assert.throws(() => parseManifest('', 'empty.yaml'), { message: 'empty.yaml: expected one WorkflowRun, found 0 documents' });
    assert.throws(() => parseManifest('a: [1\n', 'bad.yaml'), /^Error: error parsing bad\.yaml: /);
    assert.throws(() => parseManifest('- 1\n', 'list.yaml'), { message: 'list.yaml: not an object' });
  });

  it('the namespace: the manifest\'s own unless -n names another (kubectl\'s error)', () => {
    const run = { metadata: { namespace: 'ci' } };
    assert.equal(manifestNamespace(run, 'default', false), 'ci');
    assert.equal(manifestNamespace(run, 'ci', true), 'ci');
    assert.equal(manifestNamespace({ metadata: {} }, 'team', true), 'team');
    assert.throws(() => manifestNamespace(run, 'other', true), {
      message: 'the namespace from the provided object "ci" does not match the namespace "other". You must pass \'--namespace=ci\' to perform this operation.',
    });
  });
});

describe('errors as kubectl prints them', () => {
  it('a Status with a reason, without one, Unauthorized, Invalid with one and several causes', () => {
    const notFound = new StatusError(status({ reason: 'NotFound', code: 404, message: 'workflowruns.kubeactions.dev "x" not found' }));
    assert.deepEqual(describeError(notFound), { message: 'Error from server (NotFound): workflowruns.kubeactions.dev "x" not found', exitCode: 1 });
    assert.equal(describeError(new StatusError(status({ message: 'boom' }))).message, 'Error from server: boom');
    assert.equal(describeError(new StatusError(status({ reason: 'Unauthorized', code: 401, message: 'Unauthorized' }))).message, 'error: You must be logged in to the server (Unauthorized)');
    const one = status({ reason: 'Invalid', code: 422, details: { kind: 'WorkflowRun', name: 'a', causes: [{ field: 'spec.steps', message: 'Required value' }] } });
    assert.equal(describeError(new StatusError(one)).message, 'The WorkflowRun "a" is invalid: spec.steps: Required value');
    const two = status({ reason: 'Invalid', code: 422, details: { kind: 'WorkflowRun', name: 'a', causes: [{ field: 'x', message: 'm1' }, { field: 'y', message: 'm2' }, { field: 'x', message: 'm1' }] } });
    assert.equal(describeError(new StatusError(two)).message, 'The WorkflowRun "a" is invalid: \n* x: m1\n* y: m2');
    assert.equal(describeError(new StatusError(status({ reason: 'Invalid', code: 422 }))).message, 'The request is invalid');
  });

  it('non-Status bodies become Statuses as client-go makes them', () => {
    assert.equal(statusErrorFrom(404, '404 page not found').status.message, 'the server could not find the requested resource');
    assert.equal(statusErrorFrom(404, '').status.reason, 'NotFound');
    const e = statusErrorFrom(502, 'bad gateway');
    assert.deepEqual([e.status.reason, e.status.code, e.message], ['Unknown', 502, 'an error on the server ("bad gateway") has prevented the request from succeeding']);
    const s = statusErrorFrom(409, JSON.stringify(status({ reason: 'Conflict', code: 409, message: 'the run has already finished' })));
    assert.equal(describeError(s).message, 'Error from server (Conflict): the run has already finished');
  });

  it('connection errors, exit errors and plain errors', () => {
    const refused = new ConnectionError(new URL('https://127.0.0.1:6443/apis'), Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    assert.equal(describeError(refused).message, 'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?');
    const tls = new ConnectionError(new URL('https://h:1'), Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }));
    assert.equal(describeError(tls).message, 'Unable to connect to the server: self-signed certificate');
    assert.deepEqual(describeError(new ExitError('command terminated with exit code 3', 3)), { message: 'command terminated with exit code 3', exitCode: 3 });
    assert.equal(describeError(new Error('oops')).message, 'error: oops');
    assert.equal(describeError(new Error('error: already prefixed')).message, 'error: already prefixed');
  });
});

describe('exec/attach', () => {
  it('the final Status decides the exit code as client-go and kubectl do', () => {
    assert.equal(statusToExitError(undefined), undefined);
    assert.equal(statusToExitError(status({ status: 'Success' })), undefined);
    const exit = (code: string): ExitError | undefined => statusToExitError(status({ reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: code }] } }));
    assert.deepEqual([exit('42')?.message, exit('42')?.exitCode], ['command terminated with exit code 42', 42]);
    assert.equal(exit('256')?.message, 'error: error stream protocol error: invalid exit code value "256"');
    assert.equal(statusToExitError(status({ reason: 'NonZeroExitCode' }))?.message, 'error: error stream protocol error: details must be set');
    assert.equal(statusToExitError(status({ reason: 'NonZeroExitCode', details: {} }))?.message, 'error: error stream protocol error: no ExitCode cause given');
    const internal = statusToExitError(status({ reason: 'InternalError', message: 'Internal error occurred: cannot start' }));
    assert.deepEqual([internal?.message, internal?.exitCode], ['error: Internal error occurred: cannot start', 1]);
  });

  it('the query is kubectl\'s: one command per argv element, only true flags, stderr unless tty', () => {
    assert.equal(remoteCommandQuery({ command: ['sh', '-c', 'echo a b'], stdin: undefined, tty: false }).toString(), 'command=sh&command=-c&command=echo+a+b&stdout=true&stderr=true');
    assert.equal(remoteCommandQuery({ stdin: process.stdin, tty: true }).toString(), 'stdin=true&stdout=true&tty=true');
  });

  it('paths carry the namespace, the name and the subresource', () => {
    assert.equal(runPath('ci', 'build-1', 'exec'), '/apis/kubeactions.dev/v1alpha1/namespaces/ci/workflowruns/build-1/exec');
  });
});

describe('logs', () => {
  it('maps kubectl logs flags onto the log query', () => {
    const opts = logOptions({ follow: true, step: 'test', tail: 20, since: '90s', timestamps: true, previous: false, limitBytes: 100 });
    assert.equal(logQuery(opts).toString(), 'follow=true&step=test&tailLines=20&sinceSeconds=90&timestamps=true&limitBytes=100');
    assert.equal(logQuery(logOptions({ tail: -1, since: '1500ms', attempt: 2 })).toString(), 'sinceSeconds=2&attempt=2');
    assert.equal(logQuery(logOptions({ tail: 0, sinceTime: '2025-01-01T00:00:00Z', previous: true })).toString(), 'tailLines=0&sinceTime=2025-01-01T00%3A00%3A00Z&previous=true');
    assert.throws(() => logOptions({ tail: -1, since: '1m', sinceTime: '2025-01-01T00:00:00Z' }), /at most one of --since-time or --since/);
  });
});

describe('run outcome and the watch view', () => {
  const run: WorkflowRun = {
    apiVersion: 'kubeactions.dev/v1alpha1',
    kind: 'WorkflowRun',
    metadata: { name: 'build-x7k2p', namespace: 'ci', uid: 'u' },
    spec: { steps: [{ name: 'checkout', run: 'true' }, { name: 'test', run: 'false' }, { name: 'deploy', run: 'true' }] },
    status: {
      phase: 'Failed',
      attempt: 1,
      startTime: '2025-01-01T00:00:00Z',
      completionTime: '2025-01-01T00:01:05Z',
      conditions: [{ type: 'Succeeded', status: 'False', reason: 'StepFailed', message: 'step "test" failed: exit code 2' }],
      steps: [
        { name: 'checkout', phase: 'Succeeded', startTime: '2025-01-01T00:00:00Z', completionTime: '2025-01-01T00:00:03Z', exitCode: 0 },
        { name: 'test', phase: 'Failed', startTime: '2025-01-01T00:00:03Z', completionTime: '2025-01-01T00:01:05Z', exitCode: 2, message: 'exit code 2' },
        { name: 'deploy', phase: 'Skipped' },
      ],
    },
  };

  it('outcome: the condition on failure, exit 1; "succeeded", exit 0', () => {
    assert.deepEqual(outcome(run), { line: 'workflowrun.kubeactions.dev/build-x7k2p Failed (StepFailed): step "test" failed: exit code 2', exitCode: 1 });
    assert.deepEqual(outcome({ ...run, status: { phase: 'Succeeded' } }), { line: 'workflowrun.kubeactions.dev/build-x7k2p succeeded', exitCode: 0 });
  });

  it('renders the header, a progress bar and aligned step rows', () => {
    assert.deepEqual(renderRun(run, { now: Date.parse('2025-01-01T00:02:00Z'), tty: false }), [
      'Name:       build-x7k2p',
      'Namespace:  ci',
      'Phase:      Failed',
      'Message:    step "test" failed: exit code 2',
      'Attempt:    1',
      'Started:    2025-01-01T00:00:00Z',
      'Duration:   1m5s',
      'Progress:   [####################] 3/3',
      '',
      'STEP        PHASE      DURATION  EXIT  MESSAGE',
      '✔ checkout  Succeeded  3s        0',
      '✖ test      Failed     1m2s      2     exit code 2',
      '○ deploy    Skipped',
    ]);
  });

  it('a running step counts its duration to now; steps without status are Pending', () => {
    const running: WorkflowRun = { ...run, status: { phase: 'Running', startTime: '2025-01-01T00:00:00Z', steps: [{ name: 'checkout', phase: 'Running', startTime: '2025-01-01T00:00:00Z' }] } };
    const lines = renderRun(running, { now: Date.parse('2025-01-01T00:00:42Z'), tty: true });
    assert.ok(lines.includes('Progress:   [░░░░░░░░░░░░░░░░░░░░] 0/3'), lines.join('\n'));
    assert.ok(lines.includes('● checkout  Running  42s'), lines.join('\n'));
    assert.ok(lines.includes('◷ test      Pending'), lines.join('\n'));
    assert.equal(progressBar(1, 3, false), '[#######-------------] 1/3');
    assert.equal(progressBar(0, 0, false), '[####################] 0/0');
  });
});
