// The small fixes the hostile-input e2e test (test/e2e/hostile-input.test.ts) led to, each
// pinned where it lives.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBadRequest } from '../../src/apiserver/errors.js';
import { mergePatch } from '../../src/apiserver/handlers/write.js';
import { exceedsNestingDepth, MAX_NESTING_DEPTH } from '../../src/apiserver/validation.js';
import { initialStatus } from '../../src/apis/kubeactions/status.js';
import type { WorkflowRunSpec } from '../../src/apis/kubeactions/types.js';
import { decodeContinue, encodeContinue } from '../../src/registry/generic/continue.js';
import { parseLogOptions } from '../../src/registry/workflowruns/log-options.js';
import { decodeOptions } from '../../src/registry/workflowruns/options.js';
import { validateSpec } from '../../src/registry/workflowruns/validation.js';

function nested(depth: number): unknown {
  return JSON.parse('['.repeat(depth) + ']'.repeat(depth));
}

describe('exceedsNestingDepth', () => {
  it('counts arrays and objects, not scalars', () => {
    assert.equal(exceedsNestingDepth(nested(MAX_NESTING_DEPTH)), false);
    assert.equal(exceedsNestingDepth(nested(MAX_NESTING_DEPTH + 1)), true);
    assert.equal(exceedsNestingDepth({ a: { b: [1] } }, 3), false);
    assert.equal(exceedsNestingDepth({ a: { b: [1] } }, 2), true);
    assert.equal(exceedsNestingDepth('x', 0), false);
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    assert.equal(exceedsNestingDepth(JSON.parse('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000))), true);
  });
});

describe('mergePatch', () => {
  it('keeps a __proto__ key as a field instead of changing the prototype', () => {
    const out = mergePatch({ a: 1 }, JSON.parse('{"__proto__":{"polluted":true},"b":2}')) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ['a', '__proto__', 'b']);
    assert.equal((out as { polluted?: unknown }).polluted, undefined);
  });
});

describe('decodeContinue', () => {
  it('refuses a resourceVersion beyond uint64 with 400, accepts the largest', () => {
    const forged = (rv: string): string => Buffer.from(JSON.stringify({ v: 'kubeactions/1', rv, start: '' })).toString('base64url');
    assert.throws(() => decodeContinue(forged('18446744073709551616')), isBadRequest);
    assert.throws(() => decodeContinue(forged('9'.repeat(30))), isBadRequest);
    assert.deepEqual(decodeContinue(encodeContinue({ rv: '18446744073709551615', start: 'ns/a' })), { rv: '18446744073709551615', start: 'ns/a' });
  });
});

describe('decodeOptions (cancel and retry bodies)', () => {
  const fields = { reason: 'string' } as const;
  it('refuses a null body with 400 (an empty body means no options)', () => {
    assert.throws(() => decodeOptions(null, 'WorkflowRunCancel', fields), isBadRequest);
    assert.deepEqual(decodeOptions(undefined, 'WorkflowRunCancel', fields), {});
  });

  it('refuses fields named like Object.prototype members as unknown', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      assert.throws(() => decodeOptions(JSON.parse(`{"${name}":1}`), 'WorkflowRunCancel', fields), (err: unknown) => {
        assert.ok(isBadRequest(err));
        assert.match((err as Error).message, new RegExp(`unknown field "${name}"`));
        return true;
      });
    }
  });
});

describe('parseLogOptions', () => {
  it('refuses integers beyond int64 with 400, as strconv.ParseInt does', () => {
    assert.throws(() => parseLogOptions(new URLSearchParams('tailLines=99999999999999999999')), (err: unknown) => {
      assert.ok(isBadRequest(err));
      assert.match((err as Error).message, /value out of range/);
      return true;
    });
    assert.equal(parseLogOptions(new URLSearchParams('tailLines=9223372036854775807')).tailLines, 2 ** 63);
  });
});

describe('WorkflowRun specs of the wrong shape', () => {
  it('initialStatus skips steps that are not a list of objects', () => {
    for (const steps of ['x', 1, {}, null]) {
      assert.deepEqual(initialStatus({ steps } as unknown as WorkflowRunSpec, 0).steps, []);
    }
    assert.deepEqual(initialStatus({ steps: [null, { name: 'a' }] } as unknown as WorkflowRunSpec, 0).steps, [
      { name: '', phase: 'Pending' }, { name: 'a', phase: 'Pending' },
    ]);
  });

  it('validateSpec reports null steps and env items instead of throwing', () => {
    const spec = { steps: [null, { name: 'b', run: 'true', env: [null] }] } as unknown as WorkflowRunSpec;
    assert.deepEqual(validateSpec(spec).map((e) => [e.field, e.type]), [
      ['spec.steps[0]', 'FieldValueTypeInvalid'], ['spec.steps[1].env[0]', 'FieldValueTypeInvalid'],
    ]);
  });
});
