// POST, PUT and PATCH (pkg/endpoints/handlers/create.go, update.go, patch.go).
import jsonpatch from 'fast-json-patch';
import {
  CRD_PATCH_MEDIA_TYPES, newBadRequest, newMethodNotAllowed, newMethodNotSupported, newNotFound, newUnprocessable, newUnsupportedMediaType,
} from '../errors.js';
import { decodeObject, parseObjectBody, readBody } from '../http/body.js';
import { parseWriteOptions } from '../http/options.js';
import { encodeObject, negotiate, setWarnings, writeJSON } from '../http/respond.js';
import { type OutputTarget, parseMediaType } from '../negotiation.js';
import { isCreater, isUpdater } from '../rest.js';
import type { KubeObject } from '../types.js';
import { exceedsNestingDepth, isDNS1123Label, MAX_NESTING_DEPTH } from '../validation.js';
import { includeObject } from './read.js';
import type { HandlerArgs } from './types.js';

const OBJECT_TYPES = ['application/json', 'application/yaml'];

function gr(a: HandlerArgs): { group: string; resource: string } {
  return { group: a.install.descriptor.group, resource: a.install.descriptor.plural };
}

function respond(a: HandlerArgs, code: number, entity: Parameters<typeof encodeObject>[0], target: Parameters<typeof encodeObject>[1]): void {
  setWarnings(a.ctx.res, a.req.warnings);
  writeJSON(a.ctx, code, encodeObject(entity, target, a.install.table, includeObject(a.query, target)));
}

/** The negotiated output, the write options and the decoded body object of a POST or PUT. */
async function readObject(a: HandlerArgs, kind: 'CreateOptions' | 'UpdateOptions'): Promise<{ target: OutputTarget; obj: KubeObject }> {
  const { descriptor } = a.install;
  const target = negotiate(a.ctx, ['Object', 'Table', 'PartialObjectMetadata']);
  const opts = parseWriteOptions(a.query, kind);
  const body = await readBody(a.ctx);
  const { value, duplicates } = parseObjectBody(a.ctx, body, OBJECT_TYPES, descriptor.kind);
  const obj = decodeObject(value, descriptor, opts.fieldValidation, a.req.warnings, duplicates);
  a.req.dryRun = opts.dryRun;
  return { target, obj };
}

/**
 * kube-apiserver's NamespaceLifecycle admission answers a create in a namespace that does not
 * exist with 404; a namespace whose name is not a DNS-1123 label cannot exist.
 */
function assertNamespaceCanExist(a: HandlerArgs): void {
  if (a.install.descriptor.namespaced && isDNS1123Label(a.info.namespace).length > 0) {
    throw newNotFound({ group: '', resource: 'namespaces' }, a.info.namespace);
  }
}

export async function handleCreate(a: HandlerArgs): Promise<void> {
  const { storage } = a.install;
  if (!isCreater(storage)) throw newMethodNotSupported(gr(a), 'create');
  assertNamespaceCanExist(a);
  const { target, obj } = await readObject(a, 'CreateOptions');
  respond(a, 201, await storage.create(a.req, obj), target);
}

export async function handleUpdate(a: HandlerArgs): Promise<void> {
  const { storage } = a.install;
  if (!isUpdater(storage)) throw newMethodNotSupported(gr(a), 'update');
  if (!a.info.name) throw newMethodNotAllowed();
  const { target, obj } = await readObject(a, 'UpdateOptions');
  const meta = obj.metadata ?? {};
  if (meta.name !== undefined && meta.name !== a.info.name) {
    throw newBadRequest(`the name of the object (${meta.name}) does not match the name on the URL (${a.info.name})`);
  }
  if (meta.namespace && meta.namespace !== a.info.namespace) {
    throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  respond(a, 200, await storage.update(a.req, a.info.name, () => obj), target);
}

/** Applies a patch document of `type` to `current`. */
function applyPatch(type: string, patch: unknown, current: KubeObject): KubeObject {
  if (type === 'application/merge-patch+json') return mergePatch(current, patch) as KubeObject;
  if (!Array.isArray(patch)) throw newBadRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    return jsonpatch.applyPatch(current, patch as jsonpatch.Operation[], true, true).newDocument;
  } catch (err) {
    throw newUnprocessable(err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err));
  }
}

/**
 * RFC 7386 JSON merge patch. Keys are defined as own properties, so that a `__proto__` key stays a
 * field (for strict validation to refuse) instead of replacing the object's prototype.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else {
      const value = mergePatch(Object.hasOwn(out, k) ? out[k] : undefined, v);
      Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

export async function handlePatch(a: HandlerArgs): Promise<void> {
  const { storage, descriptor } = a.install;
  if (!isUpdater(storage)) throw newMethodNotSupported(gr(a), 'patch');
  if (!a.info.name) throw newMethodNotAllowed();
  const target = negotiate(a.ctx, ['Object', 'Table', 'PartialObjectMetadata']);
  const type = parseMediaType(a.ctx.get('Content-Type') ?? '')?.type ?? '';
  if (!descriptor.patchTypes.includes(type)) throw newUnsupportedMediaType(CRD_PATCH_MEDIA_TYPES);
  const opts = parseWriteOptions(a.query, 'PatchOptions');
  const body = await readBody(a.ctx);
  let patch: unknown;
  try {
    patch = JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw newBadRequest(`error decoding patch: ${(err as Error).message}`);
  }
  if (exceedsNestingDepth(patch)) throw newBadRequest(`error decoding patch: exceeded max depth of ${MAX_NESTING_DEPTH}`);
  a.req.dryRun = opts.dryRun;
  const updated = await storage.update(a.req, a.info.name, (current) => {
    const patched = applyPatch(type, patch, current);
    return decodeObject(patched, descriptor, opts.fieldValidation, a.req.warnings);
  });
  respond(a, 200, updated, target);
}
