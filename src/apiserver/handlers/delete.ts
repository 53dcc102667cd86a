// DELETE of one object and of a collection (pkg/endpoints/handlers/delete.go).
import { newBadRequest, newMethodNotSupported } from '../errors.js';
import { parseBody, readBody } from '../http/body.js';
import { parseDeleteOptions, parseListOptions } from '../http/options.js';
import { encodeList, encodeObject, negotiate, writeJSON } from '../http/respond.js';
import { groupVersion } from '../resource.js';
import { isCollectionDeleter, isGracefulDeleter } from '../rest.js';
import { includeObject } from './read.js';
import type { HandlerArgs } from './types.js';

const DELETE_OPTIONS_TYPES: Readonly<Record<string, (v: unknown) => boolean>> = {
  kind: (v) => v === 'DeleteOptions',
  gracePeriodSeconds: (v) => Number.isSafeInteger(v),
  preconditions: (v) => typeof v === 'object' && !Array.isArray(v) && ['uid', 'resourceVersion'].every((k) => {
    const x = (v as Record<string, unknown>)[k];
    return x === undefined || x === null || typeof x === 'string';
  }),
  orphanDependents: (v) => typeof v === 'boolean',
  propagationPolicy: (v) => typeof v === 'string',
  dryRun: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
};

/**
 * Go decodes a DeleteOptions body into a typed struct: a body that is not an object, a field of
 * the wrong type, or another kind or version is a 400 before anything is deleted.
 */
function checkDeleteOptionsBody(body: unknown, gv: string): void {
  if (body === null || body === undefined) return;
  const cannot = (detail: string): Error => newBadRequest(`DeleteOptions in version "v1" cannot be handled as a DeleteOptions: ${detail}`);
  if (typeof body !== 'object' || Array.isArray(body)) throw cannot('the body must be a JSON object');
  const { apiVersion } = body as { apiVersion?: unknown };
  if (apiVersion !== undefined && apiVersion !== null && !['v1', 'meta.k8s.io/v1', 'meta.k8s.io/v1beta1', gv].includes(String(apiVersion))) {
    throw cannot(`no kind "DeleteOptions" is registered for version ${JSON.stringify(String(apiVersion))}`);
  }
  for (const [field, value] of Object.entries(body)) {
    const ok = Object.hasOwn(DELETE_OPTIONS_TYPES, field) ? DELETE_OPTIONS_TYPES[field] : undefined;
    if (ok && value !== null && !ok(value)) throw cannot(`invalid value for ${field}: ${JSON.stringify(value).slice(0, 100)}`);
  }
}

async function deleteOptions(a: HandlerArgs): Promise<ReturnType<typeof parseDeleteOptions>> {
  const body = await readBody(a.ctx);
  const decoded = body.length > 0 ? parseBody(a.ctx, body, ['application/json', 'application/yaml'], 'DeleteOptions') : undefined;
  checkDeleteOptionsBody(decoded, groupVersion(a.install.descriptor));
  return parseDeleteOptions(a.query, decoded);
}

export async function handleDelete(a: HandlerArgs): Promise<void> {
  const { storage, descriptor, table } = a.install;
  if (!isGracefulDeleter(storage)) throw newMethodNotSupported({ group: descriptor.group, resource: descriptor.plural }, 'delete');
  const target = negotiate(a.ctx, ['Object', 'Table', 'PartialObjectMetadata']);
  const opts = await deleteOptions(a);
  a.req.dryRun = opts.dryRun;
  const deleted = await storage.delete(a.req, a.info.name, opts);
  writeJSON(a.ctx, 200, encodeObject(deleted, target, table, includeObject(a.query, target)));
}

export async function handleDeleteCollection(a: HandlerArgs): Promise<void> {
  const { storage, descriptor, table, fields } = a.install;
  if (!isCollectionDeleter(storage)) {
    throw newMethodNotSupported({ group: descriptor.group, resource: descriptor.plural }, 'deletecollection');
  }
  const target = negotiate(a.ctx, ['Object', 'Table', 'PartialObjectMetadataList']);
  const list = parseListOptions(a.query, fields.fieldNames);
  const opts = await deleteOptions(a);
  a.req.dryRun = opts.dryRun;
  const items = await storage.deleteCollection(a.req, list, opts);
  const rv = items.reduce((m, e) => {
    const v = e.object.metadata?.resourceVersion ?? '0';
    return BigInt(v) > BigInt(m) ? v : m;
  }, '0');
  writeJSON(a.ctx, 200, encodeList({ items, resourceVersion: rv }, target, descriptor.listKind, groupVersion(descriptor), table, includeObject(a.query, target)));
}
