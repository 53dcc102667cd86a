// `kubectl get workflowruns` columns: NAME, PHASE, STEPS (done/total), AGE, DURATION; with
// -o wide also ATTEMPT and WORKER. Ages are formatted here, as CRD date columns are.
import { convertToHumanReadableDateType, humanDuration } from '../../apiserver/duration.js';
import type { TableConvertor } from '../../apiserver/rest.js';
import type { KubeObject, TableColumnDefinition } from '../../apiserver/types.js';
import type { WorkflowRun } from '../../apis/kubeactions/types.js';

const columns: TableColumnDefinition[] = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
  { name: 'Phase', type: 'string', format: '', description: 'Pending, Running, Succeeded, Failed or Cancelled.', priority: 0 },
  { name: 'Steps', type: 'string', format: '', description: 'Finished steps of all steps.', priority: 0 },
  { name: 'Age', type: 'date', format: '', description: 'Time since the run was created.', priority: 0 },
  { name: 'Duration', type: 'string', format: '', description: 'How long the current attempt has run.', priority: 0 },
  { name: 'Attempt', type: 'integer', format: '', description: 'The current attempt.', priority: 1 },
  { name: 'Worker', type: 'string', format: '', description: 'The worker that holds the run.', priority: 1 },
];

const DONE = new Set(['Succeeded', 'Failed', 'Skipped', 'Cancelled']);

export const workflowRunTable: TableConvertor = {
  columns,
  row(obj: KubeObject, now: number): unknown[] {
    const run = obj as WorkflowRun;
    const st = run.status ?? {};
    const steps = st.steps ?? [];
    const done = steps.filter((s) => DONE.has(s.phase)).length;
    const start = st.startTime ? Date.parse(st.startTime) : undefined;
    const end = st.completionTime ? Date.parse(st.completionTime) : now;
    return [
      run.metadata.name,
      st.phase ?? '',
      `${done}/${run.spec.steps.length}`,
      convertToHumanReadableDateType(run.metadata.creationTimestamp, now),
      start === undefined ? '' : humanDuration(Math.max(0, end - start)),
      st.attempt ?? 0,
      st.workerId ?? '',
    ];
  },
};
