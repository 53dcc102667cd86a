// Query options (metav1 ListOptions, CreateOptions, PatchOptions, DeleteOptions) decoded and
// validated as the apiserver does; invalid ones are 422 Invalid of group meta.k8s.io.
import { newBadRequest, newInvalid } from '../errors.js';
import { type FieldError, forbidden, invalid, notSupported } from '../field-errors.js';
import { parseFieldSelector } from '../fields.js';
import { parseLabelSelector } from '../labels.js';
import type { DeleteOptions, ListOptions } from '../rest.js';
import { parseInt64 as goParseInt64 } from '../validation.js';
import type { FieldValidation } from './body.js';

const META = 'meta.k8s.io';

/**
 * A bool query parameter as apimachinery's Convert_Slice_string_To_bool reads it: absent is
 * undefined; `0` and `false` (any case) are false; any other value, the empty one included, is true.
 */
export function parseBool(v: string | null): boolean | undefined {
  if (v === null) return undefined;
  return v !== '0' && v.toLowerCase() !== 'false';
}

function parseInt64(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = goParseInt64(v);
  if (n === undefined) throw newBadRequest(`strconv.ParseInt: parsing "${v}": ${/^[+-]?[0-9]+$/.test(v) ? 'value out of range' : 'invalid syntax'}`);
  return Number(n);
}

export interface WatchQuery extends ListOptions {
  watch: boolean;
  allowWatchBookmarks: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
}

export function parseListOptions(q: URLSearchParams, fieldNames: readonly string[], forceWatch = false): WatchQuery {
  const errs: FieldError[] = [];
  const watch = forceWatch || (q.get('watch') !== null && q.get('watch') !== 'false' && q.get('watch') !== '0');
  const opts: WatchQuery = {
    labelSelector: parseLabelSelector(q.get('labelSelector') ?? ''),
    fieldSelector: parseFieldSelector(q.get('fieldSelector') ?? '', fieldNames),
    watch,
    allowWatchBookmarks: parseBool(q.get('allowWatchBookmarks')) ?? false,
  };
  const limit = parseInt64(q, 'limit');
  if (limit !== undefined && limit > 0) opts.limit = limit;
  const cont = q.get('continue');
  if (cont) opts.continue = cont;
  const rv = q.get('resourceVersion');
  if (rv !== null && rv !== '') opts.resourceVersion = rv;
  const match = q.get('resourceVersionMatch');
  if (match) opts.resourceVersionMatch = match;
  const sie = parseBool(q.get('sendInitialEvents'));
  if (sie !== undefined) opts.sendInitialEvents = sie;
  const timeout = parseInt64(q, 'timeoutSeconds');
  if (timeout !== undefined) opts.timeoutSeconds = timeout;

  if (opts.continue && opts.resourceVersion && opts.resourceVersion !== '0') {
    throw newBadRequest('specifying resource version is not allowed when using continue');
  }
  if (opts.resourceVersion !== undefined && !(/^[0-9]{1,20}$/.test(opts.resourceVersion) && BigInt(opts.resourceVersion) <= 0xffff_ffff_ffff_ffffn)) {
    throw newBadRequest(`invalid resource version "${opts.resourceVersion}"`);
  }
  if (match) {
    if (!['NotOlderThan', 'Exact'].includes(match)) {
      errs.push(notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
    }
    if (watch && !opts.sendInitialEvents) {
      errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    } else if (!opts.resourceVersion && !opts.sendInitialEvents) {
      errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    }
    if (opts.continue) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match === 'Exact' && opts.resourceVersion === '0') {
      errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
  }
  if (opts.sendInitialEvents !== undefined) {
    if (!watch) errs.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
    else if (opts.sendInitialEvents && match !== 'NotOlderThan') {
      errs.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    }
  }
  if (errs.length > 0) throw newInvalid({ group: META, kind: 'ListOptions' }, '', errs);
  return opts;
}

export interface WriteOptions {
  dryRun: boolean;
  fieldValidation: FieldValidation;
  fieldManager?: string;
}

/** CreateOptions/UpdateOptions/PatchOptions from the query; `kind` names them in errors. */
export function parseWriteOptions(q: URLSearchParams, kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'): WriteOptions {
  const errs: FieldError[] = [];
  const dryRun = q.getAll('dryRun');
  for (const d of dryRun) if (d !== 'All') errs.push(notSupported('dryRun', dryRun, ['All']));
  const fv = q.get('fieldValidation') ?? '';
  if (!['', 'Ignore', 'Strict', 'Warn'].includes(fv)) errs.push(notSupported('fieldValidation', fv, ['', 'Ignore', 'Strict', 'Warn']));
  const manager = q.get('fieldManager') ?? undefined;
  if (manager !== undefined) {
    if (manager.length > 128) errs.push(invalid('fieldManager', manager, 'must be at most 128 characters'));
    else if (!/^[\x20-\x7e]*$/.test(manager)) errs.push(invalid('fieldManager', manager, 'must only contain printable characters'));
  }
  if (q.get('force') !== null && kind === 'PatchOptions') {
    errs.push(forbidden('force', 'may not be specified for non-apply patch'));
  }
  if (errs.length > 0) throw newInvalid({ group: META, kind }, '', errs);
  return {
    dryRun: dryRun.length > 0,
    fieldValidation: (fv || 'Warn') as FieldValidation,
    ...(manager !== undefined ? { fieldManager: manager } : {}),
  };
}

/** DeleteOptions from a body (kubectl sends one without kind) or the query. */
export function parseDeleteOptions(q: URLSearchParams, body: unknown): DeleteOptions & { dryRun: boolean } {
  const errs: FieldError[] = [];
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const grace = b.gracePeriodSeconds ?? parseInt64(q, 'gracePeriodSeconds');
  const policy = b.propagationPolicy ?? q.get('propagationPolicy') ?? undefined;
  const dryRun = (Array.isArray(b.dryRun) ? b.dryRun : q.getAll('dryRun')) as unknown[];
  if (grace !== undefined && (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0)) {
    errs.push(invalid('gracePeriodSeconds', grace, 'must be a non-negative integer'));
  }
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(String(policy))) {
    errs.push(notSupported('propagationPolicy', policy, ['Background', 'Foreground', 'Orphan']));
  }
  for (const d of dryRun) if (d !== 'All') errs.push(notSupported('dryRun', dryRun, ['All']));
  if (errs.length > 0) throw newInvalid({ group: META, kind: 'DeleteOptions' }, '', errs);
  const pre = b.preconditions as { uid?: string; resourceVersion?: string } | undefined;
  return {
    dryRun: dryRun.length > 0,
    ...(typeof grace === 'number' ? { gracePeriodSeconds: grace } : {}),
    ...(policy !== undefined ? { propagationPolicy: policy as DeleteOptions['propagationPolicy'] } : {}),
    ...(pre && typeof pre === 'object' ? { preconditions: pre } : {}),
  };
}
