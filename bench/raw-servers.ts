// The raw stack our server is compared with: bare koa + @koa/router handlers and a bare
// node:https stream fan-out, on the same certificate as our apiserver.
import type { ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import type { Redis } from 'ioredis';
import Koa from 'koa';
import { ResourceKeys } from '../src/queue/keys.js';
import { RUN_QUEUE } from '../src/queue/run-queue.js';
import { RUNS_PATH } from './api.js';

/** The serving certificate and key (PEM). */
export interface Tls {
  cert: string;
  key: string;
}

/** A listening raw server. */
export interface RawServer {
  port: number;
  close(): Promise<void>;
}

/** Listens on a loopback port with `handler`, no timeouts; `raw.close` also ends open connections. */
export async function serve(tls: Tls, handler: Parameters<typeof https.createServer>[1]): Promise<{ server: https.Server; raw: RawServer }> {
  const server = https.createServer({ cert: tls.cert, key: tls.key }, handler);
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0;
  server.timeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { server, raw: { port: (server.address() as AddressInfo).port, close } };
}

/** koa + @koa/router answering GET `<runs>/:name` with the fixed JSON `body`. */
export async function koaGetServer(tls: Tls, body: string): Promise<RawServer> {
  const bytes = Buffer.from(body);
  const router = new Router();
  router.get(`${RUNS_PATH}/:name`, (ctx) => {
    ctx.type = 'application/json';
    ctx.body = bytes;
  });
  const app = new Koa().use(router.routes());
  return (await serve(tls, app.callback())).raw;
}

/**
 * koa + @koa/router answering GET `<runs>?limit=&continue=` with the records our server
 * stored, read straight from Redis (ZRANGE BYLEX + pipelined HGET) and joined into a list.
 */
export async function koaListServer(tls: Tls, redis: Redis, prefix: string): Promise<RawServer> {
  const keys = new ResourceKeys(prefix, RUN_QUEUE);
  const router = new Router();
  router.get(RUNS_PATH, async (ctx) => {
    const limit = typeof ctx.query['limit'] === 'string' ? Number(ctx.query['limit']) : 0;
    const after = typeof ctx.query['continue'] === 'string' ? ctx.query['continue'] : '';
    const min = after ? `(${after}` : '-';
    const members = limit > 0
      ? await redis.zrange(keys.index, min, '+', 'BYLEX', 'LIMIT', 0, limit)
      : await redis.zrange(keys.index, min, '+', 'BYLEX');
    const pipeline = redis.pipeline();
    for (const m of members) pipeline.hget(keys.object(m), 'j');
    const replies = (await pipeline.exec()) ?? [];
    const items = replies.map(([, json]) => json as string).join(',');
    const next = limit > 0 && members.length === limit ? members[members.length - 1] ?? '' : '';
    ctx.type = 'application/json';
    ctx.body = `{"kind":"WorkflowRunList","apiVersion":"kubeactions.dev/v1alpha1","metadata":{"continue":${JSON.stringify(next)}},"items":[${items}]}`;
  });
  const app = new Koa().use(router.routes());
  return (await serve(tls, app.callback())).raw;
}

/** A bare node:https server holding every request open as a stream; `broadcast` writes one buffer to all. */
export async function rawWatchServer(tls: Tls): Promise<RawServer & { broadcast(line: string): number }> {
  const streams = new Set<ServerResponse>();
  const { raw } = await serve(tls, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    streams.add(res);
    res.on('close', () => streams.delete(res));
  });
  return {
    ...raw,
    broadcast: (line: string): number => {
      const bytes = Buffer.from(line);
      for (const res of streams) res.write(bytes);
      return streams.size;
    },
  };
}
