// Every Redis key kube-actions uses comes from here. All keys of a deployment share one hash
// tag, so that Lua scripts and MULTI transactions (records + BullMQ jobs) work on Redis Cluster.

export const DEFAULT_PREFIX = '{ka}';

/**
 * Keys of one resource's records (e.g. `workflowruns`), under `<prefix>:r:<resource>` so they
 * never meet BullMQ's queue keys (`<prefix>:<queue>:…`).
 */
export class ResourceKeys {
  readonly base: string;
  constructor(
    readonly prefix: string,
    readonly resource: string,
  ) {
    this.base = `${prefix}:r:${resource}`;
  }
  /** Hash `{j: json, r: resourceVersion}` of one object; `member` is `<namespace>/<name>`. */
  object(member: string): string {
    return `${this.base}:obj:${member}`;
  }
  get objectPrefix(): string {
    return `${this.base}:obj:`;
  }
  /** Sorted set (all scores 0) of members, for ordered, paginated lists. */
  get index(): string {
    return `${this.base}:idx`;
  }
  /** Counter whose value is the latest resourceVersion. */
  get resourceVersion(): string {
    return `${this.base}:rv`;
  }
  /** Stream of changes; entry id `<rv>-0`, fields t (type), k (member), o (object), p (previous attrs). */
  get changes(): string {
    return `${this.base}:changes`;
  }
  /** uid → member. */
  uid(uid: string): string {
    return `${this.base}:uid:${uid}`;
  }
  /** Set of members that are not finished. */
  get active(): string {
    return `${this.base}:active`;
  }
  /** Sorted set of members by expiry time (ms). */
  get ttl(): string {
    return `${this.base}:ttl`;
  }
  /** Stream of an object's log lines. */
  log(uid: string): string {
    return `${this.base}:log:${uid}`;
  }
  /** Pub/sub channel for control messages to workers (stop, stdin, …). */
  get control(): string {
    return `${this.base}:control`;
  }
}
