// WorkflowRunLogOptions, named like PodLogOptions (k8s.io/api/core/v1) and validated as
// ValidatePodLogOptions does: `step` plays `container`, `attempt`/`previous` pick an attempt.
import { newBadRequest, newInvalid } from '../../apiserver/errors.js';
import { type FieldError, forbidden, invalid } from '../../apiserver/field-errors.js';
import { parseBool } from '../../apiserver/http/options.js';
import { parseInt64 } from '../../apiserver/validation.js';
import { GROUP } from '../../apis/kubeactions/types.js';

export interface LogOptions {
  follow: boolean;
  timestamps: boolean;
  previous: boolean;
  step?: string;
  attempt?: number;
  tailLines?: number;
  sinceSeconds?: number;
  /** Milliseconds since the epoch. */
  sinceTime?: number;
  limitBytes?: number;
}

function int(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = parseInt64(v);
  if (n === undefined) {
    const why = /^[+-]?[0-9]+$/.test(v) ? 'value out of range' : 'invalid syntax';
    throw newBadRequest(`unable to parse ${name}: strconv.ParseInt: parsing "${v}": ${why}`);
  }
  return Number(n);
}

export function parseLogOptions(q: URLSearchParams): LogOptions {
  const opts: LogOptions = {
    follow: parseBool(q.get('follow')) ?? false,
    timestamps: parseBool(q.get('timestamps')) ?? false,
    previous: parseBool(q.get('previous')) ?? false,
  };
  const step = q.get('step') || q.get('container');
  if (step) opts.step = step;
  const numbers = { attempt: int(q, 'attempt'), tailLines: int(q, 'tailLines'), sinceSeconds: int(q, 'sinceSeconds'), limitBytes: int(q, 'limitBytes') };
  const errs: FieldError[] = [];
  if (numbers.tailLines !== undefined && numbers.tailLines < 0) errs.push(invalid('tailLines', numbers.tailLines, 'must be greater than or equal to 0'));
  if (numbers.limitBytes !== undefined && numbers.limitBytes < 1) errs.push(invalid('limitBytes', numbers.limitBytes, 'must be greater than 0'));
  if (numbers.sinceSeconds !== undefined && numbers.sinceSeconds < 1) errs.push(invalid('sinceSeconds', numbers.sinceSeconds, 'must be greater than 0'));
  if (numbers.attempt !== undefined && numbers.attempt < 1) errs.push(invalid('attempt', numbers.attempt, 'must be greater than 0'));
  const sinceTime = q.get('sinceTime');
  if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t) || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(sinceTime)) {
      throw newBadRequest(`unable to parse sinceTime: parsing time "${sinceTime}" as RFC 3339`);
    }
    opts.sinceTime = t;
  }
  if (sinceTime && numbers.sinceSeconds !== undefined) errs.push(forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  if (numbers.attempt !== undefined && opts.previous) errs.push(forbidden('previous', 'may not be set together with attempt'));
  if (errs.length > 0) throw newInvalid({ group: GROUP, kind: 'WorkflowRunLogOptions' }, '', errs);
  for (const [k, v] of Object.entries(numbers)) if (v !== undefined) (opts as unknown as Record<string, number>)[k] = v;
  return opts;
}

/** RFC 3339 with nanoseconds, trailing zeros trimmed (Go's time.RFC3339Nano). */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? iso.replace('.000Z', 'Z') : iso.replace(/0*Z$/, 'Z');
}
