// Value validation of a decoded body against a structural schema, with the messages of
// kube-openapi's validator (`pkg/validation/errors/schema.go`) converted to field errors the way
// apiextensions-apiserver does (`kubeOpenAPIResultToFieldErrors`, pkg/apiserver/validation).

import { childPath, derefSchema, isPlainObject } from './schema-refs.js';
import type { SchemaResolver } from './schema-refs.js';
import type { JSONSchema } from './resource.js';

/** The field error types schema validation produces (apimachinery `field.ErrorType` values). */
export type SchemaErrorType =
  | 'FieldValueInvalid'
  | 'FieldValueRequired'
  | 'FieldValueNotSupported'
  | 'FieldValueTypeInvalid'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany';

/** One schema violation, shaped like apimachinery's `field.Error` (usable as a FieldError). */
export interface SchemaError {
  type: SchemaErrorType;
  /** Path of the offending field: `spec.steps[0].name`. */
  field: string;
  badValue: unknown;
  detail: string;
}

type JSONType = 'object' | 'array' | 'string' | 'boolean' | 'integer' | 'number' | 'null';

/**
 * Validates `obj` against `schema`: type (incl. `x-kubernetes-int-or-string`), `enum`
 * (FieldValueNotSupported, listing the supported values), `required` (FieldValueRequired),
 * minimum/maximum, minLength/maxLength, pattern, minItems/maxItems. Nested `$ref`s are followed
 * with `resolve`. `null` values count as absent (the CRD handler drops nulls of non-nullable
 * fields before validating). `path` prefixes every reported field. Never throws; returns the
 * violations in document order.
 */
export function validateSchema(obj: unknown, schema: JSONSchema, resolve: SchemaResolver, path = ''): SchemaError[] {
  const errors: SchemaError[] = [];
  validate(obj, schema, path, resolve, errors);
  return errors;
}

function validate(value: unknown, schema: JSONSchema, path: string, resolve: SchemaResolver, errors: SchemaError[]): void {
  const s = derefSchema(schema, resolve);
  if (s === undefined || value === null || value === undefined) return;
  const expected = s['x-kubernetes-int-or-string'] === true ? ['integer', 'string'] : s.type ? [s.type] : [];
  const actual = jsonType(value);
  if (expected.length > 0 && !typeMatches(expected, actual)) {
    errors.push(err('FieldValueTypeInvalid', path, actual, `${path} in body must be of type ${expected.join(',')}: "${actual}"`));
    return;
  }
  if (typeof value === 'string') validateString(value, s, path, errors);
  if (typeof value === 'number') validateNumber(value, s, path, errors);
  if (Array.isArray(value)) validateArray(value, s, path, resolve, errors);
  if (s.enum !== undefined && !s.enum.some((allowed) => deepEqual(allowed, value))) {
    const supported = s.enum.map((v) => JSON.stringify(typeof v === 'string' ? v : JSON.stringify(v)));
    errors.push(err('FieldValueNotSupported', path, value, `supported values: ${supported.join(', ')}`));
  }
  if (isPlainObject(value)) validateObject(value, s, path, resolve, errors);
}

function validateString(value: string, s: JSONSchema, path: string, errors: SchemaError[]): void {
  const length = [...value].length;
  if (s.maxLength !== undefined && length > s.maxLength) {
    const unit = s.maxLength === 1 ? 'byte' : 'bytes';
    errors.push(err('FieldValueTooLong', path, value, `may not be more than ${s.maxLength} ${unit}`));
  }
  if (s.minLength !== undefined && length < s.minLength) {
    errors.push(err('FieldValueInvalid', path, value, `${path} in body should be at least ${s.minLength} chars long`));
  }
  if (s.pattern !== undefined && !compiled(s.pattern).test(value)) {
    errors.push(err('FieldValueInvalid', path, value, `${path} in body should match '${s.pattern}'`));
  }
}

function validateNumber(value: number, s: JSONSchema, path: string, errors: SchemaError[]): void {
  if (s.maximum !== undefined && value > s.maximum) {
    errors.push(err('FieldValueInvalid', path, value, `${path} in body should be less than or equal to ${formatGoFloat(s.maximum)}`));
  }
  if (s.minimum !== undefined && value < s.minimum) {
    errors.push(err('FieldValueInvalid', path, value, `${path} in body should be greater than or equal to ${formatGoFloat(s.minimum)}`));
  }
}

function validateArray(value: unknown[], s: JSONSchema, path: string, resolve: SchemaResolver, errors: SchemaError[]): void {
  if (s.maxItems !== undefined && value.length > s.maxItems) {
    errors.push(err('FieldValueTooMany', path, value.length, `must have at most ${s.maxItems} items`));
  }
  if (s.minItems !== undefined && value.length < s.minItems) {
    errors.push(err('FieldValueInvalid', path, value.length, `${path} in body should have at least ${s.minItems} items`));
  }
  const items = s.items;
  if (items !== undefined) value.forEach((v, i) => validate(v, items, `${path}[${i}]`, resolve, errors));
}

function validateObject(
  value: Record<string, unknown>,
  s: JSONSchema,
  path: string,
  resolve: SchemaResolver,
  errors: SchemaError[],
): void {
  for (const name of s.required ?? []) {
    if (value[name] === undefined || value[name] === null) errors.push(err('FieldValueRequired', childPath(path, name), '', ''));
  }
  for (const [k, v] of Object.entries(value)) {
    const own = s.properties !== undefined && Object.hasOwn(s.properties, k) ? s.properties[k] : undefined;
    const prop = own ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
    if (prop !== undefined) validate(v, prop, childPath(path, k), resolve, errors);
  }
}

function err(type: SchemaErrorType, field: string, badValue: unknown, detail: string): SchemaError {
  return { type, field, badValue, detail };
}

function jsonType(value: unknown): JSONType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  return 'object';
}

/** kube-openapi's type check: integers satisfy `number`, integral floats satisfy `integer`. */
function typeMatches(expected: readonly string[], actual: JSONType): boolean {
  return expected.includes(actual) || (actual === 'integer' && expected.includes('number'));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

const patterns = new Map<string, RegExp>();

function compiled(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (re === undefined) {
    re = new RegExp(pattern, 'u');
    patterns.set(pattern, re);
  }
  return re;
}

/** Go's `%v` of a float64: shortest digits, exponent form below 1e-4 and from 1e+06 on. */
export function formatGoFloat(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return '0';
  const [mantissa = '', exponent = '0'] = n.toExponential().split('e');
  const exp = Number(exponent);
  if (exp >= -4 && exp < 6) return String(n);
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}
