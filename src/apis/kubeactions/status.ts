import { formatTime } from '../../apiserver/time.js';
// Status transitions of a WorkflowRun, shared by the apiserver (initial state) and the worker.
// Tekton-style condition: Succeeded is Unknown while pending or running, then True or False.
import {
  type Condition, isFinished, RunPhase, type Step, type StepPhase, type WorkflowRun, type WorkflowRunSpec,
  type WorkflowRunStatus,
} from './types.js';

const timestamp = formatTime;

/** The Succeeded condition's reason while a cancel request waits for the worker. */
export const CANCELLING = 'Cancelling';

/** The status of a new run; `spec` is not validated yet, so steps of the wrong type are skipped. */
export function initialStatus(spec: WorkflowRunSpec | undefined, now: number): WorkflowRunStatus {
  const steps: unknown = spec?.steps;
  return {
    phase: RunPhase.Pending,
    conditions: [succeeded('Unknown', 'Pending', 'Waiting for a worker', now)],
    attempt: 0,
    steps: (Array.isArray(steps) ? (steps as unknown[]) : []).map((s) => ({ name: String((s as Partial<Step> | null)?.name ?? ''), phase: 'Pending' })),
  };
}

function succeeded(status: Condition['status'], reason: string, message: string, now: number): Condition {
  return { type: 'Succeeded', status, reason, message, lastTransitionTime: timestamp(now) };
}

/** Sets the Succeeded condition, keeping lastTransitionTime when its status does not change. */
export function setSucceeded(st: WorkflowRunStatus, status: Condition['status'], reason: string, message: string, now: number): void {
  const prev = st.conditions?.find((c) => c.type === 'Succeeded');
  const next = succeeded(status, reason, message, now);
  if (prev && prev.status === status && prev.lastTransitionTime) next.lastTransitionTime = prev.lastTransitionTime;
  st.conditions = [...(st.conditions ?? []).filter((c) => c.type !== 'Succeeded'), next];
}

export function startAttempt(run: WorkflowRun, attempt: number, workerId: string, now: number): void {
  const st = (run.status ??= {});
  st.phase = RunPhase.Running;
  st.attempt = attempt;
  st.workerId = workerId;
  st.startTime = timestamp(now);
  delete st.completionTime;
  st.steps = run.spec.steps.map((s) => ({ name: s.name, phase: 'Pending' }));
  setSucceeded(st, 'Unknown', 'Running', attempt > 1 ? `Attempt ${attempt} is running` : 'Running', now);
}

export function setStep(
  run: WorkflowRun,
  index: number,
  phase: StepPhase,
  now: number,
  extra: { exitCode?: number; message?: string } = {},
): void {
  const step = run.status?.steps?.[index];
  if (!step) return;
  step.phase = phase;
  if (phase === 'Running') step.startTime = timestamp(now);
  else if (phase !== 'Pending') step.completionTime = timestamp(now);
  if (extra.exitCode !== undefined) step.exitCode = extra.exitCode;
  if (extra.message !== undefined) step.message = extra.message;
}

/** Ends the run in a terminal phase with the condition's reason and message. */
export function finish(run: WorkflowRun, phase: 'Succeeded' | 'Failed' | 'Cancelled', reason: string, message: string, now: number): void {
  const st = (run.status ??= {});
  st.phase = phase;
  st.completionTime = timestamp(now);
  for (const s of st.steps ?? []) {
    if (s.phase === 'Pending') s.phase = 'Skipped';
    if (s.phase === 'Running') {
      s.phase = phase === 'Cancelled' ? 'Cancelled' : 'Failed';
      s.completionTime = timestamp(now);
    }
  }
  setSucceeded(st, phase === 'Succeeded' ? 'True' : 'False', reason, message, now);
}

/** Back to Pending between attempts. */
export function awaitRetry(run: WorkflowRun, message: string, now: number): void {
  const st = (run.status ??= {});
  st.phase = RunPhase.Pending;
  setSucceeded(st, 'Unknown', 'Retrying', message, now);
}

/**
 * Back to Pending with `attempt` still to run: its worker shut down before it finished, which
 * does not count as a failed attempt.
 */
export function handBack(run: WorkflowRun, message: string, now: number): void {
  const st = (run.status ??= {});
  st.phase = RunPhase.Pending;
  st.attempt = Math.max(0, (st.attempt ?? 1) - 1);
  delete st.workerId;
  setSucceeded(st, 'Unknown', 'Rescheduled', message, now);
}

export function isActive(run: WorkflowRun): boolean {
  return !isFinished(run.status?.phase);
}

/** When a finished run is to be deleted (ms since the epoch), if ever. */
export function expiresAt(run: WorkflowRun): number | undefined {
  const ttl = run.spec.ttlSecondsAfterFinished;
  const done = run.status?.completionTime;
  if (ttl === undefined || !done || !isFinished(run.status?.phase)) return undefined;
  return Date.parse(done) + ttl * 1000;
}
