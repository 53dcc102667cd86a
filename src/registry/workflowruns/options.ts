// Decoding of the small option bodies of the action subresources (WorkflowRunCancel,
// WorkflowRunRetry): an optional JSON object of the right kind with known fields only.
import { newBadRequest, newInvalid } from '../../apiserver/errors.js';
import { type FieldError, invalid } from '../../apiserver/field-errors.js';
import { API_VERSION, GROUP } from '../../apis/kubeactions/types.js';

export function decodeOptions(body: unknown, kind: string, fields: Record<string, 'string' | 'integer' | 'map'>): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw newBadRequest(`the body must be a ${kind} object`);
  const { apiVersion, kind: k, ...rest } = body as Record<string, unknown>;
  if (apiVersion !== undefined && apiVersion !== API_VERSION) {
    throw newBadRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${API_VERSION})`);
  }
  if (k !== undefined && k !== kind) throw newBadRequest(`the kind in the data (${String(k)}) does not match the expected kind (${kind})`);
  const unknown = Object.keys(rest).filter((f) => !Object.hasOwn(fields, f));
  if (unknown.length > 0) {
    throw newBadRequest(`${kind} in version "v1alpha1" cannot be handled as a ${kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  }
  const errs: FieldError[] = [];
  for (const [f, type] of Object.entries(fields)) {
    const v = rest[f];
    if (v === undefined) continue;
    if (type === 'string' && typeof v !== 'string') errs.push(invalid(f, v, 'must be a string'));
    if (type === 'integer' && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) errs.push(invalid(f, v, 'must be a non-negative integer'));
    if (type === 'map' && (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string'))) {
      errs.push(invalid(f, v, 'must be a map of strings'));
    }
  }
  if (errs.length > 0) throw newInvalid({ group: GROUP, kind }, '', errs);
  return rest;
}
