// What every request leaves behind: its metrics and, depending on the request log mode, one
// JSON log line when its response ended (for watches and streams: when they closed).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { toStatus } from './errors.js';
import type { ApiServerMetrics } from './metrics.js';
import { isReadOnly } from './metrics-labels.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import type { UserInfo } from './types.js';

/**
 * Which requests are logged at info level: `all`; `notable` — mutating, failed (code ≥ 400),
 * slow (≥ SLOW_REQUEST_MS, which includes most watches and streams) and websocket (exec,
 * attach) ones; `none`. At log level debug the requests not logged at info are logged at debug.
 */
export const REQUEST_LOG_MODES = ['all', 'notable', 'none'] as const;
export type RequestLogMode = (typeof REQUEST_LOG_MODES)[number];

/** A request that took this long is logged in `notable` mode. */
export const SLOW_REQUEST_MS = 1000;

interface Finished {
  info: RequestInfo;
  method: string;
  path: string;
  code: number;
  latencyMs: number;
  headers: IncomingMessage['headers'];
  user?: UserInfo;
  /** A websocket upgrade: always notable. */
  upgrade?: boolean;
}

/** Writes one request's log line, if the mode and the logger's level ask for it. */
type LogFn = (f: Finished) => void;

function requestLogger(logger: Logger, mode: RequestLogMode): LogFn | undefined {
  const info = mode !== 'none' && logger.isLevelEnabled('info');
  const debug = logger.isLevelEnabled('debug');
  if (!info && !debug) return undefined;
  return (f) => {
    const notable = mode === 'all' || f.upgrade === true || f.code >= 400 || !isReadOnly(f.info) || f.latencyMs >= SLOW_REQUEST_MS;
    if (!(info && notable) && !debug) return;
    const { info: i, headers } = f;
    const audit = headers['audit-id'];
    const fields = {
      user: f.user?.name, verb: i.verb, resource: i.resource || undefined, subresource: i.subresource || undefined,
      namespace: i.namespace || undefined, name: i.name || undefined, code: f.code,
      latencyMs: Math.round(f.latencyMs * 100) / 100, auditID: typeof audit === 'string' ? audit : undefined,
      userAgent: headers['user-agent'],
    };
    if (info && notable) logger.info(fields, `${f.method} ${f.path}`);
    else logger.debug(fields, `${f.method} ${f.path}`);
  };
}

/**
 * Koa middleware, placed after the request info is parsed: counts the request in `metrics` and
 * logs it. The code of a failed request is that of its Status (the error exit writes it later);
 * a response a handler writes itself (watch, log) is counted when it closes.
 */
export function observeRequests(metrics: ApiServerMetrics, logger: Logger, mode: RequestLogMode) {
  const log = requestLogger(logger, mode);
  return async (ctx: Context, next: Next): Promise<void> => {
    const start = performance.now();
    const info = ctx.state.info as RequestInfo;
    const record = metrics.begin(info, ctx.method, ctx.method === 'PATCH' ? ctx.get('Content-Type') : undefined);
    let failed: number | undefined;
    try {
      await next();
    } catch (err) {
      failed = ctx.headerSent ? ctx.status : toStatus(err).code;
      throw err;
    } finally {
      const done = (): void => {
        const code = failed ?? ctx.status;
        record.finish(code);
        log?.({ info, method: ctx.method, path: ctx.path, code, latencyMs: performance.now() - start, headers: ctx.headers, user: ctx.state.user as UserInfo | undefined });
      };
      if (failed === undefined && ctx.respond === false && !ctx.res.closed) ctx.res.once('close', done);
      else done();
    }
  };
}

/**
 * The server's 'upgrade' listener's companion (exec, attach, log over websocket): counts the
 * request as long-running while its socket is open, with the status code of the first bytes
 * written to it (101 when upgraded), and logs it when the socket closes.
 */
export function observeUpgrades(metrics: ApiServerMetrics, logger: Logger, mode: RequestLogMode) {
  const log = requestLogger(logger, mode);
  return (req: IncomingMessage, socket: Duplex): void => {
    const start = performance.now();
    const url = new URL(req.url ?? '/', 'https://localhost');
    const method = req.method ?? 'GET';
    const info = parseRequestInfo(method, url.pathname, url.searchParams);
    const record = metrics.begin(info, method, undefined);
    let code = 0;
    sniffStatusCode(socket, (c) => (code = c));
    socket.once('close', () => {
      record.finish(code);
      log?.({ info, method, path: url.pathname, code, latencyMs: performance.now() - start, headers: req.headers, upgrade: true });
    });
  };
}

/** Calls `onCode` with the status code of the HTTP status line first written or ended on `socket`. */
function sniffStatusCode(socket: Duplex, onCode: (code: number) => void): void {
  const { write, end } = socket;
  const sniff = (chunk: unknown): void => {
    socket.write = write;
    socket.end = end;
    const head = typeof chunk === 'string' ? chunk.slice(0, 16) : Buffer.isBuffer(chunk) ? chunk.toString('latin1', 0, 16) : '';
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    if (m) onCode(Number(m[1]));
  };
  socket.write = function (this: Duplex, chunk: unknown, ...rest: unknown[]) {
    sniff(chunk);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Duplex['write'];
  socket.end = function (this: Duplex, chunk?: unknown, ...rest: unknown[]) {
    if (chunk !== undefined && typeof chunk !== 'function') sniff(chunk);
    return (end as (...a: unknown[]) => Duplex).call(this, chunk, ...rest);
  } as Duplex['end'];
}
