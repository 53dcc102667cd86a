// DELETE of one object and of a collection (pkg/endpoints/handlers/delete.go).
import { newMethodNotSupported } from '../errors.js';
import { parseBody, readBody } from '../http/body.js';
import { parseDeleteOptions, parseListOptions } from '../http/options.js';
import { encodeList, encodeObject, negotiate, writeJSON } from '../http/respond.js';
import { groupVersion } from '../resource.js';
import { isCollectionDeleter, isGracefulDeleter } from '../rest.js';
import { includeObject } from './read.js';
import type { HandlerArgs } from './types.js';

async function deleteOptions(a: HandlerArgs): Promise<ReturnType<typeof parseDeleteOptions>> {
  const body = await readBody(a.ctx);
  const decoded = body.length > 0 ? parseBody(a.ctx, body, ['application/json', 'application/yaml'], 'DeleteOptions') : undefined;
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
