// How WorkflowRuns appear in discovery and OpenAPI.
import type { QueryParameter, ResourceDescriptor, SubresourceDescriptor } from '../../apiserver/resource.js';
import { GROUP, VERSION } from '../../apis/kubeactions/types.js';
import { workflowRunCancelSchema, workflowRunRetrySchema, workflowRunSchema } from '../../apis/kubeactions/schema.js';

export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json'];

const logParameters: QueryParameter[] = [
  { name: 'follow', type: 'boolean', description: 'Follow the log stream of the run until it finishes.' },
  { name: 'step', type: 'string', description: 'Only the log of this step (like a pod log\'s container).' },
];

const subresources: SubresourceDescriptor[] = [
  {
    name: 'cancel', kind: 'WorkflowRun', verbs: ['create'], methods: ['POST'], requestKind: 'WorkflowRunCancel',
    description: 'cancel the specified WorkflowRun: a pending run leaves the queue, a running one is stopped',
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
