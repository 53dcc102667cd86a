// Runs one attempt of a WorkflowRun: its steps in order, writing each state change to the
// record (each a watch event) and the output to the run's log.
import type { Logger } from 'pino';
import type { WorkflowRun } from '../apis/kubeactions/types.js';
import { finish, isActive, setStep } from '../apis/kubeactions/status.js';
import type { LogStore } from '../queue/log-store.js';
import type { Records } from '../queue/records.js';
import { parseQuantity } from '../apiserver/quantity.js';
import { runStepProcess } from './executor.js';
import type { RunIdentity, RunRequest, StepLimits } from './sandbox.js';
import { LogWriter } from './log-writer.js';
import type { HeldRun, StepIO } from './sessions.js';
import { untilStored } from './store-retry.js';

export type StopReason = 'Timeout' | 'Deleted' | 'Cancelled' | 'Shutdown';

export interface AttemptOptions {
  records: Records<WorkflowRun>;
  logs: LogStore;
  member: string;
  run: WorkflowRun;
  attempt: number;
  workspace: string;
  signal: AbortSignal;
  killGraceMs: number;
  logLimitBytes: number;
  /** Where failures to reach Redis are reported (the writes are retried until it is back). */
  log: Logger;
  onStepStarted?: (pid: number) => void;
  /** Where attach sessions find the running step. */
  held?: HeldRun;
  /** The run's isolated identity, when the worker isolates steps. */
  identity?: RunIdentity;
}

export interface AttemptResult {
  outcome: 'Succeeded' | 'Failed' | 'Stopped' | 'Gone';
  /** For Failed: the condition message. */
  message: string;
}

/** `$(params.NAME)` substitution, as Tekton does. */
export function substituteParams(text: string, params: Record<string, string>): string {
  return text.replace(/\$\(params\.([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => params[name] ?? m);
}

/** What the run asks of the sandbox: `spec.network` and `spec.resources.limits`. */
export function runRequest(run: WorkflowRun): RunRequest {
  const asked = run.spec.resources?.limits ?? {};
  const limits: Partial<StepLimits> = {};
  const set = (key: keyof StepLimits, value: number | string | undefined): void => {
    const n = value === undefined ? undefined : parseQuantity(value);
    if (n !== undefined && n > 0) limits[key] = Math.ceil(n);
  };
  set('processes', asked.pids);
  set('memoryBytes', asked.memory);
  set('fileBytes', asked['ephemeral-storage']);
  set('cpuSeconds', asked['cpu-seconds']);
  return { ...(run.spec.network ? { network: run.spec.network } : {}), limits };
}

/** The environment every step (and exec) of an attempt gets. */
export function runEnv(run: WorkflowRun, attempt: number, workspace: string): Record<string, string> {
  const params = run.spec.params ?? {};
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: workspace,
    LANG: process.env.LANG ?? 'C.UTF-8',
    KUBEACTIONS_RUN: run.metadata.name,
    KUBEACTIONS_NAMESPACE: run.metadata.namespace,
    KUBEACTIONS_ATTEMPT: String(attempt),
    KUBEACTIONS_WORKSPACE: workspace,
  };
  for (const [k, v] of Object.entries(params)) env[`PARAM_${k}`] = v;
  return env;
}

function stepEnv(run: WorkflowRun, index: number, attempt: number, workspace: string): Record<string, string> {
  const env = runEnv(run, attempt, workspace);
  for (const e of run.spec.steps[index]?.env ?? []) env[e.name] = substituteParams(e.value ?? '', run.spec.params ?? {});
  return env;
}

/**
 * Runs the steps in order. The caller has stored step 0 as Running (with the attempt's start);
 * each step's end is stored together with the next step's start: one write, one watch event.
 */
export async function runAttempt(o: AttemptOptions): Promise<AttemptResult> {
  const { run, records, member } = o;
  const params = run.spec.params ?? {};
  const steps = run.spec.steps;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (!step) break;
    if (o.signal.aborted) return { outcome: 'Stopped', message: '' };
    const log = new LogWriter({ logs: o.logs, uid: run.metadata.uid, attempt: o.attempt, step: step.name, limitBytes: o.logLimitBytes, log: o.log });
    const io: StepIO = { listeners: new Set(), ended: new Set() };
    if (o.held) o.held.step = io;
    const result = await runStepProcess({
      script: substituteParams(step.run, params),
      workspace: o.workspace,
      workingDir: step.workingDir,
      ...(o.identity ? { identity: o.identity } : {}),
      env: stepEnv(run, i, o.attempt, o.workspace),
      timeoutMs: step.timeoutSeconds ? step.timeoutSeconds * 1000 : undefined,
      signal: o.signal,
      killGraceMs: o.killGraceMs,
      stdin: step.stdin === true,
      onStart: (pid, stdin) => {
        io.stdin = stdin;
        o.onStepStarted?.(pid);
      },
      onOutput: (stream, chunk) => {
        log.write(chunk);
        for (const l of io.listeners) l(stream, chunk);
      },
    });
    if (o.held) o.held.step = undefined;
    for (const cb of io.ended) cb(result.exitCode);
    if (result.outcome !== 'Succeeded') log.note(`step ${step.name}: ${result.message}`);
    await log.close();
    const phase = result.outcome === 'Succeeded' ? 'Succeeded' : result.outcome === 'Aborted' ? 'Cancelled' : 'Failed';
    const goOn = (result.outcome === 'Succeeded' || (result.outcome !== 'Aborted' && !!step.continueOnError)) && !o.signal.aborted;
    const stored = await untilStored(`the end of step ${step.name} of ${member}`, o.log, () => records.mutate(member, (r) => {
      const now = Date.now();
      setStep(r, i, phase, now, { ...(result.exitCode !== null ? { exitCode: result.exitCode } : {}), message: result.message });
      if (goOn && i + 1 < steps.length) setStep(r, i + 1, 'Running', now);
      return true;
    }));
    if (!stored) return { outcome: 'Gone', message: '' };
    if (result.outcome === 'Aborted' || o.signal.aborted) return { outcome: 'Stopped', message: '' };
    if (!goOn) return { outcome: 'Failed', message: `step "${step.name}" failed: ${result.message}` };
  }
  return { outcome: 'Succeeded', message: 'All steps succeeded' };
}

/** Writes the terminal state of the run, retried while Redis is out of reach. */
export async function finishRun(
  records: Records<WorkflowRun>,
  member: string,
  phase: 'Succeeded' | 'Failed' | 'Cancelled',
  reason: string,
  message: string,
  log: Logger,
): Promise<WorkflowRun | undefined> {
  return untilStored(`the ${phase} state of ${member}`, log, () => records.mutate(member, (r) => {
    if (!isActive(r)) return false;
    finish(r, phase, reason, message, Date.now());
    return true;
  }));
}
