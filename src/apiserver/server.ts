// The generic API server: the filter chain in one readable function (after
// k8s.io/apiserver pkg/server/config.go DefaultBuildHandlerChain), the non-resource endpoints,
// and the HTTPS listener.
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa, { type Context, type Next } from 'koa';
import type { Logger } from 'pino';
import type { Authenticator } from './auth/authn.js';
import type { Authorizer } from './auth/authz.js';
import { Discovery } from './discovery.js';
import { newGenericNotFound, toStatus } from './errors.js';
import type { ResourceInstall, WatchSettings } from './handlers/types.js';
import { healthRoutes, type HealthCheck } from './health.js';
import { writeError } from './http/respond.js';
import { Installer } from './installer.js';
import { ApiServerMetrics, METRICS_CONTENT_TYPE } from './metrics.js';
import { discoveryRoutes, openAPIRoutes } from './nonresource.js';
import { OpenAPI } from './openapi.js';
import { UpgradeHandler } from './remotecommand/upgrade.js';
import { isLongRunning } from './metrics-labels.js';
import { DEFAULT_LOAD_LIMITS, type LoadLimits } from './load-options.js';
import { withMaxInFlightLimit, withMaxWatches } from './max-in-flight.js';
import { answerClientError, readTimeoutServerOptions } from './read-timeouts.js';
import type { EndLongRunning } from './shutdown.js';
import { requestTimeout } from './timeout.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import { observeRequests, observeUpgrades, type RequestLogMode } from './request-observer.js';
import type { RequestContext } from './rest.js';
import type { UserInfo } from './types.js';

export interface ServerOptions {
  resources: ResourceInstall[];
  authenticator: Authenticator;
  authorizer: Authorizer;
  logger: Logger;
  checks: HealthCheck[];
  watch: WatchSettings;
  version: Record<string, string>;
  /** Which requests are logged at info level (default `notable`). */
  requestLog?: RequestLogMode;
  /** When requests that are not long-running end with 504 (default 60 s). */
  requestTimeoutMs?: number;
  /** What this process serves at once and how long it waits for requests (default DEFAULT_LOAD_LIMITS). */
  limits?: LoadLimits;
}

/** What buildApp makes: the app, the upgrade handler, and the metrics both count into. */
export interface BuiltApp {
  app: Koa;
  upgrade: UpgradeHandler;
  metrics: ApiServerMetrics;
  /** Counts and logs an upgrade request; called before `upgrade` handles it. */
  observeUpgrade: (req: IncomingMessage, socket: Duplex) => void;
  /** Ends every long-running request cleanly: watches and streams end, websockets close (1001). */
  endLongRunning: EndLongRunning;
  /** The limits in force; `listen` applies the read timeouts. */
  limits: LoadLimits;
}

export interface ServerState {
  info: RequestInfo;
  user: UserInfo;
}

/** The koa app for requests, and the handler of websocket upgrades (exec, attach). */
export function buildApp(o: ServerOptions): BuiltApp {
  const app = new Koa();
  const installer = new Installer(o.resources, o.watch);
  const limits = o.limits ?? DEFAULT_LOAD_LIMITS;
  const upgrade = new UpgradeHandler(installer, o.authenticator, o.authorizer,
    { maxSessions: limits.maxExecSessions, maxMessageBytes: limits.maxWebSocketMessageBytes });
  const metrics = new ApiServerMetrics(o.resources);
  const requestLog = o.requestLog ?? 'notable';
  const descriptors = o.resources.map((r) => r.descriptor);
  const router = new Router();
  healthRoutes(router, o.checks);
  discoveryRoutes(router, new Discovery(descriptors));
  openAPIRoutes(router, new OpenAPI(descriptors));
  router.get('/version', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(o.version);
  });
  router.get('/metrics', async (ctx) => {
    ctx.set('Content-Type', METRICS_CONTENT_TYPE);
    ctx.body = await metrics.render();
  });
  const routes = router.routes();
  const shutdown = new AbortController();

  app.use(errorExit(o.logger));
  app.use(requestInfo);
  app.use(observeRequests(metrics, o.logger, requestLog));
  app.use(authenticate(o.authenticator));
  app.use(withMaxInFlightLimit({
    maxRequestsInFlight: limits.maxRequestsInFlight, maxMutatingRequestsInFlight: limits.maxMutatingRequestsInFlight,
    onDropped: (kind) => metrics.dropped(kind),
  }));
  app.use(authorize(o.authorizer));
  app.use(withMaxWatches(limits.maxWatches));
  app.use(requestTimeout(o.requestTimeoutMs ?? 60_000));
  app.use(async (ctx, next) => {
    const info = ctx.state.info as RequestInfo;
    if (!info.isResourceRequest) return routes(ctx as Parameters<typeof routes>[0], next);
    // Created only when a handler asks (streams do); aborted only if the client went away.
    let controller: AbortController | undefined;
    const res = ctx.res;
    // Long-running requests end when the server shuts down.
    const onShutdown = (): void => (controller ??= new AbortController()).abort();
    if (isLongRunning(info)) shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    res.once('close', () => {
      shutdown.signal.removeEventListener('abort', onShutdown);
      if (!res.writableFinished) controller?.abort();
    });
    const req: RequestContext = {
      user: ctx.state.user as UserInfo, namespace: info.namespace, warnings: [], dryRun: false,
      get signal() {
        controller ??= new AbortController();
        if (res.closed && !res.writableFinished) controller.abort();
        return controller.signal;
      },
    };
    await installer.serve(ctx, info, req);
  });
  app.use((ctx) => {
    if (ctx.path === '/api' || ctx.path === '/api/') {
      ctx.status = 404;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = '404 page not found\n';
      return;
    }
    throw newGenericNotFound();
  });
  const endLongRunning = (): void => {
    shutdown.abort();
    upgrade.closeAll();
  };
  return { app, upgrade, metrics, observeUpgrade: observeUpgrades(metrics, o.logger, requestLog), endLongRunning, limits };
}

/** The one error exit: every failure becomes a Status; after headers went out, only close. */
function errorExit(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (err) {
      const status = toStatus(err);
      if (status.code >= 500) logger.error({ err, path: ctx.path }, 'request failed');
      if (ctx.headerSent || !ctx.writable) {
        ctx.res.destroy();
        return;
      }
      ctx.respond = true;
      writeError(ctx, err);
    }
  };
}

async function requestInfo(ctx: Context, next: Next): Promise<void> {
  ctx.state.info = parseRequestInfo(ctx.method, ctx.path, new URLSearchParams(ctx.querystring));
  const audit = ctx.get('Audit-ID');
  if (audit) ctx.set('Audit-ID', audit);
  await next();
}

function authenticate(authn: Authenticator) {
  return async (ctx: Context, next: Next): Promise<void> => {
    ctx.state.user = await authn.authenticate(ctx.req, ctx.state.info as RequestInfo);
    await next();
  };
}

function authorize(authz: Authorizer) {
  return async (ctx: Context, next: Next): Promise<void> => {
    await authz.authorize(ctx.state.user as UserInfo, ctx.state.info as RequestInfo);
    await next();
  };
}

export interface ListenOptions {
  port: number;
  host: string;
  cert: string;
  key: string;
}

/** Serves the app over HTTPS with the read timeouts of `built.limits`; streams are never cut by them. */
export async function listen(built: BuiltApp, o: ListenOptions): Promise<https.Server> {
  const server = https.createServer({
    cert: o.cert, key: o.key, requestCert: true, rejectUnauthorized: false, ...readTimeoutServerOptions(built.limits),
  }, built.app.callback());
  server.on('clientError', answerClientError);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    built.observeUpgrade(req, socket);
    built.upgrade.handle(req, socket, head);
  });
  server.keepAliveTimeout = 65_000;
  server.timeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return server;
}

export function serverPort(server: https.Server): number {
  return (server.address() as AddressInfo).port;
}
