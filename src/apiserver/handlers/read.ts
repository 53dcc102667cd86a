// GET of one object and of collections (pkg/endpoints/handlers/get.go).
import { newBadRequest, newGenericNotFound, newMethodNotSupported, newResourceExpired, newTooLargeResourceVersion } from '../errors.js';
import { encodeList, encodeObject, negotiate, writeJSON, type IncludeObject } from '../http/respond.js';
import type { OutputTarget } from '../negotiation.js';
import { parseListOptions } from '../http/options.js';
import type { RequestInfo } from '../request-info.js';
import { groupVersion } from '../resource.js';
import { isGetter, isLister, type Lister, type ListResult } from '../rest.js';
import type { HandlerArgs } from './types.js';

/**
 * TableOptions.includeObject, validated only when a Table is produced (the apiserver ignores it
 * otherwise, optionsForTransform + ValidateTableOptions).
 */
export function includeObject(q: URLSearchParams, target: OutputTarget): IncludeObject {
  const v = q.get('includeObject') || 'Metadata';
  if (target.as !== 'Table') return 'Metadata';
  if (v !== 'None' && v !== 'Metadata' && v !== 'Object') {
    throw newBadRequest(`Unable to convert to Table as requested: includeObject: Invalid value: "${v}": must be 'Metadata', 'Object', 'None', or empty`);
  }
  return v;
}

/**
 * 404 unless the path ends at the object (`R/N`) or its subresource (`R/N/S`): RequestInfo
 * ignores what follows, but kube-apiserver has no route for `R/N/S/more`.
 */
export function assertNoExtraPath(info: RequestInfo): void {
  if (info.parts.length > (info.subresource ? 3 : 2)) throw newGenericNotFound();
}

export async function handleGet(a: HandlerArgs): Promise<void> {
  const { storage, descriptor, table } = a.install;
  if (!isGetter(storage)) throw newMethodNotSupported({ group: descriptor.group, resource: descriptor.plural }, 'get');
  assertNoExtraPath(a.info);
  const target = negotiate(a.ctx, ['Object', 'Table', 'PartialObjectMetadata']);
  const include = includeObject(a.query, target);
  const entity = await storage.get(a.req, a.info.name);
  writeJSON(a.ctx, 200, encodeObject(entity, target, table, include));
}

const WAIT_FOR_RV_MS = 3000;

/** A list as of at least `rv` (waits up to 3 s for it, then 504 as the apiserver does). */
async function listNotOlderThan(storage: Lister, a: HandlerArgs, opts: Parameters<Lister['list']>[1]): Promise<ListResult> {
  const deadline = Date.now() + WAIT_FOR_RV_MS;
  const wanted = BigInt(opts.resourceVersion ?? '0');
  for (;;) {
    const r = await storage.list(a.req, { ...opts, resourceVersion: undefined });
    if (BigInt(r.resourceVersion) >= wanted || opts.continue) return r;
    if (Date.now() > deadline) throw newTooLargeResourceVersion(Number(wanted), Number(r.resourceVersion), 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function handleList(a: HandlerArgs): Promise<void> {
  const { storage, descriptor, table, fields } = a.install;
  if (!isLister(storage)) throw newMethodNotSupported({ group: descriptor.group, resource: descriptor.plural }, 'list');
  const target = negotiate(a.ctx, ['Object', 'Table', 'PartialObjectMetadataList']);
  const include = includeObject(a.query, target);
  const opts = parseListOptions(a.query, fields.fieldNames);
  const result = await listNotOlderThan(storage, a, opts);
  if (opts.resourceVersionMatch === 'Exact' && opts.resourceVersion !== result.resourceVersion) {
    throw newResourceExpired('The resourceVersion for the provided list is too old.');
  }
  writeJSON(a.ctx, 200, encodeList(result, target, descriptor.listKind, groupVersion(descriptor), table, include));
}
