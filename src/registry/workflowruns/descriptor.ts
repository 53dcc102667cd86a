// How WorkflowRuns appear in discovery and OpenAPI.
import type { QueryParameter, ResourceDescriptor, SubresourceDescriptor } from '../../apiserver/resource.js';
import { GROUP, VERSION } from '../../apis/kubeactions/types.js';
import { workflowRunCancelSchema, workflowRunRetrySchema, workflowRunSchema } from '../../apis/kubeactions/schema.js';

export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json'];

const logParameters: QueryParameter[] = [
  { name: 'follow', type: 'boolean', description: 'Follow the log of the run until it finishes (waits for a pending run to start).' },
  { name: 'step', type: 'string', description: 'Only the log of this step (like a pod log\'s container).' },
  { name: 'container', type: 'string', description: 'Alias of step, for clients that speak PodLogOptions.' },
  { name: 'attempt', type: 'integer', description: 'The log of this attempt (default: the current one).' },
  { name: 'previous', type: 'boolean', description: 'The log of the attempt before the current one.' },
  { name: 'timestamps', type: 'boolean', description: 'Prefix every line with its RFC 3339 timestamp and a space.' },
  { name: 'tailLines', type: 'integer', description: 'Only the last lines of the log, this many.' },
  { name: 'sinceSeconds', type: 'integer', description: 'Only lines written in the last this many seconds.' },
  { name: 'sinceTime', type: 'string', description: 'Only lines written at or after this RFC 3339 time.' },
  { name: 'limitBytes', type: 'integer', description: 'Stop after this many bytes, even mid-line.' },
];

const execParameters: QueryParameter[] = [
  { name: 'command', type: 'string', array: true, description: 'The command and its arguments, one per parameter (exec only).' },
  { name: 'stdin', type: 'boolean', description: 'Redirect the standard input stream.' },
  { name: 'stdout', type: 'boolean', description: 'Redirect the standard output stream.' },
  { name: 'stderr', type: 'boolean', description: 'Redirect the standard error stream.' },
  { name: 'tty', type: 'boolean', description: 'Run the command in a pseudo-terminal (exec only).' },
];

const subresources: SubresourceDescriptor[] = [
  {
    name: 'attach', kind: 'WorkflowRunAttachOptions', verbs: ['create', 'get'], methods: ['GET', 'POST'], connect: true, produces: '*/*',
    description: 'connect to the running step of the specified WorkflowRun (websocket, v5.channel.k8s.io)', parameters: execParameters.filter((p) => p.name !== 'command'),
  },
  {
    name: 'cancel', kind: 'WorkflowRun', verbs: ['create'], methods: ['POST'], requestKind: 'WorkflowRunCancel',
    description: 'cancel the specified WorkflowRun: a pending run leaves the queue, a running one is stopped',
  },
  {
    name: 'exec', kind: 'WorkflowRunExecOptions', verbs: ['create', 'get'], methods: ['GET', 'POST'], connect: true, produces: '*/*',
    description: 'run a command in the workspace and environment of the specified WorkflowRun (websocket, v5.channel.k8s.io)', parameters: execParameters,
  },
  {
    name: 'log', kind: 'WorkflowRun', verbs: ['get'], methods: ['GET'], produces: 'text/plain',
    description: 'read the log of the specified WorkflowRun', parameters: logParameters,
  },
  {
    name: 'retry', kind: 'WorkflowRun', verbs: ['create'], methods: ['POST'], requestKind: 'WorkflowRunRetry',
    description: 'create a new WorkflowRun from the specified one, with parameter overrides',
  },
  {
    name: 'status', kind: 'WorkflowRun', verbs: ['get'], methods: ['GET'],
    description: 'read status of the specified WorkflowRun',
  },
];

export const workflowRunsDescriptor: ResourceDescriptor = {
  group: GROUP,
  version: VERSION,
  kind: 'WorkflowRun',
  listKind: 'WorkflowRunList',
  plural: 'workflowruns',
  singular: 'workflowrun',
  shortNames: ['wfr'],
  categories: ['kubeactions'],
  namespaced: true,
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  description: workflowRunSchema.description ?? '',
  schema: workflowRunSchema,
  definitions: { WorkflowRunCancel: workflowRunCancelSchema, WorkflowRunRetry: workflowRunRetrySchema },
  subresources,
  patchTypes: PATCH_TYPES,
};
