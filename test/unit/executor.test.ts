// The local step executor against real /bin/sh processes: exit status, output, environment and
// working directory. Process checks read /proc (Linux).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { realpath, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { runStepProcess } from '../../src/worker/executor.js';
import {
  isRunning,
  killThrowsEsrch,
  Output,
  procStat,
  run,
  scratchWorkspaces,
  TEST_TIMEOUT,
} from '../helpers/step-process.js';

const { newWorkspace, root } = scratchWorkspaces();

describe('runStepProcess: exit status', () => {
  test('exit code 0 is Succeeded', TEST_TIMEOUT, async () => {
    const { result } = await run(await newWorkspace(), 'true');
    assert.equal(result.outcome, 'Succeeded');
    assert.equal(result.exitCode, 0);
    assert.equal(result.signal, null);
    assert.equal(result.message, 'exit code 0');
    assert.ok(result.finishedAt >= result.startedAt);
  });

  test('a non-zero exit code is Failed with that code', TEST_TIMEOUT, async () => {
    const { result } = await run(await newWorkspace(), 'echo about to fail; exit 3');
    assert.equal(result.outcome, 'Failed');
    assert.equal(result.exitCode, 3);
    assert.equal(result.message, 'exit code 3');
  });

  test('a shell killed by a signal reports 128 + signo', TEST_TIMEOUT, async () => {
    const { result } = await run(await newWorkspace(), 'kill -9 $$');
    assert.equal(result.outcome, 'Failed');
    assert.equal(result.signal, 'SIGKILL');
    assert.equal(result.exitCode, 137);
    assert.equal(result.message, 'killed by SIGKILL');
  });
});

describe('runStepProcess: output', () => {
  test('stdout and stderr arrive separately', TEST_TIMEOUT, async () => {
    const { output } = await run(await newWorkspace(), "echo out; echo err >&2; printf 'tail'");
    assert.equal(output.text('stdout'), 'out\ntail');
    assert.equal(output.text('stderr'), 'err\n');
  });

  test('output is delivered while the step still runs', TEST_TIMEOUT, async () => {
    const ws = await newWorkspace();
    const script = 'echo first; while [ ! -e go ]; do sleep 0.01; done; echo second';
    let pid = 0;
    let runningAtFirstChunk: boolean | undefined;
    const output = new Output();
    const seenFirst = output.until(/first/).then(async () => {
      runningAtFirstChunk = isRunning(pid) && !output.text('stdout').includes('second');
      await writeFile(join(ws, 'go'), '');
    });
    const result = await runStepProcess({
      script,
      workspace: ws,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      timeoutMs: 20_000,
      onStart: (p) => (pid = p),
      onOutput: output.onOutput,
    });
    await seenFirst;
    assert.equal(runningAtFirstChunk, true);
    assert.equal(result.outcome, 'Succeeded');
    assert.equal(output.text('stdout'), 'first\nsecond\n');
  });

  test('onStart runs once, before any output, with the unreaped group leader pid', TEST_TIMEOUT, async () => {
    const output = new Output();
    const calls: { pid: number; chunksBefore: number; exists: boolean; pgrp: number | undefined }[] = [];
    const result = await runStepProcess({
      script: 'echo "pid $$"',
      workspace: await newWorkspace(),
      env: {},
      onStart: (pid) => {
        calls.push({ pid, chunksBefore: output.chunks.length, exists: !killThrowsEsrch(pid), pgrp: procStat(pid)?.pgrp });
      },
      onOutput: output.onOutput,
    });
    assert.equal(result.outcome, 'Succeeded');
    assert.equal(calls.length, 1);
    const call = calls[0];
    assert.ok(call);
    assert.deepEqual(call, { pid: call.pid, chunksBefore: 0, exists: true, pgrp: call.pid });
    assert.equal(output.text('stdout'), `pid ${call.pid}\n`);
  });
});

describe('runStepProcess: environment and working directory', () => {
  test('the step sees exactly the given env', TEST_TIMEOUT, async () => {
    process.env['KA_H3_LEAK'] = 'leaked';
    try {
      const ws = await newWorkspace();
      const env = { PARAM_X: 'hello world', CI: 'true' };
      const { result, output } = await run(ws, 'echo "$PARAM_X|$CI|${KA_H3_LEAK-unset}"', { env });
      assert.equal(result.outcome, 'Succeeded');
      assert.equal(output.text('stdout'), 'hello world|true|unset\n');
    } finally {
      delete process.env['KA_H3_LEAK'];
    }
  });

  test('the step runs in the workspace by default', TEST_TIMEOUT, async () => {
    const ws = await newWorkspace();
    const { output } = await run(ws, 'pwd');
    assert.equal(output.text('stdout'), `${await realpath(ws)}\n`);
  });

  test('workingDir is resolved inside the workspace and created', TEST_TIMEOUT, async () => {
    const ws = await newWorkspace();
    const { result, output } = await run(ws, 'pwd', { workingDir: 'app/sub' });
    assert.equal(result.outcome, 'Succeeded');
    assert.equal(output.text('stdout'), `${join(await realpath(ws), 'app', 'sub')}\n`);
  });

  for (const workingDir of ['..', '../escaped-h3', 'a/../../escaped-h3', '/tmp']) {
    test(`workingDir ${JSON.stringify(workingDir)} is rejected`, TEST_TIMEOUT, async () => {
      const ws = await newWorkspace();
      let started = false;
      const { result } = await run(ws, 'true', { workingDir, onStart: () => (started = true) });
      assert.equal(result.outcome, 'StartError');
      assert.equal(result.exitCode, null);
      assert.match(result.message, /^cannot start: workingDir ".*" (escapes the workspace|must be relative)/);
      assert.equal(started, false);
      assert.equal(existsSync(join(dirname(ws), 'escaped-h3')), false);
    });
  }

  test('a workingDir leaving through a symbolic link is rejected', TEST_TIMEOUT, async () => {
    const ws = await newWorkspace();
    const outside = await newWorkspace();
    await symlink(outside, join(ws, 'link'));
    const { result } = await run(ws, 'true', { workingDir: 'link/sub' });
    assert.equal(result.outcome, 'StartError');
    assert.match(result.message, /escapes the workspace through a symbolic link/);
    assert.equal(existsSync(join(outside, 'sub')), false);
  });

  test('a missing workspace and an unspawnable env are StartErrors', TEST_TIMEOUT, async () => {
    const missing = await run(join(root(), 'does-not-exist'), 'true');
    assert.equal(missing.result.outcome, 'StartError');
    assert.match(missing.result.message, /^cannot start: .*ENOENT/);
    const badEnv = await run(await newWorkspace(), 'true', { env: { BAD: 'nul\u0000byte' } });
    assert.equal(badEnv.result.outcome, 'StartError');
    assert.match(badEnv.result.message, /^cannot start: /);
  });
});
