// The generic Redis-backed storage every resource uses (after k8s.io/apiserver
// pkg/registry/generic/registry/store.go): create/get/list/update/delete over an ObjectStore,
// with a Strategy for what is resource-specific.
import { randomUUID } from 'node:crypto';
import {
  isNotFound, newAlreadyExists, newBadRequest, newConflict, newInvalid, newNotFound, newResourceExpired,
} from '../../apiserver/errors.js';
import type { GroupResource } from '../../apiserver/errors.js';
import { required } from '../../apiserver/field-errors.js';
import type {
  CollectionDeleter, Creater, DeleteOptions, GracefulDeleter, Getter, Lister, ListOptions,
  ListResult, RequestContext, Updater, WatchHandle, WatchOptions, WatchSink, Watcher,
} from '../../apiserver/rest.js';
import { Entity } from '../../apiserver/rest.js';
import type { KubeObject, ObjectMeta } from '../../apiserver/types.js';
import type { ChangeFeed } from '../../queue/change-feed.js';
import { type CreateTransaction, type ObjectStore, type WriteResult, selectableAttrs, toStoredJson } from '../../queue/object-store.js';
import { decodeContinue, encodeContinue } from './continue.js';
import { generateName, validateObjectMeta } from './meta.js';
import { callStorage } from './storage-call.js';
import { formatTime } from '../../apiserver/time.js';
import type { Strategy } from './strategy.js';
import { startWatch } from './watch.js';

export interface StoreHooks {
  /** Opens a transaction whose commands commit together with the creation (a queued job). */
  createTransaction?(obj: KubeObject): CreateTransaction;
  /**
   * Called before deleting `obj`; returns true when something else finishes the deletion (the
   * object then only gets its deletionTimestamp now).
   */
  beforeDelete?(obj: KubeObject): Promise<boolean>;
  afterDelete?(obj: KubeObject): Promise<void>;
}

const MAX_PAGE_SCAN = 10_000;

export class GenericStore implements Getter, Lister, Watcher, Creater, Updater, GracefulDeleter, CollectionDeleter {
  readonly gr: GroupResource;
  constructor(
    readonly store: ObjectStore,
    readonly feed: ChangeFeed,
    readonly strategy: Strategy,
    readonly hooks: StoreHooks = {},
  ) {
    this.gr = { group: strategy.resource.group, resource: strategy.resource.plural };
  }

  #member(ctx: RequestContext, name: string): string {
    return `${ctx.namespace}/${name}`;
  }

  async get(ctx: RequestContext, name: string): Promise<Entity> {
    const rec = await this.#call(() => this.store.get(this.#member(ctx, name)));
    if (!rec) throw newNotFound(this.gr, name);
    return new Entity(rec.json);
  }

  async create(ctx: RequestContext, obj: KubeObject): Promise<Entity> {
    const meta: ObjectMeta = (obj.metadata ??= {});
    if (meta.namespace && meta.namespace !== ctx.namespace) {
      throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = ctx.namespace;
    for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'selfLink'] as const) {
      delete meta[f];
    }
    const generated = !meta.name && !!meta.generateName;
    if (generated) meta.name = generateName(meta.generateName ?? '');
    this.strategy.prepareForCreate(obj);
    const errs = meta.name || meta.generateName ? validateObjectMeta(meta) : [required('metadata.name', 'name or generateName is required')];
    errs.push(...this.strategy.validate(obj));
    if (errs.length > 0) throw newInvalid({ group: this.gr.group, kind: this.strategy.resource.kind }, meta.name ?? '', errs);
    meta.uid = randomUUID();
    meta.generation = 1;
    meta.creationTimestamp = formatTime(Date.now());
    if (ctx.dryRun) {
      if (await this.#call(() => this.store.get(this.#member(ctx, meta.name ?? '')))) throw newAlreadyExists(this.gr, meta.name ?? '');
      return Entity.of(obj);
    }
    for (let attempt = 0; ; attempt++) {
      const result = await this.#call(async () =>
        this.store.create(this.#member(ctx, meta.name ?? ''), meta.uid ?? '', toStoredJson(obj), this.strategy.isActive(obj),
          this.hooks.createTransaction?.(obj)));
      if (result.ok) return new Entity(result.json);
      if (!generated || attempt >= 4) throw newAlreadyExists(this.gr, meta.name ?? '');
      meta.name = generateName(meta.generateName ?? '');
    }
  }

  async update(ctx: RequestContext, name: string, mutate: (current: KubeObject) => KubeObject): Promise<Entity> {
    const member = this.#member(ctx, name);
    for (;;) {
      const rec = await this.#call(() => this.store.get(member));
      if (!rec) throw newNotFound(this.gr, name);
      const old = JSON.parse(rec.json) as KubeObject;
      const obj = mutate(JSON.parse(rec.json) as KubeObject);
      const requested = obj.metadata?.resourceVersion;
      if (requested && requested !== rec.resourceVersion) {
        throw newConflict(this.gr, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      this.#keepSystemMeta(obj, old);
      this.strategy.prepareForUpdate(obj, old);
      const errs = [...validateObjectMeta(obj.metadata ?? {}), ...this.strategy.validateUpdate(obj, old)];
      if (errs.length > 0) throw newInvalid({ group: this.gr.group, kind: this.strategy.resource.kind }, name, errs);
      if (JSON.stringify(obj) === JSON.stringify(old) || ctx.dryRun) return Entity.of(obj);
      const result = await this.#call(() => this.store.update(member, rec.resourceVersion, toStoredJson(obj),
        this.#attrs(old), this.strategy.isActive(obj), this.strategy.expiresAt(obj)));
      if (result.ok) return new Entity(result.json);
      if (result.reason === 'NotFound') throw newNotFound(this.gr, name);
    }
  }

  /**
   * Changes what only the system may change (status), past the main resource's update rules:
   * `fn` edits the current object in place, or returns false to leave it as it is.
   */
  async updateStatus(ctx: RequestContext, name: string, fn: (obj: KubeObject) => boolean): Promise<Entity> {
    const member = this.#member(ctx, name);
    for (;;) {
      const rec = await this.#call(() => this.store.get(member));
      if (!rec) throw newNotFound(this.gr, name);
      const old = JSON.parse(rec.json) as KubeObject;
      const obj = JSON.parse(rec.json) as KubeObject;
      if (!fn(obj)) return new Entity(rec.json, old);
      if (ctx.dryRun) return Entity.of(obj);
      const result = await this.#call(() => this.store.update(member, rec.resourceVersion, toStoredJson(obj),
        this.#attrs(old), this.strategy.isActive(obj), this.strategy.expiresAt(obj)));
      if (result.ok) return new Entity(result.json);
      if (result.reason === 'NotFound') throw newNotFound(this.gr, name);
    }
  }

  #keepSystemMeta(obj: KubeObject, old: KubeObject): void {
    const o = old.metadata ?? {};
    const m = (obj.metadata ??= {});
    Object.assign(m, {
      name: o.name, namespace: o.namespace, uid: o.uid, resourceVersion: o.resourceVersion,
      creationTimestamp: o.creationTimestamp, generation: o.generation,
    });
    if (o.deletionTimestamp) m.deletionTimestamp = o.deletionTimestamp;
    else delete m.deletionTimestamp;
  }

  #attrs(obj: KubeObject): string {
    return selectableAttrs(obj.metadata?.labels, this.strategy.fields(obj));
  }

  async delete(ctx: RequestContext, name: string, opts: DeleteOptions): Promise<Entity> {
    const member = this.#member(ctx, name);
    for (;;) {
      const rec = await this.#call(() => this.store.get(member));
      if (!rec) throw newNotFound(this.gr, name);
      const obj = JSON.parse(rec.json) as KubeObject;
      const meta = obj.metadata ?? {};
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== meta.uid) {
        throw newConflict(this.gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid ?? ''}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== rec.resourceVersion) {
        throw newConflict(this.gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${rec.resourceVersion}`);
      }
      if (ctx.dryRun) return new Entity(rec.json, obj);
      if (meta.deletionTimestamp) return new Entity(rec.json, obj);
      const beforeDelete = this.hooks.beforeDelete;
      if (beforeDelete && (await this.#call(() => beforeDelete(obj)))) {
        // Graceful: the object stays, marked, until whoever finishes the deletion removes it.
        const marked = JSON.parse(rec.json) as KubeObject;
        Object.assign((marked.metadata ??= {}), {
          deletionTimestamp: formatTime(Date.now()),
          deletionGracePeriodSeconds: opts.gracePeriodSeconds ?? 30,
        });
        const result = await this.#call(() => this.store.update(member, rec.resourceVersion, toStoredJson(marked),
          this.#attrs(obj), this.strategy.isActive(marked), this.strategy.expiresAt(marked)));
        if (result.ok) return new Entity(result.json);
        continue;
      }
      const result: WriteResult = await this.#call(() =>
        this.store.delete(member, meta.uid ?? '', rec.resourceVersion, toStoredJson(obj), this.#attrs(obj)));
      if (result.ok) {
        await this.#call(async () => this.hooks.afterDelete?.(obj));
        return new Entity(result.json);
      }
      if (result.reason === 'NotFound') throw newNotFound(this.gr, name);
    }
  }

  async deleteCollection(ctx: RequestContext, opts: ListOptions, del: DeleteOptions): Promise<Entity[]> {
    const { items } = await this.list(ctx, { ...opts, limit: undefined, continue: undefined });
    const deleted: Entity[] = [];
    for (const item of items) {
      try {
        deleted.push(await this.delete(ctx, item.object.metadata?.name ?? '', del));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return deleted;
  }

  async list(ctx: RequestContext, opts: ListOptions): Promise<ListResult> {
    const filtered = !opts.labelSelector.empty || !opts.fieldSelector.empty;
    let after: string | undefined;
    let snapshotRv: string | undefined;
    if (opts.continue) {
      const token = decodeContinue(opts.continue);
      await this.#checkSnapshot(ctx.namespace, token.rv, token.start);
      after = token.start;
      snapshotRv = token.rv;
    }
    const items: Entity[] = [];
    let last: string | undefined;
    let remaining = 0;
    let rv = '0';
    for (;;) {
      const want = opts.limit ? Math.min(MAX_PAGE_SCAN, opts.limit - items.length) : undefined;
      const page = await this.#call(() => this.store.list(ctx.namespace, after, want));
      rv = page.resourceVersion;
      remaining = page.remaining;
      for (const [member, json] of page.entries) {
        last = member;
        const e = new Entity(json);
        if (!filtered || this.#matches(e.object, opts)) items.push(e);
      }
      if (!opts.limit || remaining === 0 || items.length >= opts.limit || page.entries.length === 0) break;
      after = last;
    }
    const result: ListResult = { items, resourceVersion: snapshotRv ?? rv };
    if (opts.limit && remaining > 0 && last) {
      result.continue = encodeContinue({ rv: result.resourceVersion, start: last });
      if (!filtered) result.remainingItemCount = remaining;
    }
    return result;
  }

  /** A continue token is served only while nothing after its start changed since its list. */
  async #checkSnapshot(namespace: string, rv: string, start: string): Promise<void> {
    const { changes, expired } = await this.#call(() => this.store.changesAfter(rv, MAX_PAGE_SCAN));
    const touched = changes.some((c) => c.member > start && (!namespace || c.member.startsWith(`${namespace}/`)));
    if (expired || touched || changes.length >= MAX_PAGE_SCAN) {
      throw newResourceExpired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    }
  }

  #matches(obj: KubeObject, opts: { labelSelector: ListOptions['labelSelector']; fieldSelector: ListOptions['fieldSelector'] }): boolean {
    return opts.labelSelector.matches(obj.metadata?.labels) && opts.fieldSelector.matches(this.strategy.fields(obj));
  }

  watch(ctx: RequestContext, opts: WatchOptions, sink: WatchSink): Promise<WatchHandle> {
    return startWatch({
      store: this.store,
      feed: this.feed,
      namespace: ctx.namespace,
      opts,
      sink,
      fields: (obj) => this.strategy.fields(obj),
      list: () => this.list(ctx, { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector }),
    });
  }

  /** Runs a Redis operation; Redis out of reach is a 503 with Retry-After (see callStorage). */
  #call<T>(op: () => Promise<T>): Promise<T> {
    return callStorage(this.store.redis, op);
  }
}
