// Requests that are not long-running (watch, log, exec, attach) end after --request-timeout
// (60 s by default) with 504 Timeout, as kube-apiserver's WithTimeoutForNonLongRunningRequests
// does; a client's ?timeout= (a Go duration) may shorten it.
import type { Context, Next } from 'koa';
import { newBadRequest, newTimeout } from './errors.js';
import { isLongRunning } from './metrics-labels.js';
import type { RequestInfo } from './request-info.js';
import { writeError } from './http/respond.js';

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((ms, p) => ms + Number(p[1]) * (UNITS[p[2] ?? ''] ?? 0), 0);
}

export function requestTimeout(defaultMs: number) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const info = ctx.state.info as RequestInfo;
    if (isLongRunning(info)) return next();
    let ms = defaultMs;
    const asked = typeof ctx.query.timeout === 'string' ? ctx.query.timeout : undefined;
    if (asked !== undefined && asked !== '') {
      const parsed = parseGoDuration(asked);
      if (parsed === undefined) throw newBadRequest(`invalid timeout specified in the request URL: time: invalid duration "${asked}"`);
      if (parsed > 0) ms = Math.min(ms, parsed);
    }
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    });
    const handled = next().then(() => 'done' as const);
    try {
      if ((await Promise.race([handled, expired])) === 'timeout' && !ctx.headerSent) {
        handled.catch(() => undefined);
        writeError(ctx, newTimeout('request did not complete within the allotted timeout', 0));
      }
    } finally {
      clearTimeout(timer);
    }
  };
}
