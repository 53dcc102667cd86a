// OpenAPI schema of kubeactions.dev/v1alpha1 WorkflowRun: the source of `kubectl explain`,
// of strict field validation and of type checks.
import type { JSONSchema } from '../../apiserver/resource.js';

const str = (description: string, extra: JSONSchema = {}): JSONSchema => ({ type: 'string', description, ...extra });
const int = (description: string, extra: JSONSchema = {}): JSONSchema => ({ type: 'integer', format: 'int64', description, ...extra });
const time = (description: string): JSONSchema => ({ type: 'string', format: 'date-time', description });
/** The longest a worker's timer can wait: 2^31-1 ms (Node's setTimeout fires at once beyond it). */
const MAX_TIMER_SECONDS = 2_147_483;

const quantity = (description: string): JSONSchema => ({ 'x-kubernetes-int-or-string': true, description });

const envVar: JSONSchema = {
  type: 'object',
  description: 'An environment variable set for the step.',
  required: ['name'],
  properties: {
    name: str('Name of the environment variable.'),
    value: str('Value of the environment variable. Defaults to "".'),
  },
};

const step: JSONSchema = {
  type: 'object',
  description: 'One step of the run: a shell script run with /bin/sh -c in the run\'s workspace.',
  required: ['name', 'run'],
  properties: {
    name: str('Name of the step, a DNS-1123 label unique within the run.'),
    run: str('Shell script to run (/bin/sh -c). Parameters are available as $PARAM_<NAME> and $(params.<NAME>).'),
    env: { type: 'array', description: 'Environment variables of the step.', items: envVar },
    workingDir: str('Directory to run in, relative to the run\'s workspace. Defaults to the workspace.'),
    timeoutSeconds: int('Seconds after which the step is stopped and fails (at most 2147483, about 24 days).', { minimum: 1, maximum: MAX_TIMER_SECONDS }),
    continueOnError: { type: 'boolean', description: 'When true, a failure of this step does not fail the run.' },
    stdin: { type: 'boolean', description: 'When true, the step reads stdin, which `attach` with stdin writes to; otherwise stdin is /dev/null.' },
  },
};

export const workflowRunSpec: JSONSchema = {
  type: 'object',
  description: 'What to run. Immutable once created.',
  required: ['steps'],
  properties: {
    params: {
      type: 'object',
      description: 'Parameters, exposed to steps as environment variables PARAM_<NAME> and substituted for $(params.<NAME>).',
      additionalProperties: { type: 'string' },
    },
    timeoutSeconds: int('Seconds the whole run may take before it is stopped and fails (at most 2147483, about 24 days).', { minimum: 1, maximum: MAX_TIMER_SECONDS }),
    network: str('Network of the steps: Host (the worker\'s, the default) or None (a network of their own with only a loopback interface).', { enum: ['Host', 'None'] }),
    resources: {
      type: 'object',
      description: 'Limits of the run\'s processes. Each is capped by the worker\'s maximum (its --step-max-* flags), which also applies to what is not given.',
      properties: {
        limits: {
          type: 'object',
          description: 'Limits as quantities, e.g. memory: 512Mi.',
          properties: {
            pids: quantity('Processes the run may have at once (a fork bomb ends at this count).'),
            memory: quantity('Memory (data segment) of each process, e.g. 512Mi.'),
            'ephemeral-storage': quantity('The largest file a step may write, e.g. 1Gi.'),
            'cpu-seconds': quantity('CPU time of each process, in seconds.'),
          },
        },
      },
    },
    ttlSecondsAfterFinished: int('Seconds after the run finished when the run and its log are deleted.', { minimum: 0 }),
    retry: {
      type: 'object',
      description: 'Whole-run retries on failure.',
      properties: {
        limit: int('How many times a failed run is attempted again.', { minimum: 0, maximum: 100 }),
        backoffSeconds: int('Seconds to wait before the next attempt.', { minimum: 0 }),
      },
    },
    steps: { type: 'array', description: 'Steps, run in order.', minItems: 1, maxItems: 100, items: step },
  },
};

const condition: JSONSchema = {
  type: 'object',
  description: 'A condition of the run. Succeeded is Unknown while it runs, then True or False.',
  required: ['type', 'status'],
  properties: {
    type: str('Type of the condition: Succeeded.'),
    status: str('Status of the condition: True, False or Unknown.'),
    reason: str('Machine-readable reason of the last transition.'),
    message: str('Human-readable message of the last transition.'),
    lastTransitionTime: time('When the condition last changed.'),
  },
};

const stepStatus: JSONSchema = {
  type: 'object',
  description: 'The state of one step.',
  properties: {
    name: str('Name of the step.'),
    phase: str('Pending, Running, Succeeded, Failed, Skipped or Cancelled.'),
    startTime: time('When the step started.'),
    completionTime: time('When the step finished.'),
    exitCode: { type: 'integer', format: 'int32', description: 'Exit code of the step\'s process.' },
    message: str('Human-readable detail.'),
  },
};

export const workflowRunStatus: JSONSchema = {
  type: 'object',
  description: 'The observed state of the run, written by the worker.',
  properties: {
    phase: str('Pending, Running, Succeeded, Failed or Cancelled.'),
    conditions: { type: 'array', description: 'Conditions of the run.', items: condition },
    attempt: { type: 'integer', format: 'int32', description: 'The current attempt, starting at 1.' },
    startTime: time('When the current attempt started.'),
    completionTime: time('When the run finished.'),
    steps: { type: 'array', description: 'States of the steps of the current attempt.', items: stepStatus },
    workerId: str('The worker that holds the run.'),
  },
};

export const workflowRunSchema: JSONSchema = {
  type: 'object',
  description: 'WorkflowRun is a one-time run of a CI/CD workflow: steps run in order by a kube-actions worker.',
  required: ['spec'],
  properties: { spec: workflowRunSpec, status: workflowRunStatus },
};

export const workflowRunCancelSchema: JSONSchema = {
  type: 'object',
  description: 'WorkflowRunCancel asks a run to stop.',
  properties: {
    reason: str('Why the run is cancelled; shown in its Succeeded condition.'),
    gracePeriodSeconds: int('Seconds between SIGTERM and SIGKILL for the running step. Defaults to the worker\'s --kill-grace-period.', { minimum: 0 }),
  },
};

export const workflowRunRetrySchema: JSONSchema = {
  type: 'object',
  description: 'WorkflowRunRetry creates a new run from an earlier one.',
  properties: {
    params: { type: 'object', description: 'Parameters that override the original run\'s.', additionalProperties: { type: 'string' } },
  },
};
