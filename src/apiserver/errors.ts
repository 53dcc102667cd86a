// Every failure becomes a metav1.Status: one constructor per reason, ported from
// k8s.io/apimachinery/pkg/api/errors/errors.go with Go's exact messages and JSON shapes
// (empty fields omitted like Go's omitempty, keys in Go's field order).
import type { Status, StatusCause, StatusDetails } from './types.js';
import { fieldErrorDetail, fieldErrorsText } from './field-errors.js';
import type { FieldError } from './field-errors.js';
import { goQuote } from './go-format.js';

/** A resource in an API group (`workflowruns` in `kubeactions.dev`; group `""` is core). */
export interface GroupResource {
  group: string;
  resource: string;
}

/** A kind in an API group (`WorkflowRun` in `kubeactions.dev`; group `""` is core). */
export interface GroupKind {
  group: string;
  kind: string;
}

/** An error that carries the Status to send; its message is the Status message. */
export class StatusError extends Error {
  readonly status: Status;

  constructor(status: Status) {
    super(status.message ?? '');
    this.name = 'StatusError';
    this.status = status;
  }
}

/** Structural check: anything with a Status-shaped `status` (survives duplicated modules). */
export function isStatusError(e: unknown): e is StatusError {
  if (typeof e !== 'object' || e === null || !('status' in e)) return false;
  const s: unknown = e.status;
  return typeof s === 'object' && s !== null && 'kind' in s && s.kind === 'Status' && 'code' in s;
}

/** `resource.group`, or just `resource` for the core group (Go's `GroupResource.String`). */
export function groupResourceString(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

/** `Kind.group`, or just `Kind` for the core group (Go's `GroupKind.String`). */
export function groupKindString(gk: GroupKind): string {
  return gk.group === '' ? gk.kind : `${gk.kind}.${gk.group}`;
}

interface DetailFields {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** StatusDetails with Go's omitempty: empty strings, empty lists and zero are left out. */
function details(d: DetailFields): StatusDetails {
  const out: StatusDetails = {};
  if (d.name) out.name = d.name;
  if (d.group) out.group = d.group;
  if (d.kind) out.kind = d.kind;
  if (d.causes && d.causes.length > 0) out.causes = d.causes;
  if (d.retryAfterSeconds) out.retryAfterSeconds = d.retryAfterSeconds;
  return out;
}

function cause(reason: string, message: string, field = ''): StatusCause {
  const out: StatusCause = {};
  if (reason) out.reason = reason;
  if (message) out.message = message;
  if (field) out.field = field;
  return out;
}

function failure(code: number, reason: string, message: string, d?: StatusDetails): StatusError {
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    ...(message ? { message } : {}),
    reason,
    ...(d ? { details: d } : {}),
    code,
  });
}

const resourceDetails = (gr: GroupResource, name = ''): StatusDetails =>
  details({ name, group: gr.group, kind: gr.resource });

/** 404 NotFound: `R.G "N" not found`; details.kind is the resource. */
export function newNotFound(gr: GroupResource, name: string): StatusError {
  const message = `${groupResourceString(gr)} ${goQuote(name)} not found`;
  return failure(404, 'NotFound', message, resourceDetails(gr, name));
}

/** 409 AlreadyExists: `R.G "N" already exists`. */
export function newAlreadyExists(gr: GroupResource, name: string): StatusError {
  const message = `${groupResourceString(gr)} ${goQuote(name)} already exists`;
  return failure(409, 'AlreadyExists', message, resourceDetails(gr, name));
}

/** 409 Conflict: `Operation cannot be fulfilled on R.G "N": <err>`. */
export function newConflict(gr: GroupResource, name: string, err: string): StatusError {
  const message = `Operation cannot be fulfilled on ${groupResourceString(gr)} ${goQuote(name)}: ${err}`;
  return failure(409, 'Conflict', message, resourceDetails(gr, name));
}

/** The Conflict text for a stale resourceVersion (`OptimisticLockErrorMsg`). */
export const OPTIMISTIC_LOCK_ERROR_MSG =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 422 Invalid: `Kind.G "N" is invalid: <errors>`, one cause per field error; details.kind is the Kind. */
export function newInvalid(gk: GroupKind, name: string, errs: readonly FieldError[]): StatusError {
  const causes = errs.map((e) => cause(e.type, fieldErrorDetail(e), e.field));
  const aggregate = fieldErrorsText(errs);
  const subject = `${groupKindString(gk)} ${goQuote(name)} is invalid`;
  const message = aggregate === '' ? subject : `${subject}: ${aggregate}`;
  return failure(422, 'Invalid', message, details({ name, group: gk.group, kind: gk.kind, causes }));
}

/** 400 BadRequest with a free-text message and no details. */
export function newBadRequest(msg: string): StatusError {
  return failure(400, 'BadRequest', msg);
}

/** 405 MethodNotAllowed: `<action> is not supported on resources of kind "R.G"`. */
export function newMethodNotSupported(gr: GroupResource, action: string): StatusError {
  const message = `${action} is not supported on resources of kind ${goQuote(groupResourceString(gr))}`;
  return failure(405, 'MethodNotAllowed', message, resourceDetails(gr));
}

/** 406 NotAcceptable listing the media types the endpoint can produce. */
export function newNotAcceptable(types: readonly string[]): StatusError {
  return failure(406, 'NotAcceptable', `only the following media types are accepted: ${types.join(', ')}`);
}

/** The media types a CRD accepts for PATCH (the list kubectl prints on a 415). */
export const CRD_PATCH_MEDIA_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
] as const;

/** 415 UnsupportedMediaType listing the accepted body media types. */
export function newUnsupportedMediaType(types: readonly string[]): StatusError {
  const message = `the body of the request was in an unknown format - accepted media types include: ${types.join(', ')}`;
  return failure(415, 'UnsupportedMediaType', message);
}

/** 413 RequestEntityTooLarge: `Request entity too large: limit is <limit>`. */
export function newRequestEntityTooLarge(limit: number): StatusError {
  return failure(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

/** 410 Expired: the requested resourceVersion or continue token is no longer served. */
export function newResourceExpired(msg: string): StatusError {
  return failure(410, 'Expired', msg);
}

/** 410 Gone (deprecated in favour of {@link newResourceExpired}). */
export function newGone(msg: string): StatusError {
  return failure(410, 'Gone', msg);
}

/** 429 TooManyRequests (Go's `NewTooManyRequests`); mirror retryAfterSeconds in `Retry-After`. */
export function newTooManyRequests(msg: string, retryAfterSeconds: number): StatusError {
  return failure(429, 'TooManyRequests', msg, details({ retryAfterSeconds }));
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : String(err);
}

/** 500 InternalError: `Internal error occurred: <err>`, the error text as the single cause. */
export function newInternalError(err: unknown): StatusError {
  const text = errorText(err);
  return failure(500, 'InternalError', `Internal error occurred: ${text}`, { causes: [cause('', text)] });
}

/** 500 ServerTimeout: `The <op> operation against R.G could not be completed at this time, …`. */
export function newServerTimeout(gr: GroupResource, operation: string, retryAfterSeconds: number): StatusError {
  const message = `The ${operation} operation against ${groupResourceString(gr)} could not be completed at this time, please try again.`;
  const d = details({ name: operation, group: gr.group, kind: gr.resource, retryAfterSeconds });
  return failure(500, 'ServerTimeout', message, d);
}

/** 503 ServiceUnavailable; details only when a retry delay is given. */
export function newServiceUnavailable(msg: string, retryAfterSeconds?: number): StatusError {
  const d = retryAfterSeconds ? details({ retryAfterSeconds }) : undefined;
  return failure(503, 'ServiceUnavailable', msg, d);
}

/** 504 Timeout: `Timeout: <msg>` (Go always sends details, `{}` without a retry delay). */
export function newTimeout(msg: string, retryAfterSeconds = 0): StatusError {
  return failure(504, 'Timeout', `Timeout: ${msg}`, details({ retryAfterSeconds }));
}

/** 504 Timeout for a resourceVersion newer than the store has, cause ResourceVersionTooLarge. */
export function newTooLargeResourceVersion(rv: number, current: number, retryAfterSeconds: number): StatusError {
  const causes = [cause('ResourceVersionTooLarge', 'Too large resource version')];
  const message = `Timeout: Too large resource version: ${rv}, current: ${current}`;
  return failure(504, 'Timeout', message, details({ causes, retryAfterSeconds }));
}

/** 401 Unauthorized; an empty message becomes `not authorized` as in Go. */
export function newUnauthorized(msg: string): StatusError {
  return failure(401, 'Unauthorized', msg === '' ? 'not authorized' : msg);
}

/** 403 Forbidden: `R.G "N" is forbidden: <reason>` (without name or resource as Go shortens it). */
export function newForbidden(gr: GroupResource, name: string, reason: string): StatusError {
  let message: string;
  if (gr.group === '' && gr.resource === '') message = `forbidden: ${reason}`;
  else if (name === '') message = `${groupResourceString(gr)} is forbidden: ${reason}`;
  else message = `${groupResourceString(gr)} ${goQuote(name)} is forbidden: ${reason}`;
  return failure(403, 'Forbidden', message, resourceDetails(gr, name));
}

/** 404 for a path no route serves (go-restful's service error, `details: {}`). */
export function newGenericNotFound(): StatusError {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

/**
 * A response for an HTTP code with the reason the code implies
 * (NewGenericServerResponse), e.g. a JSON patch that cannot be applied (422).
 */
export function newUnprocessable(message: string): StatusError {
  return failure(422, 'Invalid', message);
}

/** 405 for a route that exists without this method (go-restful's service error). */
export function newMethodNotAllowed(): StatusError {
  return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

/** The Status of any thrown value: a StatusError's own, anything else a 500 without its stack. */
export function toStatus(e: unknown): Status {
  return isStatusError(e) ? e.status : newInternalError(e).status;
}

/** `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success",…,"code":200}`. */
export function successStatus(d?: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', ...(d ? { details: d } : {}), code: 200 };
}

export {
  isAlreadyExists,
  isBadRequest,
  isConflict,
  isForbidden,
  isGone,
  isInternalError,
  isInvalid,
  isMethodNotSupported,
  isNotAcceptable,
  isNotFound,
  isRequestEntityTooLarge,
  isResourceExpired,
  isServerTimeout,
  isServiceUnavailable,
  isTimeout,
  isTooManyRequests,
  isUnauthorized,
  isUnsupportedMediaType,
} from './error-predicates.js';
