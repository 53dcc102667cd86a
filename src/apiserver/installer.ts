// Routes resource requests to the verb handlers a storage supports
// (pkg/endpoints/installer.go): what a storage does not implement is not routed.
import type { Context } from 'koa';
import { newBadRequest, newGenericNotFound, newMethodNotAllowed } from './errors.js';
import { handleAction } from './handlers/action.js';
import { handleDelete, handleDeleteCollection } from './handlers/delete.js';
import { handleGet, handleList } from './handlers/read.js';
import { handleStream } from './handlers/stream.js';
import type { HandlerArgs, ResourceInstall, WatchSettings } from './handlers/types.js';
import { handleWatch } from './handlers/watch.js';
import { handleCreate, handlePatch, handleUpdate } from './handlers/write.js';
import type { RequestInfo } from './request-info.js';
import { isLister, type RequestContext } from './rest.js';

type Handler = (a: HandlerArgs) => Promise<void>;

export class Installer {
  readonly #resources = new Map<string, ResourceInstall>();

  constructor(
    installs: ResourceInstall[],
    readonly watch: WatchSettings,
  ) {
    for (const install of installs) {
      const d = install.descriptor;
      if (isLister(install.storage) && !install.table) {
        throw new Error(`${d.plural}.${d.group}: a Lister needs a TableConvertor`);
      }
      this.#resources.set(`${d.group}/${d.version}/${d.plural}`, install);
    }
  }

  find(info: RequestInfo): ResourceInstall | undefined {
    return this.#resources.get(`${info.apiGroup}/${info.apiVersion}/${info.resource}`);
  }

  /** The handler for a resource request, or a 404/405 StatusError. */
  #route(info: RequestInfo, method: string, install: ResourceInstall): Handler {
    const namespaced = install.descriptor.namespaced;
    if (namespaced && !info.namespace && !(info.verb === 'list' || info.verb === 'watch')) throw newGenericNotFound();
    if (!namespaced && info.namespace) throw newGenericNotFound();
    if (info.subresource) return this.#routeSubresource(info, method, install);
    const handlers: Record<string, Handler | undefined> = {
      get: handleGet, list: handleList, watch: handleWatch, create: handleCreate, update: handleUpdate,
      patch: handlePatch, delete: handleDelete, deletecollection: handleDeleteCollection,
    };
    if (info.verb === 'create' && info.name) throw newMethodNotAllowed();
    const h = handlers[info.verb];
    if (!h) throw newMethodNotAllowed();
    return h;
  }

  #routeSubresource(info: RequestInfo, method: string, install: ResourceInstall): Handler {
    const sub = install.descriptor.subresources.find((s) => s.name === info.subresource);
    if (!sub || !info.name) throw newGenericNotFound();
    if (!sub.methods.includes(method as never)) throw newMethodNotAllowed();
    const stream = install.streams?.[sub.name];
    if (stream) return (a) => handleStream(a, stream);
    const action = install.actions?.[sub.name];
    if (action) return (a) => handleAction(a, action);
    if (install.connecters?.[sub.name]) throw newBadRequest('Upgrade request required');
    if (method === 'GET') return handleGet;
    throw newMethodNotAllowed();
  }

  async serve(ctx: Context, info: RequestInfo, req: RequestContext): Promise<void> {
    const install = this.find(info);
    if (!install) throw newGenericNotFound();
    const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
    const handler = this.#route(info, method, install);
    await handler({ ctx, info, install, req, query: new URLSearchParams(ctx.querystring), watch: this.watch });
  }
}
