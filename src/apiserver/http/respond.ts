// The one way responses leave the server: objects in the negotiated form (the object itself,
// a Table, PartialObjectMetadata) and every error as a metav1.Status.
import type { ServerResponse } from 'node:http';
import type { Context } from 'koa';
import { newNotAcceptable, toStatus } from '../errors.js';
import { negotiateOutput, type OutputTarget } from '../negotiation.js';
import type { Entity, ListResult, TableConvertor } from '../rest.js';
import type { KubeObject, Status, Table } from '../types.js';
import { collectWarnings } from '../warning.js';

const ACCEPTED = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/** Negotiates the output form or throws 406. */
export function negotiate(ctx: Context, allowed: ReadonlyArray<OutputTarget['as']>): OutputTarget {
  const target = negotiateOutput(ctx.get('Accept') || undefined, allowed);
  if (!target) throw newNotAcceptable(ACCEPTED);
  return target;
}

/** Sets one `Warning: 299 - "…"` header per warning (UTF-8 bytes on the wire). */
export function setWarnings(res: ServerResponse, warnings: string[]): void {
  const values = collectWarnings(warnings).map((v) => Buffer.from(v, 'utf8').toString('latin1'));
  if (values.length > 0 && !res.headersSent) res.setHeader('Warning', values);
}

export function writeJSON(ctx: Context, code: number, body: string | Buffer): void {
  ctx.status = code;
  ctx.type = 'application/json';
  ctx.body = body;
}

export function writeStatus(ctx: Context, status: Status): void {
  const retry = status.details?.retryAfterSeconds;
  if (retry && retry > 0) ctx.set('Retry-After', String(retry));
  writeJSON(ctx, status.code, JSON.stringify(status));
}

export function writeError(ctx: Context, err: unknown): void {
  writeStatus(ctx, toStatus(err));
}

export interface ObjectForms {
  table?: TableConvertor;
  now?: number;
}

function partialMeta(obj: KubeObject, version: string): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata ?? {} };
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function tableOf(
  items: Entity[],
  version: string,
  convertor: TableConvertor,
  include: IncludeObject,
  meta: Table['metadata'],
  withHeaders = true,
): Table {
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: meta,
    columnDefinitions: withHeaders ? convertor.columns : null,
    rows: items.map((e) => {
      const row: Table['rows'][number] = { cells: convertor.row(e.object, now) };
      if (include === 'Metadata') row.object = partialMeta(e.object, version);
      else if (include === 'Object') row.object = e.object;
      return row;
    }),
  };
}

/** The body for one object in the negotiated form; the stored JSON passes through untouched. */
export function encodeObject(e: Entity, target: OutputTarget, convertor: TableConvertor | undefined, include: IncludeObject): string {
  switch (target.as) {
    case 'Table':
      if (!convertor) return e.raw;
      return JSON.stringify(tableOf([e], target.version, convertor, include, { resourceVersion: e.object.metadata?.resourceVersion ?? '' }));
    case 'PartialObjectMetadata':
      return JSON.stringify(partialMeta(e.object, target.version));
    default:
      return e.raw;
  }
}

function listMeta(r: ListResult): string {
  return JSON.stringify({
    resourceVersion: r.resourceVersion,
    ...(r.continue ? { continue: r.continue } : {}),
    ...(r.remainingItemCount !== undefined ? { remainingItemCount: r.remainingItemCount } : {}),
  });
}

/** The body of a list in the negotiated form; plain lists are concatenated from stored JSON. */
export function encodeList(
  r: ListResult,
  target: OutputTarget,
  listKind: string,
  apiVersion: string,
  convertor: TableConvertor | undefined,
  include: IncludeObject,
): string {
  if (target.as === 'Table' && convertor) {
    return JSON.stringify(tableOf(r.items, target.version, convertor, include, JSON.parse(listMeta(r)) as Table['metadata']));
  }
  if (target.as === 'PartialObjectMetadataList') {
    return JSON.stringify({
      kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${target.version}`,
      metadata: JSON.parse(listMeta(r)) as unknown, items: r.items.map((e) => partialMeta(e.object, target.version)),
    });
  }
  const items = r.items.map((e) => e.raw).join(',');
  return `{"kind":${JSON.stringify(listKind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${listMeta(r)},"items":[${items}]}`;
}
