import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../helpers/wait.js';

describe('waitFor', () => {
  it('resolves as soon as a sync or async condition holds', async () => {
    let calls = 0;
    await waitFor(() => ++calls === 3, { timeoutMs: 1000, intervalMs: 1, message: 'three calls' });
    assert.equal(calls, 3);
    let asyncCalls = 0;
    await waitFor(async () => ++asyncCalls === 2, { timeoutMs: 1000, intervalMs: 1, message: 'two calls' });
    assert.equal(asyncCalls, 2);
  });

  it('rejects after the timeout, naming what it waited for and the last error', async () => {
    const started = Date.now();
    await assert.rejects(waitFor(() => false, { timeoutMs: 50, message: 'never' }), {
      message: 'timed out after 50 ms waiting for never',
    });
    assert.ok(Date.now() - started >= 50);
    await assert.rejects(
      waitFor(
        () => {
          throw new Error('not yet');
        },
        { timeoutMs: 20, message: 'a throwing condition' },
      ),
      { message: 'timed out after 20 ms waiting for a throwing condition (last error: Error: not yet)' },
    );
  });
});
