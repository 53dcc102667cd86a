// The HTTP operations of a resource, described the way k8s.io/apiserver's installer registers
// them as go-restful routes (`registerResourceHandlers`) and apiextensions' CRD OpenAPI builder
// mirrors them: one `Route` per path and method, independent of OpenAPI v2/v3 syntax.

import { kindDefinition } from './openapi-definitions.js';
import type { GroupVersionKind } from './openapi-definitions.js';
import { operationParams } from './openapi-params.js';
import { META_V1 } from './meta-schemas.js';
import type { HttpMethod, QueryParameter, ResourceDescriptor, SubresourceDescriptor } from './resource.js';

/** `x-kubernetes-action` values. */
export type RouteAction = 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection' | 'connect';

/** What a body or response carries: a named definition, or an opaque string (logs, streams). */
export type Payload = { definition: string } | { string: true };

/** One documented success response of a route. */
export interface RouteResponse {
  code: 200 | 201 | 202;
  description: 'OK' | 'Created' | 'Accepted';
  payload: Payload;
}

/** One operation: a path and HTTP method, with what the installer would document for it. */
export interface Route {
  /** Absolute path with literal `{namespace}`/`{name}` parameters. */
  path: string;
  method: HttpMethod;
  /** The installer's operation name before GetOperationIDAndTags, e.g. `readNamespacedWorkflowRunStatus`. */
  operation: string;
  description: string;
  action: RouteAction;
  gvk: GroupVersionKind;
  query: readonly QueryParameter[];
  body?: { payload: Payload; required: boolean; contentTypes: readonly string[] };
  responses: RouteResponse[];
  produces: readonly string[];
}

const JSON_TYPES = ['application/json'] as const;
const LIST_TYPES = ['application/json', 'application/json;stream=watch'] as const;
const ANY = ['*/*'] as const;

function article(noun: string): string {
  if (!noun.endsWith('ss') && noun.endsWith('s')) return ' ';
  return /^[aeiou]/i.test(noun) ? ' an ' : ' a ';
}

function title(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const ok = (payload: Payload): RouteResponse => ({ code: 200, description: 'OK', payload });
const created = (payload: Payload): RouteResponse => ({ code: 201, description: 'Created', payload });
const accepted = (payload: Payload): RouteResponse => ({ code: 202, description: 'Accepted', payload });
const meta = (kind: string): Payload => ({ definition: `${META_V1}.${kind}` });

/** Every route of a resource: collection, item and subresource operations its verbs allow. */
export function routesFor(d: ResourceDescriptor): Route[] {
  const collection = d.namespaced
    ? `/apis/${d.group}/${d.version}/namespaces/{namespace}/${d.plural}`
    : `/apis/${d.group}/${d.version}/${d.plural}`;
  const payloadOf = (k: string): Payload => {
    const definition = kindDefinition(d, k);
    return definition === undefined ? { string: true } : { definition };
  };
  const gvk = (k: string): GroupVersionKind => ({ group: d.group, version: d.version, kind: k });
  const base: RouteBase = { gvk: gvk(d.kind), produces: JSON_TYPES };
  const allows = (verb: string) => d.verbs.includes(verb);
  return [
    ...collectionRoutes(d, collection, base, payloadOf),
    ...itemRoutes(d, `${collection}/{name}`, '', base, allows, payloadOf(d.kind)),
    ...d.subresources.flatMap((sub) => subresourceRoutes(d, `${collection}/{name}/${sub.name}`, sub, gvk(sub.kind), payloadOf)),
  ];
}

type RouteBase = Pick<Route, 'gvk' | 'produces'>;

/** LIST (also across namespaces), POST and DELETECOLLECTION. */
function collectionRoutes(d: ResourceDescriptor, path: string, base: RouteBase, payloadOf: (k: string) => Payload): Route[] {
  const ns = d.namespaced ? 'Namespaced' : '';
  const obj = payloadOf(d.kind);
  const routes: Route[] = [];
  if (d.verbs.includes('list')) {
    const list: Omit<Route, 'path' | 'operation'> = {
      ...base,
      method: 'GET',
      action: 'list',
      description: `list or watch objects of kind ${d.kind}`,
      query: [...operationParams.list, ...operationParams.pretty],
      responses: [ok(payloadOf(d.listKind))],
      produces: LIST_TYPES,
    };
    if (d.namespaced) routes.push({ ...list, path: `/apis/${d.group}/${d.version}/${d.plural}`, operation: `list${d.kind}ForAllNamespaces` });
    routes.push({ ...list, path, operation: `list${ns}${d.kind}` });
  }
  if (d.verbs.includes('create')) {
    routes.push({
      ...base,
      path,
      method: 'POST',
      action: 'post',
      operation: `create${ns}${d.kind}`,
      description: `create${article(d.kind)}${d.kind}`,
      query: [...operationParams.create, ...operationParams.pretty],
      body: { payload: obj, required: true, contentTypes: ANY },
      responses: [ok(obj), created(obj), accepted(obj)],
    });
  }
  if (d.verbs.includes('deletecollection')) {
    routes.push({
      ...base,
      path,
      method: 'DELETE',
      action: 'deletecollection',
      operation: `deletecollection${ns}${d.kind}`,
      description: `delete collection of ${d.kind}`,
      query: [...operationParams.deleteCollection, ...operationParams.pretty],
      body: { payload: meta('DeleteOptions'), required: false, contentTypes: ANY },
      responses: [ok(meta('Status'))],
    });
  }
  return routes;
}

/** GET/PUT/PATCH/DELETE on an object path (the item itself, or a non-connect subresource). */
function itemRoutes(
  d: ResourceDescriptor,
  path: string,
  sub: string,
  base: RouteBase,
  allows: (verb: string) => boolean,
  response: Payload,
  request: Payload = response,
): Route[] {
  const ns = d.namespaced ? 'Namespaced' : '';
  const of = sub === '' ? ' the specified ' : ` ${sub} of the specified `;
  const operation = (verb: string) => `${verb}${ns}${d.kind}${title(sub)}`;
  const pretty = operationParams.pretty;
  const routes: Route[] = [];
  const route = (r: Omit<Route, 'path' | 'gvk' | 'produces'>) => routes.push({ ...base, path, ...r });
  if (allows('get')) {
    route({ method: 'GET', action: 'get', operation: operation('read'), description: `read${of}${d.kind}`, query: pretty, responses: [ok(response)] });
  }
  if (allows('update')) {
    route({
      method: 'PUT',
      action: 'put',
      operation: operation('replace'),
      description: `replace${of}${d.kind}`,
      query: [...operationParams.update, ...pretty],
      body: { payload: request, required: true, contentTypes: ANY },
      responses: [ok(response), created(response)],
    });
  }
  if (allows('patch')) {
    route({
      method: 'PATCH',
      action: 'patch',
      operation: operation('patch'),
      description: `partially update${of}${d.kind}`,
      query: [...operationParams.patch, ...pretty],
      body: { payload: meta('Patch'), required: true, contentTypes: d.patchTypes },
      responses: [ok(response), created(response)],
    });
  }
  if (allows('delete')) {
    route({
      method: 'DELETE',
      action: 'delete',
      operation: operation('delete'),
      description: sub === '' ? `delete${article(d.kind)}${d.kind}` : `delete ${sub} of${article(d.kind)}${d.kind}`,
      query: [...operationParams.delete, ...pretty],
      body: { payload: meta('DeleteOptions'), required: false, contentTypes: ANY },
      responses: [ok(meta('Status')), accepted(meta('Status'))],
    });
  }
  return routes;
}

const METHOD_VERB: Record<HttpMethod, string> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** Connect methods of exec/attach-like subresources, or the item-style methods of the others. */
function subresourceRoutes(
  d: ResourceDescriptor,
  path: string,
  sub: SubresourceDescriptor,
  gvk: GroupVersionKind,
  payloadOf: (k: string) => Payload,
): Route[] {
  const routes = sub.connect ? connectRoutes(d, path, sub, gvk) : actionRoutes(d, path, sub, gvk, payloadOf);
  return sub.description ? routes.map((r) => ({ ...r, description: sub.description })) : routes;
}

function connectRoutes(d: ResourceDescriptor, path: string, sub: SubresourceDescriptor, gvk: GroupVersionKind): Route[] {
  const ns = d.namespaced ? 'Namespaced' : '';
  return sub.methods.map((method) => ({
    path,
    method,
    gvk,
    action: 'connect',
    operation: `connect${title(method.toLowerCase())}${ns}${d.kind}${title(sub.name)}`,
    description: `connect ${method} requests to ${sub.name} of ${d.kind}`,
    query: sub.parameters ?? [],
    responses: [ok({ string: true })],
    produces: [sub.produces ?? '*/*'],
  }));
}

function actionRoutes(
  d: ResourceDescriptor,
  path: string,
  sub: SubresourceDescriptor,
  gvk: GroupVersionKind,
  payloadOf: (k: string) => Payload,
): Route[] {
  const streamed = sub.produces !== undefined && sub.produces !== 'application/json';
  const response: Payload = streamed ? { string: true } : payloadOf(sub.kind);
  const base: RouteBase = { gvk, produces: [sub.produces ?? 'application/json'] };
  const allowed = new Set(sub.methods.map((m) => METHOD_VERB[m]));
  const routes = itemRoutes(d, path, sub.name, base, (v) => allowed.has(v), response, payloadOf(sub.requestKind ?? sub.kind));
  const get = routes.find((r) => r.method === 'GET');
  if (get && sub.parameters) get.query = [...sub.parameters, ...get.query];
  if (allowed.has('create')) {
    routes.push({
      ...base,
      path,
      method: 'POST',
      action: 'post',
      operation: `create${d.namespaced ? 'Namespaced' : ''}${d.kind}${title(sub.name)}`,
      description: `create ${sub.name} of${article(d.kind)}${d.kind}`,
      query: [...operationParams.create, ...operationParams.pretty],
      ...(sub.requestKind === undefined ? {} : { body: { payload: payloadOf(sub.requestKind), required: false, contentTypes: ANY } }),
      responses: [ok(response), created(response), accepted(response)],
    });
  }
  return routes;
}
