// Helpers for tests that run real step processes: a scratch workspace per test, an output
// collector, and process checks that read /proc (Linux).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import {
  runStepProcess,
  type OutputStream,
  type StepProcessOptions,
  type StepProcessResult,
} from '../../src/worker/executor.js';

export const TEST_TIMEOUT = { timeout: 30_000 };

/** How long PID 1 may take to reap an orphaned zombie (some inits reap only every few seconds). */
const GONE_WITHIN_MS = 10_000;

/** Registers before/after hooks for a scratch directory; returns a factory of fresh workspaces. */
export function scratchWorkspaces(): { newWorkspace: () => Promise<string>; root: () => string } {
  let root = '';
  let count = 0;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'kube-actions-executor-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  return {
    root: () => root,
    newWorkspace: async () => {
      const ws = join(root, `ws-${++count}`);
      await mkdir(ws);
      return ws;
    },
  };
}

/** Collects a step's output per stream and lets a test wait for a pattern to appear. */
export class Output {
  readonly chunks: { stream: OutputStream; text: string }[] = [];
  private waiters: (() => void)[] = [];
  readonly onOutput = (stream: OutputStream, chunk: Buffer): void => {
    this.chunks.push({ stream, text: chunk.toString() });
    for (const wake of this.waiters) wake();
  };
  text(stream: OutputStream): string {
    return this.chunks.filter((c) => c.stream === stream).map((c) => c.text).join('');
  }
  /** Resolves once stdout matches `pattern`. */
  until(pattern: RegExp): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!pattern.test(this.text('stdout'))) return;
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
      check();
    });
  }
  /** The pids printed by the script as "<label> <pid>" lines. */
  pids(): Map<string, number> {
    return new Map([...this.text('stdout').matchAll(/^(\w+) (\d+)$/gm)].map((m) => [m[1] ?? '', Number(m[2])]));
  }
}

/** Runs `script` in `ws` with PATH and HOME set, collecting its output. */
export async function run(
  ws: string,
  script: string,
  extra: Partial<StepProcessOptions> = {},
): Promise<{ result: StepProcessResult; output: Output }> {
  const output = new Output();
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: ws };
  const result = await runStepProcess({ script, workspace: ws, env, onOutput: output.onOutput, ...extra });
  return { result, output };
}

/** State and process group of `pid` from /proc; undefined once it is gone. */
export function procStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** True if `pid` exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** True if `process.kill(pid, 0)` throws ESRCH (negative pid: a process group). */
export function killThrowsEsrch(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Polls `condition` every 10 ms; fails the test after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * No process of group `pgid` runs the moment the executor resolved; each pid (and the group)
 * then disappears entirely (ESRCH) once PID 1 has reaped the orphaned zombies.
 */
export async function assertGroupGone(pgid: number, pids: number[]): Promise<void> {
  for (const pid of [pgid, ...pids]) assert.equal(isRunning(pid), false, `pid ${pid} still runs`);
  for (const pid of [-pgid, ...pids]) {
    await waitFor(() => killThrowsEsrch(pid), GONE_WITHIN_MS, `kill(${pid}, 0) to throw ESRCH`);
  }
}
