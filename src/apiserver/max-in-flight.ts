// Limits on what one apiserver serves at once. Requests in flight follow k8s.io/apiserver
// pkg/server/filters/maxinflight.go WithMaxInFlightLimit: long-running requests (watch, log,
// exec, attach) are not counted; get/list/watch are non-mutating, the rest mutating, each kind
// against its own limit (0: unlimited); a request over its limit gets 429 with Retry-After: 1,
// unless its user is in system:masters ("a super-admin … should always get an answer"), which is
// served without taking a slot. Health probes (GET /healthz, /livez, /readyz) are not limited
// either, as kube-apiserver's default flow control exempts them (FlowSchema "probes"), so that an
// overloaded server is not restarted by its kubelet. kube-apiserver writes the 429's message as
// text/plain; here it is a Status (reason TooManyRequests, details.retryAfterSeconds 1) like every
// error of this server: client-go retries on the code and Retry-After alike. Watches have their
// own limit, for everyone alike.
import type { Context, Next } from 'koa';
import { newTooManyRequests } from './errors.js';
import { isLongRunning, isReadOnly } from './metrics-labels.js';
import type { RequestInfo } from './request-info.js';
import type { UserInfo } from './types.js';

/** maxinflight.go's `retryAfter`. */
export const RETRY_AFTER_SECONDS = 1;

/** The message of maxinflight.go's `tooManyRequests`. */
export const TOO_MANY_REQUESTS_MESSAGE = 'Too many requests, please try again later.';

/** user.SystemPrivilegedGroup: exempt from the in-flight limits. */
export const SYSTEM_PRIVILEGED_GROUP = 'system:masters';

/** The paths of FlowSchema "probes": GETs of them are never limited. */
const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/livez', '/readyz']);

/** The two kinds of requests in flight, as metrics name them. */
export type RequestKind = 'readOnly' | 'mutating';

export interface MaxInFlightOptions {
  /** Non-mutating requests; 0: unlimited. */
  maxRequestsInFlight: number;
  /** Mutating requests; 0: unlimited. */
  maxMutatingRequestsInFlight: number;
  /** Called for each request refused with 429 (apiserver_dropped_requests_total). */
  onDropped?: (kind: RequestKind) => void;
}

type Middleware = (ctx: Context, next: Next) => Promise<void>;

const passThrough: Middleware = (_ctx, next) => next();

/**
 * Koa middleware, placed after authentication (it needs the user) and before authorization,
 * as in kube-apiserver's filter chain. A slot is held until the rest of the chain returned.
 */
export function withMaxInFlightLimit(o: MaxInFlightOptions): Middleware {
  const limits: Record<RequestKind, number> = { readOnly: o.maxRequestsInFlight, mutating: o.maxMutatingRequestsInFlight };
  if (limits.readOnly === 0 && limits.mutating === 0) return passThrough;
  const inFlight: Record<RequestKind, number> = { readOnly: 0, mutating: 0 };
  return async (ctx, next) => {
    const info = ctx.state.info as RequestInfo;
    if (isLongRunning(info) || (!info.isResourceRequest && info.verb === 'get' && PROBE_PATHS.has(info.path))) return next();
    const kind: RequestKind = isReadOnly(info) ? 'readOnly' : 'mutating';
    const limit = limits[kind];
    if (limit === 0) return next();
    if (inFlight[kind] >= limit) {
      if ((ctx.state.user as UserInfo).groups.includes(SYSTEM_PRIVILEGED_GROUP)) return next();
      o.onDropped?.(kind);
      throw newTooManyRequests(TOO_MANY_REQUESTS_MESSAGE, RETRY_AFTER_SECONDS);
    }
    inFlight[kind]++;
    try {
      await next();
    } finally {
      inFlight[kind]--;
    }
  };
}

/**
 * Koa middleware limiting open watch requests to `max` (0: unlimited); one more gets 429 with
 * Retry-After: 1. A watch holds its slot until its response closes.
 */
export function withMaxWatches(max: number): Middleware {
  if (max === 0) return passThrough;
  let open = 0;
  return async (ctx, next) => {
    if ((ctx.state.info as RequestInfo).verb !== 'watch') return next();
    if (open >= max) throw newTooManyRequests('Too many watch requests on this server, please try again later.', RETRY_AFTER_SECONDS);
    open++;
    let held = false;
    try {
      await next();
      held = ctx.respond === false && !ctx.res.closed;
    } finally {
      if (held) ctx.res.once('close', () => open--);
      else open--;
    }
  };
}
