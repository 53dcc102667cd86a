// WorkflowRun policy: a new run starts Pending; its spec is immutable; the main resource never
// changes status (the worker does); finished runs expire after ttlSecondsAfterFinished.
import { type FieldError, invalid } from '../../apiserver/field-errors.js';
import type { KubeObject } from '../../apiserver/types.js';
import { validateSchema } from '../../apiserver/schema.js';
import { WORKFLOW_RUN_FIELDS, workflowRunFields } from '../../apis/kubeactions/fields.js';
import { workflowRunSchema } from '../../apis/kubeactions/schema.js';
import { expiresAt, initialStatus, isActive } from '../../apis/kubeactions/status.js';
import type { WorkflowRun } from '../../apis/kubeactions/types.js';
import type { Strategy } from '../generic/strategy.js';
import { workflowRunsDescriptor } from './descriptor.js';
import { validateSpec } from './validation.js';

const noRefs = (): undefined => undefined;

export const workflowRunStrategy: Strategy = {
  resource: workflowRunsDescriptor,
  fieldNames: WORKFLOW_RUN_FIELDS,
  fields: workflowRunFields,

  prepareForCreate(obj: KubeObject): void {
    const run = obj as WorkflowRun;
    run.status = initialStatus(run.spec, Date.now());
  },

  validate(obj: KubeObject): FieldError[] {
    const { spec } = obj as WorkflowRun;
    const typeErrs = validateSchema({ spec }, { type: 'object', properties: { spec: workflowRunSchema.properties?.spec ?? {} }, required: ['spec'] }, noRefs);
    return typeErrs.length > 0 ? typeErrs : validateSpec(spec);
  },

  prepareForUpdate(obj: KubeObject, old: KubeObject): void {
    obj.status = old.status;
  },

  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
    if (JSON.stringify(obj.spec) !== JSON.stringify(old.spec)) {
      return [invalid('spec', obj.spec, 'field is immutable')];
    }
    return [];
  },

  isActive: (obj) => isActive(obj as WorkflowRun),
  expiresAt: (obj) => expiresAt(obj as WorkflowRun),
};
