// Validation of WorkflowRun specs: path-qualified field errors, never throws.
import {
  type FieldError, duplicate, invalid, isDNS1123Label, required, typeInvalid,
} from '../../apiserver/field-errors.js';
import type { RunResourceLimits, Step, WorkflowRunSpec } from '../../apis/kubeactions/types.js';
import { parseQuantity } from '../../apiserver/quantity.js';

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A null item of a list of objects (which schema validation lets through as "absent"). */
function nullItem(path: string): FieldError {
  return typeInvalid(path, 'null', `${path} in body must be of type object: "null"`);
}

function validateStep(s: Step, path: string, seen: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.name) errs.push(required(`${path}.name`, ''));
  else {
    for (const msg of isDNS1123Label(s.name)) errs.push(invalid(`${path}.name`, s.name, msg));
    if (seen.has(s.name)) errs.push(duplicate(`${path}.name`, s.name));
    seen.add(s.name);
  }
  if (!s.run || s.run.trim() === '') errs.push(required(`${path}.run`, ''));
  (s.env ?? []).forEach((e, i) => {
    if (e === null) errs.push(nullItem(`${path}.env[${i}]`));
    else if (!e.name) errs.push(required(`${path}.env[${i}].name`, ''));
    else if (!ENV_NAME.test(e.name)) {
      errs.push(invalid(`${path}.env[${i}].name`, e.name, 'a valid environment variable name must consist of alphabetic characters, digits, \'_\', \'-\', or \'.\', and must not start with a digit'));
    }
  });
  if (s.workingDir !== undefined) {
    if (s.workingDir.startsWith('/')) errs.push(invalid(`${path}.workingDir`, s.workingDir, 'must be a relative path'));
    else if (s.workingDir.split('/').includes('..')) errs.push(invalid(`${path}.workingDir`, s.workingDir, 'must not contain \'..\''));
  }
  return errs;
}

/** Limits that count (pids, cpu-seconds) are whole numbers; every limit is positive. */
const WHOLE_LIMITS = new Set<keyof RunResourceLimits>(['pids', 'cpu-seconds']);

function validateLimits(limits: RunResourceLimits, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, value] of Object.entries(limits) as [keyof RunResourceLimits, number | string][]) {
    const n = parseQuantity(value);
    const at = `${path}[${name}]`;
    if (n === undefined) errs.push(invalid(at, value, 'must be a quantity, e.g. 100, 512Mi or 1Gi'));
    else if (n <= 0) errs.push(invalid(at, value, 'must be greater than zero'));
    else if (WHOLE_LIMITS.has(name) && !Number.isInteger(n)) errs.push(invalid(at, value, 'must be a whole number'));
  }
  return errs;
}

export function validateSpec(spec: WorkflowRunSpec, path = 'spec'): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.resources?.limits) errs.push(...validateLimits(spec.resources.limits, `${path}.resources.limits`));
  for (const name of Object.keys(spec.params ?? {})) {
    if (!PARAM_NAME.test(name)) {
      errs.push(invalid(`${path}.params[${name}]`, name, 'must consist of alphanumeric characters or \'_\', and must not start with a digit'));
    }
  }
  if (!Array.isArray(spec.steps) || spec.steps.length === 0) {
    errs.push(required(`${path}.steps`, 'at least one step is required'));
    return errs;
  }
  const seen = new Set<string>();
  spec.steps.forEach((s, i) => errs.push(...(s === null ? [nullItem(`${path}.steps[${i}]`)] : validateStep(s, `${path}.steps[${i}]`, seen))));
  return errs;
}
