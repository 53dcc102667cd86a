// Path-qualified validation errors: a port of k8s.io/apimachinery/pkg/util/validation/field
// (errors.go, path.go) as of Kubernetes 1.32. Validation returns lists of these and never throws;
// errors.ts turns a list into a 422 Invalid Status.
import { goNumber, goQuote, goSyntax } from './go-format.js';
import { byteLength, isQualifiedName, isValidLabelValue } from './validation.js';

export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

/** Go's `field.Error`. `badValue` is rendered like Go renders `BadValue` (see {@link fieldErrorDetail}). */
export interface FieldError {
  type: FieldErrorType;
  field: string;
  badValue?: unknown;
  detail: string;
}

/** The bad value of a {@link tooMany} error whose actual quantity is unknown (Go's `omitValue`). */
export const omitValue: unique symbol = Symbol('omitValue');

const TYPE_TEXT: Readonly<Record<FieldErrorType, string>> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

const VALUELESS: ReadonlySet<FieldErrorType> = new Set<FieldErrorType>([
  'FieldValueRequired',
  'FieldValueForbidden',
  'FieldValueTooLong',
  'InternalError',
]);

/** `path.name[.more]`; an empty path yields just the names (Go's `Path.Child`). */
export function child(path: string, ...names: string[]): string {
  const tail = names.join('.');
  return path === '' ? tail : `${path}.${tail}`;
}

/** `path[i]` (Go's `Path.Index`). */
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

/** `path[k]` (Go's `Path.Key`), e.g. `metadata.labels[app]`. */
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

/** A malformed value, e.g. a failed regex match. */
export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, badValue: value, detail };
}

/** A required value that is missing. */
export function required(field: string, detail: string): FieldError {
  return { type: 'FieldValueRequired', field, badValue: '', detail };
}

/** A value outside an enumeration; the detail lists the valid values quoted, as Go does. */
export function notSupported(field: string, value: unknown, validValues: readonly string[]): FieldError {
  const detail = validValues.length > 0 ? `supported values: ${validValues.map(goQuote).join(', ')}` : '';
  return { type: 'FieldValueNotSupported', field, badValue: value, detail };
}

/** A well-formed value that is not permitted here. */
export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, badValue: '', detail };
}

/** A value that collides with another that must be unique. */
export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, badValue: value, detail: '' };
}

/** A lookup that found nothing. */
export function notFound(field: string, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, badValue: value, detail: '' };
}

/** A value longer than `maxLength` bytes; the value itself is never printed. */
export function tooLong(field: string, _value: unknown, maxLength: number): FieldError {
  const detail =
    maxLength >= 0 ? `may not be more than ${maxLength} ${maxLength === 1 ? 'byte' : 'bytes'}` : 'value is too long';
  return { type: 'FieldValueTooLong', field, badValue: '<value omitted>', detail };
}

/** A list with more than `max` items; a negative `actual` omits the count. */
export function tooMany(field: string, actual: number, max: number): FieldError {
  const detail = max >= 0 ? `must have at most ${max} ${max === 1 ? 'item' : 'items'}` : 'has too many items';
  return { type: 'FieldValueTooMany', field, badValue: actual >= 0 ? actual : omitValue, detail };
}

/** A value of the wrong schema type. */
export function typeInvalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueTypeInvalid', field, badValue: value, detail };
}

/** A failure not caused by the input. */
export function internalError(field: string, err: string): FieldError {
  return { type: 'InternalError', field, badValue: null, detail: err };
}

function renderBadValue(value: unknown): string {
  if (value === null || value === undefined) return goQuote('null');
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  return goSyntax(value);
}

/** Go's `Error.ErrorBody()`: the text after the field path; used as a Status cause's message. */
export function fieldErrorDetail(e: FieldError): string {
  const typeText = TYPE_TEXT[e.type];
  let s = VALUELESS.has(e.type) || e.badValue === omitValue ? typeText : `${typeText}: ${renderBadValue(e.badValue)}`;
  if (e.detail !== '') s += `: ${e.detail}`;
  return s;
}

/** Go's `Error.Error()`: `<field>: <detail>`. */
export function fieldErrorText(e: FieldError): string {
  return `${e.field}: ${fieldErrorDetail(e)}`;
}

/**
 * Go's `ErrorList.ToAggregate().Error()`: duplicates dropped; one error is its text, several are
 * `[a, b]`; an empty list is the empty string.
 */
export function fieldErrorsText(errs: readonly FieldError[]): string {
  const texts = [...new Set(errs.map(fieldErrorText))];
  return texts.length === 1 ? (texts[0] ?? '') : texts.length === 0 ? '' : `[${texts.join(', ')}]`;
}

export {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
} from './validation.js';

/** Total size limit of all annotation keys and values, in bytes (Go's `TotalAnnotationSizeLimitB`). */
export const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;

/** Go's `ValidateLabels`: keys are qualified names, values label values; errors point at `path`. */
export function validateLabels(labels: Readonly<Record<string, string>> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(invalid(path, k, msg));
    for (const msg of isValidLabelValue(v)) errs.push(invalid(path, v, msg));
  }
  return errs;
}

/**
 * Go's `ValidateAnnotations`: keys are qualified names compared lower-cased, and all keys and
 * values together may not exceed 256 KiB.
 */
export function validateAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, msg));
    total += byteLength(k) + byteLength(v);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_B) errs.push(tooLong(path, '', TOTAL_ANNOTATION_SIZE_LIMIT_B));
  return errs;
}
