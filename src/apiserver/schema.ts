// Schema-driven checks used when decoding request bodies: the full object schema of a resource
// (its own schema inside the apiVersion/kind/metadata envelope), `$ref` resolution, and unknown-field
// detection/pruning with the semantics of apiextensions-apiserver's structural pruning
// (`pkg/apiserver/schema/pruning/algorithm.go`) and its unknown-field paths.

import { API_VERSION_PROPERTY, KIND_PROPERTY, OBJECT_META_PROPERTY, metaDefinitions } from './meta-schemas.js';
import { childPath, derefSchema, isPlainObject, refName } from './schema-refs.js';
import type { SchemaResolver } from './schema-refs.js';
import type { JSONSchema, ResourceDescriptor } from './resource.js';

export { derefSchema, refName } from './schema-refs.js';
export type { SchemaResolver } from './schema-refs.js';
export { validateSchema } from './schema-validate.js';
export type { SchemaError, SchemaErrorType } from './schema-validate.js';

const ENVELOPE = ['apiVersion', 'kind', 'metadata'] as const;

/**
 * The whole object schema of a resource, as the CRD OpenAPI builder publishes it: the
 * descriptor's schema with `apiVersion`, `kind` and `metadata` (a `$ref` to ObjectMeta) added,
 * the descriptor's description, and the `x-kubernetes-group-version-kind` list. `$ref`s stay as
 * written in the descriptor (resolve them with `resolverFor`).
 */
export function objectSchemaFor(d: ResourceDescriptor): JSONSchema {
  const { properties = {}, ...rest } = d.schema;
  const own = Object.fromEntries(Object.entries(properties).filter(([k]) => !(ENVELOPE as readonly string[]).includes(k)));
  return {
    ...rest,
    type: 'object',
    description: d.description || rest.description || '',
    properties: { apiVersion: API_VERSION_PROPERTY, kind: KIND_PROPERTY, metadata: OBJECT_META_PROPERTY, ...own },
    'x-kubernetes-group-version-kind': [{ group: d.group, kind: d.kind, version: d.version }],
  };
}

/** Resolves the metav1 definitions (ObjectMeta, ListMeta, OwnerReference, Time, …). */
export const resolveMeta: SchemaResolver = (ref) => metaDefinitions[refName(ref)];

/**
 * The globally unique OpenAPI definition name of a kind, as kube-openapi's `ToRESTFriendlyName`
 * derives it: reversed group, version, kind (`dev.kubeactions.v1alpha1.WorkflowRun`).
 */
export function definitionName(group: string, version: string, kind: string): string {
  const reversed = group.split('.').filter((part) => part !== '').reverse();
  return [...reversed, version, kind].join('.');
}

/**
 * Resolves metav1 definitions and the descriptor's own `definitions`, named either by their key
 * (kind) or by their full definition name.
 */
export function resolverFor(d: ResourceDescriptor): SchemaResolver {
  const prefix = definitionName(d.group, d.version, '');
  return (ref) => {
    const name = refName(ref);
    const local = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    return resolveMeta(name) ?? d.definitions[local];
  };
}

/**
 * Paths of the fields of `obj` that `schema` does not know, formatted as the apiserver reports
 * them in `strict decoding error: unknown field "<path>"` and in Warn-mode warnings:
 * `spec.foo`, `spec.steps[0].bar`, `metadata.foo`. Fields under
 * `x-kubernetes-preserve-unknown-fields: true` or `additionalProperties: true` are known;
 * `additionalProperties: <schema>` describes every key. Metadata paths come first, then the rest,
 * each group sorted (as the CRD codec reports ObjectMeta's unknowns before pruned ones).
 * An unresolvable `$ref` is treated as allowing anything.
 */
export function findUnknownFields(obj: unknown, schema: JSONSchema, resolve: SchemaResolver): string[] {
  return walkUnknown(obj, schema, resolve, false);
}

/**
 * Removes the fields `findUnknownFields` reports, in place (CRD pruning, used for
 * fieldValidation=Warn|Ignore), and returns their paths.
 */
export function pruneUnknownFields(obj: unknown, schema: JSONSchema, resolve: SchemaResolver): string[] {
  return walkUnknown(obj, schema, resolve, true);
}

interface PruneContext {
  resolve: SchemaResolver;
  remove: boolean;
  found: string[];
}

function walkUnknown(obj: unknown, schema: JSONSchema, resolve: SchemaResolver, remove: boolean): string[] {
  const ctx: PruneContext = { resolve, remove, found: [] };
  prune(obj, schema, '', ctx);
  const isMeta = (p: string) => p === 'metadata' || p.startsWith('metadata.') || p.startsWith('metadata[');
  const sorted = [...ctx.found].sort();
  return [...sorted.filter(isMeta), ...sorted.filter((p) => !isMeta(p))];
}

/** The schema of property `key`: only an own property counts (not `constructor` or `__proto__`). */
function ownProperty(properties: Record<string, JSONSchema> | undefined, key: string): JSONSchema | undefined {
  return properties !== undefined && Object.hasOwn(properties, key) ? properties[key] : undefined;
}

/** `undefined` schema: nothing is known below (kube's `prune(x, nil)`); `null`: anything goes. */
function target(s: JSONSchema | undefined, ctx: PruneContext): JSONSchema | undefined | null {
  if (s === undefined) return undefined;
  return derefSchema(s, ctx.resolve) ?? null;
}

function prune(x: unknown, schema: JSONSchema | undefined, path: string, ctx: PruneContext): void {
  const s = target(schema, ctx);
  if (s === null) return;
  if (s?.['x-kubernetes-preserve-unknown-fields'] === true) {
    skipPrune(x, s, path, ctx);
    return;
  }
  if (Array.isArray(x)) {
    x.forEach((v, i) => prune(v, s?.items, `${path}[${i}]`, ctx));
    return;
  }
  if (!isPlainObject(x)) return;
  for (const [k, v] of Object.entries(x)) {
    const field = childPath(path, k);
    const prop = ownProperty(s?.properties, k);
    const additional = s?.additionalProperties;
    if (prop !== undefined) prune(v, prop, field, ctx);
    else if (additional === true) continue;
    else if (typeof additional === 'object') prune(v, additional, field, ctx);
    else unknown(x, k, field, ctx);
  }
}

/** Inside a preserve-unknown-fields schema: keep unknown keys, but prune inside known ones. */
function skipPrune(x: unknown, s: JSONSchema, path: string, ctx: PruneContext): void {
  if (Array.isArray(x)) {
    const items = target(s.items, ctx);
    if (items) x.forEach((v, i) => skipPrune(v, items, `${path}[${i}]`, ctx));
    return;
  }
  if (!isPlainObject(x)) return;
  for (const [k, v] of Object.entries(x)) {
    const prop = ownProperty(s.properties, k);
    const additional = s.additionalProperties;
    if (prop !== undefined) prune(v, prop, childPath(path, k), ctx);
    else if (typeof additional === 'object') prune(v, additional, childPath(path, k), ctx);
  }
}

function unknown(x: Record<string, unknown>, key: string, field: string, ctx: PruneContext): void {
  ctx.found.push(field);
  if (ctx.remove) delete x[key];
}
