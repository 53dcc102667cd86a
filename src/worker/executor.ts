// The local step executor: runs one step's script with /bin/sh in its own process group, streams
// its output, enforces its timeout and cancellation, and leaves no process behind.
//
// Stopping (timeout, abort): SIGTERM to the whole group, SIGKILL after the grace period to whatever
// still runs, even if the shell itself already exited. A shell that exits on its own: leftovers
// (`sleep 1000 &`) are SIGKILLed at once, as when a container's main process ends.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { killGroup, terminateGroup } from './process-group.js';
import { guardGroup, releaseGroup } from './group-guard.js';
import { findExecutable } from './find-executable.js';
import type { RunIdentity } from './sandbox.js';
import { resolveWorkingDir } from './workspace.js';
import { abortedMessage, exitResult, startErrorMessage, type ExitStatus } from './step-result.js';

/** SIGTERM-to-SIGKILL grace when `killGraceMs` is not given. */
export const DEFAULT_KILL_GRACE_MS = 10_000;

/** How long output pipes may stay open once the step's group is gone, when not given. */
export const DEFAULT_OUTPUT_DRAIN_MS = 1_000;

/** What to run for one step, and where its output goes. */
export interface StepProcessOptions {
  /** Run as `/bin/sh -c <script>`, unless `argv` is given. */
  script: string;
  /** Run this program with these arguments instead of the script (exec). */
  argv?: string[];
  /** Give the process a stdin pipe (handed to `onStart`); otherwise stdin is /dev/null. */
  stdin?: boolean;
  /** Absolute path of the run's workspace directory; it must exist. */
  workspace: string;
  /** Relative to `workspace` and inside it (no `..` escape, not absolute); created if missing. */
  workingDir?: string;
  /** The step's full environment; nothing of the worker's own environment is added. */
  env: Record<string, string>;
  /** Run as this run's isolated identity (sandbox.ts): its uid, limits and network. */
  identity?: RunIdentity;
  /** Step timeout: the whole process group is terminated when it expires. */
  timeoutMs?: number;
  /** Cancellation (or the run's timeout): the whole process group is terminated on abort. */
  signal?: AbortSignal;
  /** SIGTERM first, SIGKILL after this many ms if a process of the group still runs. */
  killGraceMs?: number;
  /** Once the group is gone, how long to wait for output pipes held open by escaped processes. */
  outputDrainMs?: number;
  /**
   * Called synchronously right after the process started, with its pid (= its process group)
   * and its stdin when `stdin` was asked for.
   */
  onStart?: (pid: number, stdin?: Writable) => void;
  /** Gets each chunk as it arrives, all before the result resolves; it must not throw. */
  onOutput: (stream: OutputStream, chunk: Buffer) => void;
}

export type OutputStream = 'stdout' | 'stderr';

export type StepOutcome = 'Succeeded' | 'Failed' | 'TimedOut' | 'Aborted' | 'StartError';

/** How a step process ended. */
export interface StepProcessResult {
  outcome: StepOutcome;
  /** The shell's exit code; for a signal, 128 + its number, as a shell reports it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Human text: "exit code 3", "timed out after 5s", "killed by SIGKILL", "cannot start: …". */
  message: string;
  startedAt: Date;
  finishedAt: Date;
}

/** stdin is not connected unless asked for; stdout and stderr are pipes read by `forwardOutput`. */
const STDIO: StdioOptions = ['ignore', 'pipe', 'pipe'];
const STDIO_WITH_STDIN: StdioOptions = ['pipe', 'pipe', 'pipe'];

type StopCause = 'timeout' | 'abort';

/**
 * Runs one step and resolves when it has ended and no process of its group runs any more. Never
 * rejects for a failure of the step or of its start: those become the outcome (`StartError` for a
 * bad `workingDir` or a failed spawn; `Aborted` without starting if `signal` is already aborted).
 */
export async function runStepProcess(opts: StepProcessOptions): Promise<StepProcessResult> {
  const startedAt = new Date();
  let child: ChildProcess;
  try {
    // An isolated step creates its working directory itself, as its own uid.
    const identity = opts.identity;
    const dir = await resolveWorkingDir(opts.workspace, opts.workingDir, { create: identity === undefined });
    if (opts.signal?.aborted) {
      const message = abortedMessage(opts.signal.reason);
      return finish({ outcome: 'Aborted', exitCode: null, signal: null, message }, startedAt);
    }
    // Isolated, the program is exec'd by the run's shell: a missing one is still a start error.
    if (identity && opts.argv) await assertExecutable(opts.argv[0] ?? '', opts.env['PATH'] ?? '');
    const command = opts.argv ? { argv: opts.argv } : { script: opts.script };
    const [file, ...args] = identity
      ? identity.argv(command, opts.workingDir ? dir : undefined)
      : opts.argv ?? ['/bin/sh', '-c', opts.script];
    const cwd = identity ? opts.workspace : dir;
    child = spawn(file ?? '/bin/sh', args, { cwd, env: opts.env, stdio: opts.stdin ? STDIO_WITH_STDIN : STDIO, detached: true });
  } catch (err) {
    return startError(err, startedAt);
  }
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<unknown>((resolve) => child.once('error', resolve));
    return startError(err, startedAt);
  }
  child.stdin?.on('error', () => undefined);
  guardGroup(pid);
  opts.onStart?.(pid, child.stdin ?? undefined);
  try {
    return await superviseStep(child, pid, opts, startedAt);
  } finally {
    releaseGroup(pid);
  }
}

async function superviseStep(
  child: ChildProcess,
  pid: number,
  opts: StepProcessOptions,
  startedAt: Date,
): Promise<StepProcessResult> {
  const outputs = forwardOutput(child, opts.onOutput);
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let cause: StopCause | undefined;
  let terminated: Promise<void> = Promise.resolve();
  const stop = (why: StopCause): void => {
    if (cause !== undefined) return;
    cause = why;
    terminated = terminateGroup(pid, opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  };
  const onAbort = (): void => stop('abort');
  const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), opts.timeoutMs);
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const status = await exited;
  clearTimeout(timer);
  opts.signal?.removeEventListener('abort', onAbort);
  await (cause === undefined ? killGroup(pid) : terminated);
  await drainOutput(outputs, opts.outputDrainMs ?? DEFAULT_OUTPUT_DRAIN_MS);

  const result = exitResult(status);
  if (cause === 'timeout') {
    result.outcome = 'TimedOut';
    result.message = `timed out after ${(opts.timeoutMs ?? 0) / 1000}s`;
  } else if (cause === 'abort') {
    result.outcome = 'Aborted';
    result.message = abortedMessage(opts.signal?.reason);
  }
  return finish(result, startedAt);
}

interface Output {
  stream: Readable;
  closed: Promise<void>;
}

/** Hands every chunk of the child's stdout and stderr to `onOutput` as soon as it is read. */
function forwardOutput(child: ChildProcess, onOutput: StepProcessOptions['onOutput']): Output[] {
  const named: [OutputStream, Readable | null][] = [
    ['stdout', child.stdout],
    ['stderr', child.stderr],
  ];
  return named.flatMap(([name, stream]) => {
    if (stream === null) return [];
    stream.on('data', (chunk: Buffer) => onOutput(name, chunk));
    // A read error ends that stream's output; the step's outcome comes from its exit status.
    stream.on('error', () => stream.destroy());
    const closed = new Promise<void>((resolve) => stream.once('close', resolve));
    return [{ stream, closed }];
  });
}

/**
 * Waits for the output pipes to close. A process that left the group (setsid) may hold them open
 * forever, so after `drainMs` our ends are closed and whatever it writes later is lost.
 */
async function drainOutput(outputs: Output[], drainMs: number): Promise<void> {
  const timer = setTimeout(() => {
    for (const output of outputs) output.stream.destroy();
  }, drainMs);
  await Promise.all(outputs.map((output) => output.closed));
  clearTimeout(timer);
}

/** Throws spawn's ENOENT message when `file` (a path, or a name looked up in `path`) is no executable. */
async function assertExecutable(file: string, path: string): Promise<void> {
  if ((await findExecutable(file, path)) === undefined) throw new Error(`spawn ${file} ENOENT`);
}

function startError(err: unknown, startedAt: Date): StepProcessResult {
  const message = startErrorMessage(err);
  return finish({ outcome: 'StartError', exitCode: null, signal: null, message }, startedAt);
}

function finish(
  result: Omit<StepProcessResult, 'startedAt' | 'finishedAt'>,
  startedAt: Date,
): StepProcessResult {
  return { ...result, startedAt, finishedAt: new Date() };
}
