// Renders routes and definitions as a Swagger 2.0 or OpenAPI 3.0 document, in the shapes
// kube-openapi's builder (v2) and builder3 (v3) emit for the apiserver and for CRDs.

import { pathParamDescriptions } from './openapi-params.js';
import type { Payload, Route, RouteResponse } from './openapi-routes.js';
import type { JSONSchema, QueryParameter } from './resource.js';

type Json = Record<string, unknown>;

/** `v2`: Swagger 2.0 (`/openapi/v2`); `v3`: OpenAPI 3.0 (`/openapi/v3/apis/G/V`). */
export type SpecVersion = 'v2' | 'v3';

/** Definitions of one document, split by how they are rendered. */
export interface DocumentDefinitions {
  /** Built from resource descriptors: v2 gets apiextensions' `ToStructuralOpenAPIV2` treatment. */
  resource: Record<string, JSONSchema>;
  /** metav1 and other fixed definitions, rendered as they are. */
  meta: Record<string, JSONSchema>;
}

/** The `info` object of a document. */
export interface DocumentInfo {
  title: string;
  version: string;
}

const BEARER = { BearerToken: { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' } };

const VERBS = ['get', 'log', 'read', 'replace', 'patch', 'delete', 'deletecollection', 'watch', 'connect', 'proxy', 'list', 'create'];

/** apiserver `ToValidOperationID`: drop punctuation, camel-case at each dropped character. */
function toValidOperationId(s: string, capitalizeFirst: boolean): string {
  let out = '';
  let capitalize = capitalizeFirst;
  [...s].forEach((c, i) => {
    if (/\p{L}|_/u.test(c) || (i !== 0 && /\p{Nd}/u.test(c))) {
      out += capitalize ? c.toUpperCase() : c;
      capitalize = false;
    } else {
      capitalize = true;
    }
  });
  return out;
}

/**
 * apiserver `GetOperationIDAndTags`: `createNamespacedWorkflowRun` on `/apis/kubeactions.dev/v1alpha1/…`
 * → `createKubeactionsDevV1alpha1NamespacedWorkflowRun`, tag `kubeactionsDev_v1alpha1`. The verb
 * prefix is the shortest known verb the operation starts with (so `deletecollection…` gives
 * `delete…Collection…`, as in the apiserver).
 */
export function operationIdAndTag(operation: string, path: string): { operationId: string; tag: string } {
  let prefix = VERBS.filter((v) => operation.startsWith(v)).sort((a, b) => a.length - b.length)[0] ?? '';
  const rest = operation.slice(prefix.length);
  let parts = path.replace(/^\/+|\/+$/g, '').split('/');
  if (parts[0] === 'api') parts = ['apis', 'core', ...parts.slice(1)];
  let tag = parts[0] ?? '';
  if (parts.length >= 2 && parts[0] === 'apis') {
    const group = (parts[1] ?? '').replace(/\.k8s\.io$/, '');
    prefix += toValidOperationId(group, prefix !== '');
    tag = toValidOperationId(group, false);
    if (parts.length > 2) {
      prefix += toValidOperationId(parts[2] ?? '', prefix !== '');
      tag += `_${toValidOperationId(parts[2] ?? '', false)}`;
    }
  }
  return { operationId: prefix + toValidOperationId(rest, prefix !== ''), tag };
}

function refPrefix(v: SpecVersion): string {
  return v === 'v2' ? '#/definitions/' : '#/components/schemas/';
}

/** A schema with `$ref`s prefixed; v3 wraps a `$ref` that has siblings in `allOf`, as builder3 does. */
export function renderSchema(s: JSONSchema, v: SpecVersion, structuralV2 = false): Json {
  const { $ref, properties, items, additionalProperties, ...rest } = s;
  const out: Json = { ...rest };
  if (properties) out['properties'] = Object.fromEntries(Object.entries(properties).map(([k, p]) => [k, renderSchema(p, v, structuralV2)]));
  if (items) out['items'] = renderSchema(items, v, structuralV2);
  if (additionalProperties !== undefined) {
    out['additionalProperties'] = typeof additionalProperties === 'object' ? renderSchema(additionalProperties, v, structuralV2) : additionalProperties;
  }
  if (v === 'v3' && s['x-kubernetes-int-or-string'] === true && out['anyOf'] === undefined) {
    out['anyOf'] = [{ type: 'integer' }, { type: 'string' }];
  }
  if (structuralV2) toStructuralV2(out);
  if ($ref === undefined) return out;
  const ref = { $ref: refPrefix(v) + $ref };
  if (Object.keys(out).length === 0) return ref;
  return v === 'v2' ? { ...ref, ...out } : { allOf: [ref], ...out };
}

/** apiextensions `ToStructuralOpenAPIV2` (plus `PruneDefaults`), applied to one rendered node. */
function toStructuralV2(node: Json): void {
  delete node['default'];
  if (node['x-kubernetes-preserve-unknown-fields'] === true) {
    delete node['properties'];
    delete node['items'];
    if (node['type'] === 'object') delete node['type'];
  }
  if (node['type'] === 'array' && node['items'] === undefined) delete node['type'];
}

function renderDefinitions(defs: DocumentDefinitions, v: SpecVersion): Json {
  const rendered: [string, Json][] = [
    ...Object.entries(defs.meta).map(([name, s]): [string, Json] => [name, renderSchema(s, v)]),
    ...Object.entries(defs.resource).map(([name, s]): [string, Json] => [name, renderResourceDefinition(s, v)]),
  ];
  return Object.fromEntries(rendered.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** CRD builder `buildKubeNative`: in v2 a preserve-unknown-fields root is published as a bare object. */
function renderResourceDefinition(s: JSONSchema, v: SpecVersion): Json {
  if (v === 'v2' && s['x-kubernetes-preserve-unknown-fields'] === true) {
    const gvk = s['x-kubernetes-group-version-kind'];
    return gvk === undefined ? { type: 'object' } : { type: 'object', 'x-kubernetes-group-version-kind': gvk };
  }
  return renderSchema(s, v, v === 'v2');
}

function payloadSchema(p: Payload, v: SpecVersion): Json {
  return 'definition' in p ? { $ref: refPrefix(v) + p.definition } : { type: 'string' };
}

function queryParam(q: QueryParameter, v: SpecVersion): Json {
  const type: Json = q.array ? { type: 'array', items: { type: q.type } } : { type: q.type, uniqueItems: true };
  if (v === 'v3') return { description: q.description, in: 'query', name: q.name, schema: type };
  return { description: q.description, in: 'query', name: q.name, ...type, ...(q.array ? { collectionFormat: 'multi' } : {}) };
}

function pathParams(route: Route, v: SpecVersion): Json[] {
  const names = ['name', 'namespace'].filter((n) => route.path.includes(`{${n}}`));
  return names.map((name) => {
    const description = name === 'name' ? pathParamDescriptions.name(route.gvk.kind) : pathParamDescriptions.namespace;
    const type = v === 'v3' ? { schema: { type: 'string', uniqueItems: true } } : { type: 'string', uniqueItems: true };
    return { description, in: 'path', name, required: true, ...type };
  });
}

function responsesOf(route: Route, v: SpecVersion): Json {
  const one = (r: RouteResponse): [string, Json] => {
    const schema = payloadSchema(r.payload, v);
    if (v === 'v2') return [String(r.code), { description: r.description, schema }];
    const content = Object.fromEntries(route.produces.map((type) => [type, { schema }]));
    return [String(r.code), { content, description: r.description }];
  };
  return Object.fromEntries([...route.responses.map(one), ['401', { description: 'Unauthorized' }]]);
}

function operation(route: Route, v: SpecVersion): Json {
  const { operationId, tag } = operationIdAndTag(route.operation, route.path);
  const params = [...route.query].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((q) => queryParam(q, v));
  const op: Json = { description: route.description, operationId };
  if (v === 'v2') {
    op['consumes'] = route.body?.contentTypes ?? ['*/*'];
    op['produces'] = route.produces;
    op['schemes'] = ['https'];
    if (route.body) params.push({ in: 'body', name: 'body', ...(route.body.required ? { required: true } : {}), schema: payloadSchema(route.body.payload, v) });
  } else if (route.body) {
    const schema = payloadSchema(route.body.payload, v);
    op['requestBody'] = {
      content: Object.fromEntries(route.body.contentTypes.map((type) => [type, { schema }])),
      ...(route.body.required ? { required: true } : {}),
    };
  }
  if (params.length > 0) op['parameters'] = params;
  op['responses'] = responsesOf(route, v);
  op['tags'] = [tag];
  op['x-kubernetes-action'] = route.action;
  op['x-kubernetes-group-version-kind'] = { group: route.gvk.group, kind: route.gvk.kind, version: route.gvk.version };
  return op;
}

/** Paths object: one entry per path (sorted), path parameters at path level, query parameters inline. */
function renderPaths(routes: readonly Route[], v: SpecVersion): Json {
  const paths = new Map<string, Json>();
  for (const route of routes) {
    const item = paths.get(route.path) ?? { parameters: pathParams(route, v) };
    item[route.method.toLowerCase()] = operation(route, v);
    paths.set(route.path, item);
  }
  for (const item of paths.values()) if ((item['parameters'] as Json[]).length === 0) delete item['parameters'];
  return Object.fromEntries([...paths].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The whole document, Swagger 2.0 (`v2`) or OpenAPI 3.0.0 (`v3`). */
export function renderDocument(routes: readonly Route[], defs: DocumentDefinitions, info: DocumentInfo, v: SpecVersion): Json {
  if (v === 'v2') {
    return {
      swagger: '2.0',
      info,
      paths: renderPaths(routes, v),
      definitions: renderDefinitions(defs, v),
      securityDefinitions: BEARER,
      security: [{ BearerToken: [] }],
    };
  }
  return {
    openapi: '3.0.0',
    info,
    paths: renderPaths(routes, v),
    components: { schemas: renderDefinitions(defs, v), securitySchemes: BEARER },
  };
}
