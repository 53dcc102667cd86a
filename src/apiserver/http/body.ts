// Request bodies: bounded reads (413), content types (415), decoding with the apiserver's
// strict/warn/ignore field validation.
import type { Context } from 'koa';
import { parse as parseYaml } from 'yaml';
import { newBadRequest, newRequestEntityTooLarge, newUnsupportedMediaType } from '../errors.js';
import { duplicateFields } from './duplicate-fields.js';
import { parseMediaType } from '../negotiation.js';
import { newRequestReadTimeout, readTimedOut } from '../read-timeouts.js';
import type { ResourceDescriptor } from '../resource.js';
import { groupVersion } from '../resource.js';
import { OBJECT_META_PROPERTY } from '../meta-schemas.js';
import { findUnknownFields, objectSchemaFor, pruneUnknownFields, resolverFor, validateSchema } from '../schema.js';
import type { KubeObject } from '../types.js';
import { exceedsNestingDepth, MAX_NESTING_DEPTH } from '../validation.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

const schemas = new WeakMap<ResourceDescriptor, { schema: ReturnType<typeof objectSchemaFor>; resolve: ReturnType<typeof resolverFor> }>();

function schemaOf(d: ResourceDescriptor): { schema: ReturnType<typeof objectSchemaFor>; resolve: ReturnType<typeof resolverFor> } {
  let s = schemas.get(d);
  if (!s) schemas.set(d, (s = { schema: objectSchemaFor(d), resolve: resolverFor(d) }));
  return s;
}

/**
 * Reads the whole body, refusing more than `limit` bytes with 413; a body that did not arrive
 * within --body-read-timeout fails with the 408 its client was sent. A body declared too large is
 * discarded by Node after the answer; one found too large while it is read stops being read, so
 * its connection closes after the answer (as Go's server does): a keep-alive connection with
 * unread body bytes in it would never serve another request.
 */
export async function readBody(ctx: Context, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const tooLarge = (): Error => {
    ctx.set('Connection', 'close');
    return newRequestEntityTooLarge(limit);
  };
  const declared = Number(ctx.get('Content-Length') || '0');
  if (declared > limit) throw newRequestEntityTooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw tooLarge();
      chunks.push(chunk);
    }
  } catch (err) {
    throw readTimedOut(ctx.req) ? newRequestReadTimeout() : err;
  }
  // A body completed while its connection lingered after the 408 is not served.
  if (readTimedOut(ctx.req)) throw newRequestReadTimeout();
  return Buffer.concat(chunks);
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/**
 * Parses a JSON (or YAML) body into a value, with 415 for other media types and 400 for bodies
 * that do not parse or nest deeper than MAX_NESTING_DEPTH.
 */
export function parseBody(ctx: Context, body: Buffer, accepted: readonly string[], what: string): unknown {
  const media = parseMediaType(ctx.get('Content-Type') || 'application/json');
  const type = media?.type ?? '';
  if (!accepted.includes(type)) throw newUnsupportedMediaType(accepted);
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = type.endsWith('yaml') ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (err) {
    throw newBadRequest(`the object provided is unrecognized (must be of type ${what}): ${(err as Error).message}`);
  }
  if (exceedsNestingDepth(value)) {
    throw newBadRequest(`the object provided is unrecognized (must be of type ${what}): exceeded max depth of ${MAX_NESTING_DEPTH}`);
  }
  return value;
}

/** An object body: its value, and the keys a JSON body gave twice within one object. */
export interface ObjectBody {
  value: unknown;
  duplicates: string[];
}

/** parseBody, plus the keys repeated within one object of a JSON body (see duplicateFields). */
export function parseObjectBody(ctx: Context, body: Buffer, accepted: readonly string[], what: string): ObjectBody {
  const value = parseBody(ctx, body, accepted, what);
  const yaml = (parseMediaType(ctx.get('Content-Type') || 'application/json')?.type ?? '').endsWith('yaml');
  return { value, duplicates: yaml ? [] : duplicateFields(body.toString('utf8')) };
}

/**
 * Checks apiVersion/kind of a decoded object and applies field validation: Strict refuses
 * duplicate and unknown fields (400), Warn drops unknown fields and says so in a warning each
 * (duplicates too: the last value counts), Ignore drops them silently.
 */
export function decodeObject(
  value: unknown,
  d: ResourceDescriptor,
  validation: FieldValidation,
  warnings: string[],
  duplicates: readonly string[] = [],
): KubeObject {
  const gv = groupVersion(d);
  const cannot = (detail: string): Error =>
    newBadRequest(`${d.kind} in version "${d.version}" cannot be handled as a ${d.kind}: ${detail}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw cannot('the body must be a JSON object');
  }
  const obj = value as KubeObject;
  if (obj.apiVersion !== undefined && obj.apiVersion !== gv) {
    throw newBadRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${gv})`);
  }
  if (obj.kind !== undefined && obj.kind !== d.kind) {
    throw cannot(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${d.kind})`);
  }
  if (obj.metadata !== undefined && (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata))) {
    throw cannot('metadata must be an object');
  }
  const { schema, resolve } = schemaOf(d);
  // ObjectMeta is a typed struct in Go: a field of the wrong type fails decoding (400), not validation.
  const metaType = validateSchema(obj.metadata, OBJECT_META_PROPERTY, resolve, 'metadata').find((e) => e.type === 'FieldValueTypeInvalid');
  if (metaType) throw cannot(metaType.detail);
  const repeated = duplicates.map((f) => `duplicate field "${f}"`);
  if (validation === 'Strict') {
    const problems = [...repeated, ...findUnknownFields(obj, schema, resolve).map((f) => `unknown field "${f}"`)];
    if (problems.length > 0) throw cannot(`strict decoding error: ${problems.join(', ')}`);
  } else {
    const pruned = pruneUnknownFields(obj, schema, resolve);
    if (validation === 'Warn') warnings.push(...repeated, ...pruned.map((f) => `unknown field "${f}"`));
  }
  obj.apiVersion = gv;
  obj.kind = d.kind;
  return obj;
}
