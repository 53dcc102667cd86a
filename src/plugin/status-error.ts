// A metav1.Status answered by the server, as an Error (client-go's errors.StatusError).
import type { Status } from '../apiserver/types.js';

/** An error response from the server; `status` is its metav1.Status (read or synthesised). */
export class StatusError extends Error {
  constructor(readonly status: Status) {
    super(status.message ?? 'unknown error');
    this.name = 'StatusError';
  }
}

/** True for a StatusError whose reason is `reason`. */
export function hasReason(err: unknown, reason: string): boolean {
  return err instanceof StatusError && err.status.reason === reason;
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/**
 * The error for a non-2xx answer: the body's Status when it is one, else a Status made up the
 * way client-go's `newUnstructuredResponseError` does (`the server could not find the requested
 * resource` for 404, `an error on the server ("…") has prevented the request from succeeding`).
 */
export function statusErrorFrom(code: number, body: string): StatusError {
  try {
    const parsed = JSON.parse(body) as Partial<Status> | null;
    if (parsed && parsed.kind === 'Status' && typeof parsed.status === 'string') {
      return new StatusError({ ...parsed, kind: 'Status', code: parsed.code ?? code } as Status);
    }
  } catch {
    // not JSON: described below
  }
  const reason = REASONS[code] ?? 'Unknown';
  const message = code === 404
    ? 'the server could not find the requested resource'
    : `an error on the server (${JSON.stringify(body.trim().slice(0, 200) || reason)}) has prevented the request from succeeding`;
  return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code } as Status);
}
