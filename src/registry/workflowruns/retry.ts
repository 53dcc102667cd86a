// RetryREST: POST …/workflowruns/NAME/retry creates a new WorkflowRun from the spec of NAME
// (with parameter overrides), labelled kubeactions.dev/retry-of=NAME, and returns it
// (OpenShift's builds/clone).
import type { Creater, Entity, Getter, NamedCreater, RequestContext } from '../../apiserver/rest.js';
import type { KubeObject } from '../../apiserver/types.js';
import { API_VERSION, type WorkflowRun } from '../../apis/kubeactions/types.js';
import { decodeOptions } from './options.js';

export const RETRY_OF_LABEL = 'kubeactions.dev/retry-of';

/** `build-x7k2p` → `build-`; a name without a generated suffix → `name-`. */
export function retryGenerateName(run: WorkflowRun): string {
  return run.metadata.generateName ?? `${run.metadata.name.slice(0, 57)}-`;
}

export class RetryREST implements NamedCreater {
  constructor(readonly runs: Getter & Creater) {}

  async create(ctx: RequestContext, name: string, body: KubeObject | undefined): Promise<Entity> {
    const opts = decodeOptions(body, 'WorkflowRunRetry', { params: 'map' });
    const original = (await this.runs.get(ctx, name)).object as WorkflowRun;
    const params = { ...original.spec.params, ...(opts.params as Record<string, string> | undefined) };
    const next: KubeObject = {
      apiVersion: API_VERSION,
      kind: 'WorkflowRun',
      metadata: {
        generateName: retryGenerateName(original),
        labels: { ...original.metadata.labels, [RETRY_OF_LABEL]: original.metadata.name },
        ...(original.metadata.annotations ? { annotations: original.metadata.annotations } : {}),
      },
      spec: { ...original.spec, ...(Object.keys(params).length > 0 ? { params } : {}) },
    };
    return this.runs.create(ctx, next);
  }
}
