// WorkflowRun policy without I/O: validation, immutability, table rows, status transitions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldErrorText } from '../../src/apiserver/field-errors.js';
import { awaitRetry, expiresAt, finish, initialStatus, setStep, startAttempt } from '../../src/apis/kubeactions/status.js';
import type { WorkflowRun } from '../../src/apis/kubeactions/types.js';
import { workflowRunStrategy } from '../../src/registry/workflowruns/strategy.js';
import { workflowRunTable } from '../../src/registry/workflowruns/table.js';
import { substituteParams } from '../../src/worker/attempt.js';

function run(spec: Partial<WorkflowRun['spec']> = {}): WorkflowRun {
  return {
    apiVersion: 'kubeactions.dev/v1alpha1',
    kind: 'WorkflowRun',
    metadata: { name: 'r', namespace: 'default', uid: 'u', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { steps: [{ name: 'a', run: 'true' }, { name: 'b', run: 'true' }], ...spec },
  };
}

const texts = (obj: WorkflowRun): string[] => workflowRunStrategy.validate(obj).map(fieldErrorText);

describe('WorkflowRun validation', () => {
  it('accepts a valid run', () => {
    assert.deepEqual(texts(run({ params: { GIT_REF: 'main' }, retry: { limit: 2, backoffSeconds: 1 } })), []);
  });

  it('reports path-qualified errors in Kubernetes wording', () => {
    const bad = run({
      params: { 'bad-name': 'x' },
      steps: [
        { name: 'Build', run: 'true' },
        { name: 'x', run: '' },
        { name: 'x', run: 'true', workingDir: '../up', env: [{ name: '1X', value: '' }] },
        { name: 'abs', run: 'true', workingDir: '/etc' },
      ],
    });
    assert.deepEqual(texts(bad), [
      'spec.params[bad-name]: Invalid value: "bad-name": must consist of alphanumeric characters or \'_\', and must not start with a digit',
      'spec.steps[0].name: Invalid value: "Build": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')',
      'spec.steps[1].run: Required value',
      'spec.steps[2].name: Duplicate value: "x"',
      'spec.steps[2].env[0].name: Invalid value: "1X": a valid environment variable name must consist of alphabetic characters, digits, \'_\', \'-\', or \'.\', and must not start with a digit',
      'spec.steps[2].workingDir: Invalid value: "../up": must not contain \'..\'',
      'spec.steps[3].workingDir: Invalid value: "/etc": must be a relative path',
    ]);
  });

  it('checks types against the schema before anything else', () => {
    const bad = run();
    (bad.spec as unknown as Record<string, unknown>).timeoutSeconds = 'x';
    assert.deepEqual(texts(bad), ['spec.timeoutSeconds: Invalid value: "string": spec.timeoutSeconds in body must be of type integer: "string"']);
    assert.deepEqual(texts(run({ steps: [] })), ['spec.steps: Invalid value: 0: spec.steps in body should have at least 1 items']);
  });

  it('keeps the spec immutable and status out of the main resource', () => {
    const old = run();
    old.status = initialStatus(old.spec, 0);
    const changed = run({ timeoutSeconds: 5 });
    changed.status = { phase: 'Succeeded' };
    workflowRunStrategy.prepareForUpdate(changed, old);
    assert.deepEqual(changed.status, old.status);
    assert.deepEqual(workflowRunStrategy.validateUpdate(changed, old).map(fieldErrorText).map((t) => t.replace(/: .*: /, ': … : ')),
      ['spec: … : field is immutable']);
    assert.deepEqual(workflowRunStrategy.validateUpdate(run(), old), []);
  });
});

describe('WorkflowRun status transitions', () => {
  it('goes Pending → Running → Succeeded with step states and a Tekton-style condition', () => {
    const r = run();
    r.status = initialStatus(r.spec, Date.parse('2026-01-01T00:00:00Z'));
    assert.equal(r.status.phase, 'Pending');
    assert.deepEqual(r.status.conditions?.map((c) => [c.type, c.status, c.reason]), [['Succeeded', 'Unknown', 'Pending']]);
    startAttempt(r, 1, 'w1', Date.parse('2026-01-01T00:00:01Z'));
    setStep(r, 0, 'Running', Date.parse('2026-01-01T00:00:01Z'));
    setStep(r, 0, 'Failed', Date.parse('2026-01-01T00:00:02Z'), { exitCode: 3, message: 'exit code 3' });
    awaitRetry(r, 'retrying', Date.parse('2026-01-01T00:00:02Z'));
    assert.equal(r.status.phase, 'Pending');
    startAttempt(r, 2, 'w2', Date.parse('2026-01-01T00:00:03Z'));
    assert.deepEqual(r.status.steps?.map((s) => s.phase), ['Pending', 'Pending'], 'a new attempt starts with fresh steps');
    setStep(r, 0, 'Running', Date.parse('2026-01-01T00:00:03Z'));
    finish(r, 'Failed', 'Timeout', 'too slow', Date.parse('2026-01-01T00:00:09Z'));
    assert.deepEqual(r.status.steps?.map((s) => s.phase), ['Failed', 'Skipped']);
    const cond = r.status.conditions?.find((c) => c.type === 'Succeeded');
    assert.deepEqual([cond?.status, cond?.reason, cond?.message, cond?.lastTransitionTime], ['False', 'Timeout', 'too slow', '2026-01-01T00:00:09Z']);
    assert.equal(r.status.attempt, 2);
    assert.equal(expiresAt(r), undefined);
    r.spec.ttlSecondsAfterFinished = 10;
    assert.equal(expiresAt(r), Date.parse('2026-01-01T00:00:19Z'));
  });

  it('substitutes $(params.NAME) and leaves unknown references alone', () => {
    assert.equal(substituteParams('git checkout $(params.REF) $(params.NOPE)', { REF: 'main' }), 'git checkout main $(params.NOPE)');
  });
});

describe('WorkflowRun table', () => {
  it('has the documented columns, wide ones at priority 1', () => {
    assert.deepEqual(workflowRunTable.columns.map((c) => [c.name, c.type, c.priority]), [
      ['Name', 'string', 0], ['Phase', 'string', 0], ['Steps', 'string', 0], ['Age', 'date', 0],
      ['Duration', 'string', 0], ['Attempt', 'integer', 1], ['Worker', 'string', 1],
    ]);
    assert.equal(workflowRunTable.columns[0]?.format, 'name');
  });

  it('formats ages and durations on the server, as kubectl prints them', () => {
    const r = run();
    r.status = initialStatus(r.spec, 0);
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    assert.deepEqual(workflowRunTable.row(r, t0 + 90_000), ['r', 'Pending', '0/2', '90s', '', 0, '']);
    startAttempt(r, 1, 'worker-1', t0 + 10_000);
    setStep(r, 0, 'Succeeded', t0 + 20_000);
    assert.deepEqual(workflowRunTable.row(r, t0 + 3_700_000), ['r', 'Running', '1/2', '61m', '61m', 1, 'worker-1']);
    finish(r, 'Succeeded', 'Succeeded', 'ok', t0 + 70_000);
    assert.deepEqual(workflowRunTable.row(r, t0 + 3 * 86_400_000), ['r', 'Succeeded', '2/2', '3d', '60s', 1, 'worker-1']);
  });
});
