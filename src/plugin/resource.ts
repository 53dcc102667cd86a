// Where WorkflowRuns live on the server and how the plugin names them, as kubectl would.
import { GROUP, VERSION } from '../apis/kubeactions/types.js';

/** The resource the plugin works on. */
export const RESOURCE = 'workflowruns';

/** kubectl's `<resource>.<group>` form, e.g. in `workflowrun.kubeactions.dev/NAME created`. */
export const KIND_NAME = `workflowrun.${GROUP}`;

/** `workflowruns.kubeactions.dev`, as in `Error from server (NotFound): … "x" not found`. */
export const GROUP_RESOURCE = `${RESOURCE}.${GROUP}`;

/** The collection path of WorkflowRuns in `namespace`. */
export function collectionPath(namespace: string): string {
  return `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${RESOURCE}`;
}

/** The path of one run, or of one of its subresources (`log`, `exec`, `cancel`…). */
export function runPath(namespace: string, name: string, subresource?: string): string {
  const base = `${collectionPath(namespace)}/${encodeURIComponent(name)}`;
  return subresource ? `${base}/${subresource}` : base;
}

/** `workflowrun.kubeactions.dev/NAME`: what `kubectl … -o name` prints. */
export function qualifiedName(name: string): string {
  return `${KIND_NAME}/${name}`;
}
