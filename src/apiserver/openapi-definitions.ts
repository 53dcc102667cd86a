// The named schemas of an OpenAPI document: per resource its kind, its list kind and its extra
// definitions (as apiextensions' CRD builder names and shapes them), plus the metav1 types.
// `$ref`s are bare definition names here; the renderers add the v2/v3 prefixes.

import { GROUP_REGISTERED_META_KINDS, LIST_META_PROPERTY, API_VERSION_PROPERTY, KIND_PROPERTY, META_V1, metaDefinitions } from './meta-schemas.js';
import { definitionName, objectSchemaFor, refName } from './schema.js';
import type { JSONSchema, ResourceDescriptor } from './resource.js';

/** A GVK as `x-kubernetes-group-version-kind` lists it. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** Applies `fn` to every schema node, depth first (children before parents), returning copies. */
export function mapSchema(s: JSONSchema, fn: (s: JSONSchema) => JSONSchema): JSONSchema {
  const out: JSONSchema = { ...s };
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, mapSchema(v, fn)]));
  if (s.items) out.items = mapSchema(s.items, fn);
  if (typeof s.additionalProperties === 'object') out.additionalProperties = mapSchema(s.additionalProperties, fn);
  return fn(out);
}

/** The full definition name for a kind served by `d` (its kind, list kind or a `definitions` key). */
export function kindDefinition(d: ResourceDescriptor, kind: string): string | undefined {
  const known = kind === d.kind || kind === d.listKind || Object.hasOwn(d.definitions, kind);
  return known ? definitionName(d.group, d.version, kind) : undefined;
}

/** Rewrites `$ref`s of a descriptor schema to full definition names. */
function qualifyRefs(d: ResourceDescriptor, s: JSONSchema): JSONSchema {
  return mapSchema(s, (node) => {
    if (node.$ref === undefined) return node;
    const name = refName(node.$ref);
    return { ...node, $ref: Object.hasOwn(d.definitions, name) ? definitionName(d.group, d.version, name) : name };
  });
}

function listSchema(d: ResourceDescriptor): JSONSchema {
  return {
    type: 'object',
    description: `${d.listKind} is a list of ${d.kind}`,
    properties: {
      apiVersion: API_VERSION_PROPERTY,
      items: {
        type: 'array',
        items: { $ref: definitionName(d.group, d.version, d.kind) },
        description: `List of ${d.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
      },
      kind: KIND_PROPERTY,
      metadata: LIST_META_PROPERTY,
    },
    required: ['items'],
    'x-kubernetes-group-version-kind': [{ group: d.group, kind: d.listKind, version: d.version }],
  };
}

/**
 * The kind, list and extra definitions of a resource, keyed by full definition name. Extra
 * definitions that some subresource names as its kind or request kind carry their GVK.
 */
export function resourceDefinitions(d: ResourceDescriptor): Record<string, JSONSchema> {
  const kinds = new Set(d.subresources.flatMap((s) => [s.kind, s.requestKind ?? s.kind]));
  const defs: Record<string, JSONSchema> = {
    [definitionName(d.group, d.version, d.kind)]: qualifyRefs(d, objectSchemaFor(d)),
    [definitionName(d.group, d.version, d.listKind)]: listSchema(d),
  };
  for (const [kind, schema] of Object.entries(d.definitions)) {
    const gvk = kinds.has(kind) ? { 'x-kubernetes-group-version-kind': [{ group: d.group, kind, version: d.version }] } : {};
    defs[definitionName(d.group, d.version, kind)] = { ...qualifyRefs(d, schema), ...gvk };
  }
  return defs;
}

/**
 * The metav1 definitions; DeleteOptions, Status and WatchEvent list `v1` and every served
 * group-version in their `x-kubernetes-group-version-kind`, as the apiserver's namer does.
 */
export function metaDefinitionsFor(gvs: readonly { group: string; version: string }[]): Record<string, JSONSchema> {
  const defs: Record<string, JSONSchema> = { ...metaDefinitions };
  for (const kind of GROUP_REGISTERED_META_KINDS) {
    const name = `${META_V1}.${kind}`;
    const base = defs[name];
    if (base === undefined) continue;
    const gvks: GroupVersionKind[] = [{ group: '', kind, version: 'v1' }, ...gvs.map((gv) => ({ group: gv.group, kind, version: gv.version }))];
    defs[name] = { ...base, 'x-kubernetes-group-version-kind': gvks };
  }
  return defs;
}
