import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addLoadFlags, DEFAULT_LOAD_LIMITS, type LoadFlags, loadLimitsFromFlags } from '../../src/apiserver/load-options.js';
import { readTimeoutServerOptions } from '../../src/apiserver/read-timeouts.js';

function parse(args: string[]): LoadFlags {
  const cmd = addLoadFlags(new Command()).exitOverride().configureOutput({ writeErr: () => undefined });
  return cmd.parse(args, { from: 'user' }).opts<LoadFlags>();
}

describe('load-protection flags', () => {
  it('default to kube-apiserver\'s in-flight limits and ours', () => {
    assert.deepEqual(loadLimitsFromFlags(parse([])), {
      maxRequestsInFlight: 400, maxMutatingRequestsInFlight: 200, maxWatches: 10_000, maxExecSessions: 256,
      maxWebSocketMessageBytes: 1024 * 1024, headerReadTimeoutMs: 10_000, bodyReadTimeoutMs: 60_000,
    });
    assert.deepEqual(loadLimitsFromFlags(parse([])), DEFAULT_LOAD_LIMITS);
  });

  it('take counts (0: unlimited) and Go durations (0: no limit)', () => {
    const limits = loadLimitsFromFlags(parse(['--max-requests-inflight', '0', '--max-mutating-requests-inflight', '3', '--max-watches', '7',
      '--max-exec-sessions', '0', '--max-websocket-message-bytes', '4096', '--header-read-timeout', '1m30s', '--body-read-timeout', '0']));
    assert.deepEqual(limits, {
      maxRequestsInFlight: 0, maxMutatingRequestsInFlight: 3, maxWatches: 7, maxExecSessions: 0,
      maxWebSocketMessageBytes: 4096, headerReadTimeoutMs: 90_000, bodyReadTimeoutMs: 0,
    });
  });

  it('refuse what is not a count or a duration', () => {
    for (const args of [['--max-watches', '-1'], ['--max-requests-inflight', '1.5'], ['--max-exec-sessions', 'many'],
      ['--max-websocket-message-bytes', '0'], ['--header-read-timeout', '10'], ['--body-read-timeout', 'soon']]) {
      assert.throws(() => parse(args), { code: 'commander.invalidArgument' }, args.join(' '));
    }
  });
});

describe('readTimeoutServerOptions', () => {
  it('hands Node whole milliseconds, checked a quarter of the shorter timeout apart (50 ms to 1 s)', () => {
    assert.deepEqual(readTimeoutServerOptions({ headerReadTimeoutMs: 10_000, bodyReadTimeoutMs: 60_000 }),
      { headersTimeout: 10_000, requestTimeout: 60_000, connectionsCheckingInterval: 1000 });
    assert.deepEqual(readTimeoutServerOptions({ headerReadTimeoutMs: 1000, bodyReadTimeoutMs: 2000.5 }),
      { headersTimeout: 1000, requestTimeout: 2001, connectionsCheckingInterval: 250 });
    assert.equal(readTimeoutServerOptions({ headerReadTimeoutMs: 100, bodyReadTimeoutMs: 0 }).connectionsCheckingInterval, 50);
  });

  it('raises a body timeout shorter than the header timeout to it (Node counts both from the first byte)', () => {
    assert.deepEqual(readTimeoutServerOptions({ headerReadTimeoutMs: 10_000, bodyReadTimeoutMs: 5000 }),
      { headersTimeout: 10_000, requestTimeout: 10_000, connectionsCheckingInterval: 1000 });
  });

  it('0 disables each', () => {
    assert.deepEqual(readTimeoutServerOptions({ headerReadTimeoutMs: 0, bodyReadTimeoutMs: 0 }),
      { headersTimeout: 0, requestTimeout: 0, connectionsCheckingInterval: 30_000 });
    assert.deepEqual(readTimeoutServerOptions({ headerReadTimeoutMs: 0, bodyReadTimeoutMs: 3000 }),
      { headersTimeout: 0, requestTimeout: 3000, connectionsCheckingInterval: 750 });
  });
});
