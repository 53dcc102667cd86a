// Fields of a WorkflowRun that field selectors may name.
import type { KubeObject } from '../../apiserver/types.js';

export const WORKFLOW_RUN_FIELDS = ['metadata.name', 'metadata.namespace', 'status.phase'];

export function workflowRunFields(obj: KubeObject): Record<string, string> {
  const status = obj.status as { phase?: string } | undefined;
  return {
    'metadata.name': obj.metadata?.name ?? '',
    'metadata.namespace': obj.metadata?.namespace ?? '',
    'status.phase': status?.phase ?? '',
  };
}
