// kubeactions.dev/v1alpha1 types (DESIGN.md §1).
import type { KubeObject, ObjectMeta } from '../../apiserver/types.js';

export const GROUP = 'kubeactions.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const RunPhase = {
  Pending: 'Pending',
  Running: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Cancelled: 'Cancelled',
} as const;
export type RunPhase = (typeof RunPhase)[keyof typeof RunPhase];

export const StepPhase = {
  Pending: 'Pending',
  Running: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Skipped: 'Skipped',
  Cancelled: 'Cancelled',
} as const;
export type StepPhase = (typeof StepPhase)[keyof typeof StepPhase];

export function isFinished(phase: string | undefined): boolean {
  return phase === RunPhase.Succeeded || phase === RunPhase.Failed || phase === RunPhase.Cancelled;
}

export interface EnvVar {
  name: string;
  value?: string;
}

export interface Step {
  name: string;
  run: string;
  env?: EnvVar[];
  workingDir?: string;
  timeoutSeconds?: number;
  continueOnError?: boolean;
  /** The step reads stdin, which `attach -i` writes to (otherwise stdin is /dev/null). */
  stdin?: boolean;
}

export interface RetryPolicy {
  limit?: number;
  backoffSeconds?: number;
}

/** `spec.network`: the worker's network, or a network namespace with only a loopback interface. */
export type StepNetwork = 'Host' | 'None';

/** The limits a run may ask for (quantities), each capped by the worker's maximum. */
export interface RunResourceLimits {
  /** Processes of the run at once. */
  pids?: number | string;
  /** Memory (data segment) of each process. */
  memory?: number | string;
  /** The largest file a step may write. */
  'ephemeral-storage'?: number | string;
  /** CPU time of each process, in seconds. */
  'cpu-seconds'?: number | string;
}

export interface WorkflowRunSpec {
  params?: Record<string, string>;
  network?: StepNetwork;
  resources?: { limits?: RunResourceLimits };
  timeoutSeconds?: number;
  ttlSecondsAfterFinished?: number;
  retry?: RetryPolicy;
  steps: Step[];
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface StepStatus {
  name: string;
  phase: StepPhase;
  startTime?: string;
  completionTime?: string;
  exitCode?: number;
  message?: string;
}

export interface WorkflowRunStatus {
  phase?: RunPhase;
  conditions?: Condition[];
  attempt?: number;
  startTime?: string;
  completionTime?: string;
  steps?: StepStatus[];
  workerId?: string;
}

export interface WorkflowRun extends KubeObject {
  apiVersion: typeof API_VERSION;
  kind: 'WorkflowRun';
  metadata: ObjectMeta & { name: string; namespace: string; uid: string };
  spec: WorkflowRunSpec;
  status?: WorkflowRunStatus;
}
