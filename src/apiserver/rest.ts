// The capabilities a resource storage may offer, one small interface per verb, after
// k8s.io/apiserver/pkg/registry/rest/rest.go. The installer finds out which of them a storage
// implements and routes only those; storages return objects or throw StatusErrors and never
// touch the HTTP response.
import type { FieldSelector } from './fields.js';
import type { LabelSelector } from './labels.js';
import type { KubeObject, TableColumnDefinition, UserInfo, WatchEventType } from './types.js';

/** An object as stored: its JSON text, parsed only when someone needs the fields. */
export class Entity {
  #object: KubeObject | undefined;
  constructor(readonly raw: string, object?: KubeObject) {
    this.#object = object;
  }
  get object(): KubeObject {
    this.#object ??= JSON.parse(this.raw) as KubeObject;
    return this.#object;
  }
  static of(object: KubeObject): Entity {
    return new Entity(JSON.stringify(object), object);
  }
}

/** Per-request facts a storage may need. */
export interface RequestContext {
  user: UserInfo;
  /** The request's namespace; `''` for cluster-wide requests. */
  namespace: string;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** `Warning` texts to send back. */
  warnings: string[];
  dryRun: boolean;
}

export interface ListOptions {
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  items: Entity[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
  /** `undefined`/`''`/`'0'`: synthetic ADDED for the current state first; `N`: changes after N. */
  resourceVersion?: string;
  /** KEP-3157 watch-list: initial events end with a bookmark (only with NotOlderThan). */
  sendInitialEvents: boolean;
}

/**
 * One change, shared by every watcher it goes to: the handler caches encoded forms on it so
 * that an event is serialized once however many clients receive it.
 */
export interface WatchEvent {
  type: Exclude<WatchEventType, 'ERROR'>;
  resourceVersion: string;
  /** The object; absent on BOOKMARK. */
  entity?: Entity;
  /** Encodings already produced for this event, keyed by output form. */
  encoded?: Map<string, Buffer>;
  /** Set on the bookmark that ends the initial events of a watch-list. */
  initialEventsEnd?: boolean;
}

/** Where a watch delivers. `error` ends the watch after an ERROR event (e.g. 410 Expired). */
export interface WatchSink {
  event(e: WatchEvent): void;
  error(err: unknown): void;
}

export interface Getter {
  get(ctx: RequestContext, name: string): Promise<Entity>;
}

export interface Lister {
  list(ctx: RequestContext, opts: ListOptions): Promise<ListResult>;
}

export interface WatchHandle {
  stop(): void;
  /**
   * The resourceVersion up to which this watch has delivered every event it matches: what a
   * BOOKMARK sent now may carry.
   */
  progress(): string;
}

export interface Watcher {
  /** Starts delivering to `sink`; resolves once the watch is established. */
  watch(ctx: RequestContext, opts: WatchOptions, sink: WatchSink): Promise<WatchHandle>;
}

export interface Creater {
  /** Returns the created object; `ctx.dryRun` persists nothing. */
  create(ctx: RequestContext, obj: KubeObject): Promise<Entity>;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
}

export interface GracefulDeleter {
  /** Returns the object's final state, or the state it has while its deletion finishes. */
  delete(ctx: RequestContext, name: string, opts: DeleteOptions): Promise<Entity>;
}

export interface CollectionDeleter {
  deleteCollection(ctx: RequestContext, opts: ListOptions, del: DeleteOptions): Promise<Entity[]>;
}

/**
 * Update by a function of the current object (PUT and every patch type reduce to this). The
 * storage reads the current object, applies `mutate`, validates what may change, and writes it
 * with optimistic concurrency.
 */
export interface Updater {
  update(
    ctx: RequestContext,
    name: string,
    mutate: (current: KubeObject) => KubeObject,
  ): Promise<Entity>;
}

/** A POST to a subresource that acts on the named object (cancel, retry). */
export interface NamedCreater {
  create(ctx: RequestContext, name: string, body: KubeObject | undefined): Promise<Entity>;
}

export interface TableConvertor {
  columns: TableColumnDefinition[];
  /** Cells of one row, in the order of `columns`; `now` for ages. */
  row(obj: KubeObject, now: number): unknown[];
}

/** Values of the fields a field selector may name (`metadata.name`, `status.phase`, …). */
export interface SelectableFields {
  fieldNames: string[];
  fields(obj: KubeObject): Record<string, string>;
}

export function isGetter(s: object): s is Getter {
  return 'get' in s && typeof s.get === 'function';
}
export function isLister(s: object): s is Lister {
  return 'list' in s && typeof s.list === 'function';
}
export function isWatcher(s: object): s is Watcher {
  return 'watch' in s && typeof s.watch === 'function';
}
export function isCreater(s: object): s is Creater {
  return 'create' in s && typeof s.create === 'function';
}
export function isGracefulDeleter(s: object): s is GracefulDeleter {
  return 'delete' in s && typeof s.delete === 'function';
}
export function isCollectionDeleter(s: object): s is CollectionDeleter {
  return 'deleteCollection' in s && typeof s.deleteCollection === 'function';
}
export function isUpdater(s: object): s is Updater {
  return 'update' in s && typeof s.update === 'function';
}
