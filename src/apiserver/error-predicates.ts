// Go's errors.IsX predicates (k8s.io/apimachinery/pkg/api/errors/errors.go): match on the Status
// reason, and for most of them also on the HTTP code when the reason is not a known one (a Status
// from an older or foreign server). Work structurally on anything carrying a `status`.

const KNOWN_REASONS: ReadonlySet<string> = new Set([
  'Unauthorized',
  'Forbidden',
  'NotFound',
  'AlreadyExists',
  'Conflict',
  'Gone',
  'Invalid',
  'ServerTimeout',
  'StoreReadError',
  'Timeout',
  'TooManyRequests',
  'BadRequest',
  'MethodNotAllowed',
  'NotAcceptable',
  'RequestEntityTooLarge',
  'UnsupportedMediaType',
  'InternalError',
  'Expired',
  'ServiceUnavailable',
]);

/** The `[reason, code]` of a thrown value's Status, `['', 0]` when it carries none. */
function reasonAndCode(e: unknown): [string, number] {
  if (typeof e !== 'object' || e === null || !('status' in e)) return ['', 0];
  const s: unknown = e.status;
  if (typeof s !== 'object' || s === null) return ['', 0];
  const reason = 'reason' in s && typeof s.reason === 'string' ? s.reason : '';
  const code = 'code' in s && typeof s.code === 'number' ? s.code : 0;
  return [reason, code];
}

type Predicate = (e: unknown) => boolean;

/** Matches `reason`; with `code`, also that code under an unknown reason (`always`: any reason). */
function matcher(reason: string, code?: number, always = false): Predicate {
  return (e) => {
    const [r, c] = reasonAndCode(e);
    if (r === reason) return true;
    return code !== undefined && c === code && (always || !KNOWN_REASONS.has(r));
  };
}

/** NotFound, or 404 with an unknown reason. */
export const isNotFound: Predicate = matcher('NotFound', 404);
/** AlreadyExists (reason only). */
export const isAlreadyExists: Predicate = matcher('AlreadyExists');
/** Conflict, or 409 with an unknown reason. */
export const isConflict: Predicate = matcher('Conflict', 409);
/** Invalid, or 422 with an unknown reason. */
export const isInvalid: Predicate = matcher('Invalid', 422);
/** Gone, or 410 with an unknown reason. */
export const isGone: Predicate = matcher('Gone', 410);
/** Expired (reason only) — what list pagers and reflectors relist on. */
export const isResourceExpired: Predicate = matcher('Expired');
/** NotAcceptable, or 406 with an unknown reason. */
export const isNotAcceptable: Predicate = matcher('NotAcceptable', 406);
/** UnsupportedMediaType, or 415 with an unknown reason. */
export const isUnsupportedMediaType: Predicate = matcher('UnsupportedMediaType', 415);
/** MethodNotAllowed, or 405 with an unknown reason. */
export const isMethodNotSupported: Predicate = matcher('MethodNotAllowed', 405);
/** ServiceUnavailable, or 503 with an unknown reason. */
export const isServiceUnavailable: Predicate = matcher('ServiceUnavailable', 503);
/** BadRequest, or 400 with an unknown reason. */
export const isBadRequest: Predicate = matcher('BadRequest', 400);
/** Unauthorized, or 401 with an unknown reason. */
export const isUnauthorized: Predicate = matcher('Unauthorized', 401);
/** Forbidden, or 403 with an unknown reason. */
export const isForbidden: Predicate = matcher('Forbidden', 403);
/** Timeout, or 504 with an unknown reason. */
export const isTimeout: Predicate = matcher('Timeout', 504);
/** ServerTimeout (reason only). */
export const isServerTimeout: Predicate = matcher('ServerTimeout');
/** InternalError, or 500 with an unknown reason. */
export const isInternalError: Predicate = matcher('InternalError', 500);
/** TooManyRequests, or code 429 whatever the reason. */
export const isTooManyRequests: Predicate = matcher('TooManyRequests', 429, true);
/** RequestEntityTooLarge, or code 413 whatever the reason. */
export const isRequestEntityTooLarge: Predicate = matcher('RequestEntityTooLarge', 413, true);
