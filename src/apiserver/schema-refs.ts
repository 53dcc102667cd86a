// Small helpers shared by the schema walkers: `$ref` resolution and field-path building.

import type { JSONSchema } from './resource.js';

/** Looks up a named schema; `ref` is a definition name, bare or `#/definitions/`-style. */
export type SchemaResolver = (ref: string) => JSONSchema | undefined;

/** The definition name a `$ref` points at, without any `#/definitions/` or `#/components/schemas/` prefix. */
export function refName(ref: string): string {
  return ref.startsWith('#/') ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
}

/**
 * Follows `$ref`s (a referencing schema's siblings, like `description`, carry no constraints).
 * Undefined when a reference does not resolve.
 */
export function derefSchema(s: JSONSchema | undefined, resolve: SchemaResolver): JSONSchema | undefined {
  let current = s;
  for (let hops = 0; current?.$ref !== undefined && hops < 32; hops++) current = resolve(current.$ref);
  return current?.$ref === undefined ? current : undefined;
}

/** A JSON object (not null, not an array). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** `parent.key`, or `key` at the root: the apiserver's field path notation. */
export function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}
