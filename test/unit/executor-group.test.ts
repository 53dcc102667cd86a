// The local step executor stopping real process trees: step timeout, abort, SIGKILL after the
// grace period, leftovers after a normal exit, output held open by an escaped process.

import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { describe, test } from 'node:test';
import { runStepProcess } from '../../src/worker/executor.js';
import { assertGroupGone, isRunning, Output, run, scratchWorkspaces, TEST_TIMEOUT } from '../helpers/step-process.js';

const { newWorkspace } = scratchWorkspaces();

/** A shell with a child, a grandchild and a sleeper, printing their pids, then waiting. */
const TREE_SCRIPT = [
  "sh -c 'sleep 1000 & echo grandchild $!; wait' &",
  'echo child $!',
  'sleep 1000 &',
  'echo sleeper $!',
  'wait',
].join('\n');

describe('runStepProcess: stopping the process group', () => {
  test('a step timeout kills the shell and all its descendants', TEST_TIMEOUT, async () => {
    let pgid = 0;
    const { result, output } = await run(await newWorkspace(), TREE_SCRIPT, {
      timeoutMs: 1000,
      onStart: (pid) => (pgid = pid),
    });
    assert.equal(result.outcome, 'TimedOut');
    assert.equal(result.message, 'timed out after 1s');
    assert.equal(result.signal, 'SIGTERM');
    assert.equal(result.exitCode, 143);
    assert.ok(result.finishedAt.getTime() - result.startedAt.getTime() >= 1000);
    const pids = [...output.pids().values()];
    assert.equal(pids.length, 3, `expected 3 pids in ${JSON.stringify(output.text('stdout'))}`);
    await assertGroupGone(pgid, pids);
  });

  test('an abort kills the shell and all its descendants', TEST_TIMEOUT, async () => {
    const ws = await newWorkspace();
    const controller = new AbortController();
    const output = new Output();
    let pgid = 0;
    void output.until(/^grandchild \d+$/m).then(() => controller.abort('cancelled by user'));
    const result = await runStepProcess({
      script: TREE_SCRIPT,
      workspace: ws,
      env: {},
      signal: controller.signal,
      onStart: (pid) => (pgid = pid),
      onOutput: output.onOutput,
    });
    assert.equal(result.outcome, 'Aborted');
    assert.equal(result.message, 'aborted: cancelled by user');
    assert.equal(result.exitCode, 143);
    await assertGroupGone(pgid, [...output.pids().values()]);
  });

  test('a step that ignores SIGTERM is SIGKILLed after the grace period', TEST_TIMEOUT, async () => {
    const controller = new AbortController();
    const output = new Output();
    let pgid = 0;
    let abortedAt = 0;
    void output.until(/ready/).then(() => {
      abortedAt = Date.now();
      controller.abort();
    });
    const result = await runStepProcess({
      script: "trap '' TERM; sleep 1000 & echo sleeper $!; echo ready; wait",
      workspace: await newWorkspace(),
      env: {},
      signal: controller.signal,
      killGraceMs: 300,
      onStart: (pid) => (pgid = pid),
      onOutput: output.onOutput,
    });
    assert.equal(result.outcome, 'Aborted');
    assert.equal(result.message, 'aborted');
    assert.equal(result.signal, 'SIGKILL');
    assert.equal(result.exitCode, 137);
    assert.ok(result.finishedAt.getTime() - abortedAt >= 300, 'SIGKILL came before the grace period');
    await assertGroupGone(pgid, [...output.pids().values()]);
  });

  test('descendants keep the grace period after the shell died of SIGTERM', TEST_TIMEOUT, async () => {
    const controller = new AbortController();
    const output = new Output();
    let pgid = 0;
    let abortedAt = 0;
    void output.until(/ready/).then(() => {
      abortedAt = Date.now();
      controller.abort();
    });
    const result = await runStepProcess({
      script: `sh -c "trap '' TERM; echo ready; exec sleep 1000" & echo child $!; wait`,
      workspace: await newWorkspace(),
      env: {},
      signal: controller.signal,
      killGraceMs: 300,
      onStart: (pid) => (pgid = pid),
      onOutput: output.onOutput,
    });
    assert.equal(result.outcome, 'Aborted');
    assert.equal(result.signal, 'SIGTERM');
    assert.equal(result.exitCode, 143);
    assert.ok(result.finishedAt.getTime() - abortedAt >= 300, 'the child was killed before the grace period');
    await assertGroupGone(pgid, [...output.pids().values()]);
  });

  test('a step that exits on SIGTERM is not made to wait for the grace period', TEST_TIMEOUT, async () => {
    const controller = new AbortController();
    const output = new Output();
    let pgid = 0;
    let abortedAt = 0;
    void output.until(/ready/).then(() => {
      abortedAt = Date.now();
      controller.abort(new Error('run timed out'));
    });
    const result = await runStepProcess({
      // A forked child still holding the shell's handler would lose the SIGTERM: wait for the exec.
      script: [
        "trap 'echo got TERM; exit 7' TERM",
        'sleep 1000 & p=$!',
        'while [ "$(cat /proc/$p/comm)" != sleep ]; do :; done',
        'echo sleeper $p; echo ready; wait',
      ].join('\n'),
      workspace: await newWorkspace(),
      env: {},
      signal: controller.signal,
      killGraceMs: 20_000,
      onStart: (pid) => (pgid = pid),
      onOutput: output.onOutput,
    });
    assert.equal(result.outcome, 'Aborted');
    assert.equal(result.message, 'aborted: run timed out');
    assert.equal(result.exitCode, 7);
    assert.equal(result.signal, null);
    assert.match(output.text('stdout'), /got TERM/);
    assert.ok(result.finishedAt.getTime() - abortedAt < 10_000);
    await assertGroupGone(pgid, [...output.pids().values()]);
  });

  test('an already aborted signal starts nothing', TEST_TIMEOUT, async () => {
    let started = false;
    const { result } = await run(await newWorkspace(), 'true', {
      signal: AbortSignal.abort('gone'),
      onStart: () => (started = true),
    });
    assert.equal(result.outcome, 'Aborted');
    assert.equal(result.message, 'aborted: gone');
    assert.equal(result.exitCode, null);
    assert.equal(started, false);
  });
});

describe('runStepProcess: leftovers after the shell exits', () => {
  test('backgrounded processes are killed after a normal exit', TEST_TIMEOUT, async () => {
    let pgid = 0;
    const script = 'sleep 1000 & echo holder $!; sleep 1000 >/dev/null 2>&1 & echo quiet $!; exit 0';
    const { result, output } = await run(await newWorkspace(), script, { onStart: (pid) => (pgid = pid) });
    assert.equal(result.outcome, 'Succeeded');
    assert.equal(result.exitCode, 0);
    const pids = [...output.pids().values()];
    assert.equal(pids.length, 2);
    await assertGroupGone(pgid, pids);
  });

  test('a process that left the group and holds the output open does not hang the step', TEST_TIMEOUT, async () => {
    const script = [
      'setsid sleep 1000 & p=$!',
      'while [ "$(cut -d" " -f6 /proc/$p/stat)" != "$p" ]; do :; done',
      'echo escapee $p',
      'exit 3',
    ].join('\n');
    const { result, output } = await run(await newWorkspace(), script, { outputDrainMs: 200 });
    const escapee = output.pids().get('escapee');
    assert.ok(escapee !== undefined, 'the script printed the escapee pid');
    try {
      assert.equal(result.outcome, 'Failed');
      assert.equal(result.exitCode, 3);
      assert.equal(isRunning(escapee), true);
      assert.match(readlinkSync(`/proc/${escapee}/fd/1`), /^(pipe|socket):/);
    } finally {
      process.kill(escapee, 'SIGKILL');
    }
  });
});
