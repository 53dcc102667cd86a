// Read-modify-write of one record with optimistic concurrency, for processes that change
// records outside the API (the worker): status transitions, TTL deletion, reconciliation.
import { type ObjectStore, selectableAttrs, toStoredJson } from './object-store.js';

export interface RecordPolicy<T> {
  labels(obj: T): Record<string, string> | undefined;
  fields(obj: T): Record<string, string>;
  active(obj: T): boolean;
  expiresAt(obj: T): number | undefined;
}

type Obj = { metadata?: object };

export class Records<T extends Obj> {
  constructor(
    readonly store: ObjectStore,
    readonly policy: RecordPolicy<T>,
  ) {}

  async read(member: string): Promise<{ obj: T; resourceVersion: string } | undefined> {
    const rec = await this.store.get(member);
    return rec ? { obj: JSON.parse(rec.json) as T, resourceVersion: rec.resourceVersion } : undefined;
  }

  /**
   * Applies `fn` to the current object until the write wins. `fn` returns false to leave the
   * object as it is. Resolves to the written (or unchanged) object, or undefined when the
   * record does not exist (any more).
   */
  async mutate(member: string, fn: (obj: T) => boolean): Promise<T | undefined> {
    for (;;) {
      const cur = await this.read(member);
      if (!cur) return undefined;
      const before = selectableAttrs(this.policy.labels(cur.obj), this.policy.fields(cur.obj));
      if (!fn(cur.obj)) return cur.obj;
      const r = await this.store.update(member, cur.resourceVersion, toStoredJson(cur.obj), before,
        this.policy.active(cur.obj), this.policy.expiresAt(cur.obj));
      if (r.ok) return JSON.parse(r.json) as T;
      if (r.reason === 'NotFound') return undefined;
    }
  }

  /** Deletes the record (with its log); false when it was gone already. */
  async remove(member: string): Promise<boolean> {
    for (;;) {
      const cur = await this.read(member);
      if (!cur) return false;
      const uid = String((cur.obj.metadata as { uid?: string } | undefined)?.uid ?? '');
      const attrs = selectableAttrs(this.policy.labels(cur.obj), this.policy.fields(cur.obj));
      const r = await this.store.delete(member, uid, cur.resourceVersion, toStoredJson(cur.obj), attrs);
      if (r.ok) return true;
      if (r.reason === 'NotFound') return false;
    }
  }
}
