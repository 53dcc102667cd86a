// Discovery and OpenAPI endpoints, answered from documents computed at start-up (never from
// the backend: kube-aggregator gives them 5 s).
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Discovery, DiscoveryDocument } from './discovery.js';
import { newGenericNotFound, newNotAcceptable } from './errors.js';
import { negotiateOutput } from './negotiation.js';
import type { OpenAPI } from './openapi.js';

function send(ctx: Context, doc: { body: Buffer; etag?: string }, contentType: string): void {
  if (doc.etag) {
    ctx.set('ETag', doc.etag);
    if (ctx.get('If-None-Match') === doc.etag) {
      ctx.status = 304;
      return;
    }
  }
  ctx.status = 200;
  ctx.body = doc.body;
  ctx.set('Content-Type', contentType);
}

export function discoveryRoutes(router: Router, discovery: Discovery): void {
  router.get('/apis', (ctx) => {
    const target = negotiateOutput(ctx.get('Accept') || undefined, ['APIGroupDiscoveryList', 'Object']);
    ctx.set('Vary', 'Accept');
    if (target?.as === 'APIGroupDiscoveryList') {
      const doc: DiscoveryDocument = discovery.aggregated(target.version);
      ctx.set('Cache-Control', 'public');
      send(ctx, doc, doc.contentType);
      return;
    }
    const doc = discovery.apiGroupList();
    send(ctx, { body: doc.body }, doc.contentType);
  });
  router.get('/apis/:group', (ctx) => {
    const doc = discovery.apiGroup(ctx.params.group ?? '');
    if (!doc) throw newGenericNotFound();
    send(ctx, { body: doc.body }, doc.contentType);
  });
  router.get('/apis/:group/:version', (ctx) => {
    const doc = discovery.apiResourceList(ctx.params.group ?? '', ctx.params.version ?? '');
    if (!doc) throw newGenericNotFound();
    send(ctx, { body: doc.body }, doc.contentType);
  });
}

/** kube-openapi answers JSON to `application/json`, `*\/*` or no Accept; we serve no protobuf. */
function acceptsJSON(ctx: Context): boolean {
  return negotiateOutput(ctx.get('Accept') || undefined, ['Object']) !== null;
}

export function openAPIRoutes(router: Router, openapi: OpenAPI): void {
  router.get('/openapi/v2', (ctx) => {
    if (!acceptsJSON(ctx)) throw newNotAcceptable(['application/json']);
    ctx.set('Vary', 'Accept');
    send(ctx, openapi.v2(), 'application/json');
  });
  router.get('/openapi/v3', (ctx) => {
    send(ctx, openapi.v3Root(), 'application/json');
  });
  router.get('/openapi/v3/apis/:group/:version', (ctx) => {
    const doc = openapi.v3GroupVersion(ctx.params.group ?? '', ctx.params.version ?? '');
    if (!doc) throw newGenericNotFound();
    if (!acceptsJSON(ctx)) throw newNotAcceptable(['application/json']);
    ctx.set('Vary', 'Accept');
    const hash = ctx.query.hash;
    if (typeof hash === 'string' && hash !== doc.hash) {
      ctx.status = 301;
      ctx.redirect(`/openapi/v3/apis/${ctx.params.group}/${ctx.params.version}?hash=${doc.hash}`);
      return;
    }
    if (typeof hash === 'string') {
      ctx.set('Cache-Control', 'public, immutable');
      ctx.set('Expires', new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString());
    }
    send(ctx, doc, 'application/json');
  });
}
