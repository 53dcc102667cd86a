// Records of one resource in Redis: every change is one Lua call that writes the record and
// appends its event to the change stream; the event's sequence number is the resourceVersion.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { ResourceKeys } from './keys.js';
import type { RedisClient } from './redis-client.js';

/** Stands for the resourceVersion in JSON handed to the store; Lua puts the real one in. */
export const RV_PLACEHOLDER = '@@RV@@';

const SCRIPTS = {
  kaCreate: 'create-6',
  kaUpdate: 'update-5',
  kaDelete: 'delete-8',
  kaList: 'list-2',
} as const;

function loadScript(file: string): LoadedScript {
  const lua = readFileSync(new URL(`./lua/${file}.lua`, import.meta.url), 'utf8');
  return { lua, numberOfKeys: Number(file.split('-')[1]), sha: createHash('sha1').update(lua).digest('hex') };
}

const LOADED = Object.fromEntries(Object.entries(SCRIPTS).map(([name, file]) => [name, loadScript(file)])) as Record<keyof typeof SCRIPTS, LoadedScript>;

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;
type Scripted = Record<keyof typeof SCRIPTS, ScriptFn>;

export interface StoredRecord {
  json: string;
  resourceVersion: string;
}

export interface Change {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resourceVersion: string;
  member: string;
  json: string;
  /** Selectable attributes of the previous state (JSON), on MODIFIED and DELETED. */
  previous?: string;
}

/**
 * Runs the creation's script together with other writes in one transaction: `run` gets the
 * script (sha, source, number of keys) and its keys and arguments, and resolves to its reply.
 */
export interface CreateTransaction {
  run(script: LoadedScript, args: string[]): Promise<unknown>;
}

export interface LoadedScript {
  lua: string;
  numberOfKeys: number;
  sha: string;
}

export type WriteResult =
  | { ok: true; resourceVersion: string; json: string }
  | { ok: false; reason: 'NotFound' | 'Exists' | 'Conflict'; current?: string };

export interface ObjectStoreOptions {
  redis: RedisClient;
  prefix: string;
  resource: string;
  /** Approximate number of change events kept for watch resumption. */
  changeHistory: number;
}

export function withResourceVersion(json: string, rv: string): string {
  return json.replace(`"${RV_PLACEHOLDER}"`, `"${rv}"`);
}

export class ObjectStore {
  readonly keys: ResourceKeys;
  readonly redis: RedisClient;
  readonly #maxLen: string;

  constructor(opts: ObjectStoreOptions) {
    this.redis = opts.redis;
    this.keys = new ResourceKeys(opts.prefix, opts.resource);
    this.#maxLen = String(opts.changeHistory);
    for (const [name, script] of Object.entries(LOADED)) {
      if (!(name in this.redis)) this.redis.defineCommand(name, script);
    }
  }

  get #scripts(): Scripted {
    return this.redis as unknown as Scripted;
  }

  async get(member: string): Promise<StoredRecord | undefined> {
    const [json, rv] = await this.redis.hmget(this.keys.object(member), 'j', 'r');
    return json && rv ? { json, resourceVersion: rv } : undefined;
  }

  async memberOfUid(uid: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.uid(uid))) ?? undefined;
  }

  async latestResourceVersion(): Promise<string> {
    return (await this.redis.get(this.keys.resourceVersion)) ?? '0';
  }

  /**
   * Creates `member`. `alsoInTransaction` may queue more commands (a BullMQ job) on the same
   * MULTI, so that both happen or neither does.
   */
  async create(
    member: string,
    uid: string,
    json: string,
    active: boolean,
    transaction?: CreateTransaction,
  ): Promise<WriteResult> {
    const k = this.keys;
    const args = [k.object(member), k.index, k.resourceVersion, k.changes, k.uid(uid), k.active, member, json, this.#maxLen, active ? '1' : '0'];
    const reply = transaction ? await transaction.run(LOADED.kaCreate, args) : await this.#scripts.kaCreate(...args);
    const [code] = reply as [number | string];
    if (code === -1) return { ok: false, reason: 'Exists' };
    const rv = String(code);
    return { ok: true, resourceVersion: rv, json: withResourceVersion(json, rv) };
  }

  async update(
    member: string,
    expectedRv: string,
    json: string,
    previous: string,
    active: boolean,
    expireAtMs?: number,
  ): Promise<WriteResult> {
    const k = this.keys;
    const reply = (await this.#scripts.kaUpdate(
      k.object(member), k.resourceVersion, k.changes, k.active, k.ttl,
      member, expectedRv, json, previous, this.#maxLen, active ? '1' : '0',
      expireAtMs === undefined ? '' : String(expireAtMs),
    )) as [number, string?];
    return this.#result(reply, json);
  }

  async delete(
    member: string,
    uid: string,
    expectedRv: string,
    json: string,
    previous: string,
  ): Promise<WriteResult> {
    const k = this.keys;
    const reply = (await this.#scripts.kaDelete(
      k.object(member), k.index, k.resourceVersion, k.changes, k.uid(uid), k.active, k.ttl, k.log(uid),
      member, expectedRv, json, previous, this.#maxLen,
    )) as [number, string?];
    return this.#result(reply, json);
  }

  #result(reply: [number, string?], json: string): WriteResult {
    const [code, current] = reply;
    if (code === -1) return { ok: false, reason: 'NotFound' };
    if (code === -2) return { ok: false, reason: 'Conflict', current };
    const rv = String(code);
    return { ok: true, resourceVersion: rv, json: withResourceVersion(json, rv) };
  }

  /**
   * Members (and their JSON) in lexicographic order, within `namespace` (all when empty),
   * strictly after `after`; at most `limit` of them (all when undefined).
   */
  async list(
    namespace: string,
    after: string | undefined,
    limit: number | undefined,
  ): Promise<{ resourceVersion: string; remaining: number; entries: [string, string][] }> {
    const lo = namespace ? `${namespace}/` : '';
    const min = after !== undefined ? `(${after}` : lo ? `[${lo}` : '-';
    const max = namespace ? `[${namespace}/\xff` : '+';
    const reply = (await this.#scripts.kaList(
      this.keys.index, this.keys.resourceVersion,
      min, max, limit === undefined ? '-1' : String(limit), this.keys.objectPrefix,
    )) as (string | number)[];
    const entries: [string, string][] = [];
    for (let i = 2; i + 1 < reply.length; i += 2) {
      const json = reply[i + 1];
      if (typeof json === 'string') entries.push([String(reply[i]), json]);
    }
    return { resourceVersion: String(reply[0]), remaining: Number(reply[1]), entries };
  }

  /**
   * Changes with resourceVersion > `after`, at most `count`. `expired` is true when some of
   * them are no longer retained.
   */
  async changesAfter(after: string, count: number): Promise<{ changes: Change[]; expired: boolean }> {
    const from = BigInt(after) + 1n;
    const raw = await this.redis.xrange(this.keys.changes, `${from}-0`, '+', 'COUNT', count);
    const changes = raw.map(([id, fields]) => parseChange(id, fields));
    let expired = false;
    const first = changes[0];
    if (first ? first.resourceVersion !== String(from) : (await this.latestResourceVersion()) !== after) {
      expired = BigInt(await this.latestResourceVersion()) > BigInt(after);
    }
    return { changes, expired };
  }

  /** Members whose ttl expired by `nowMs`. */
  async expired(nowMs: number, count: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.ttl, '-inf', nowMs, 'LIMIT', 0, count);
  }

  async activeMembers(): Promise<string[]> {
    return this.redis.smembers(this.keys.active);
  }
}

export function parseChange(id: string, fields: string[]): Change {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
  return {
    type: f.t as Change['type'],
    resourceVersion: id.slice(0, id.indexOf('-')),
    member: f.k ?? '',
    json: f.o ?? '',
    ...(f.p !== undefined ? { previous: f.p } : {}),
  };
}

interface MetaLike {
  metadata?: object;
}

/**
 * JSON of an object for the store: `metadata.resourceVersion` becomes the placeholder, placed
 * before any user-controlled metadata so that it is the first occurrence the scripts replace.
 */
export function toStoredJson(obj: MetaLike): string {
  const { name, generateName, namespace, uid, resourceVersion: _rv, ...rest } = (obj.metadata ?? {}) as Record<string, unknown>;
  const metadata = { name, generateName, namespace, uid, resourceVersion: RV_PLACEHOLDER, ...rest };
  return JSON.stringify({ ...obj, metadata });
}

/** The attributes a watch selector may look at, stored with MODIFIED/DELETED events. */
export function selectableAttrs(labels: Record<string, string> | undefined, fields: Record<string, string>): string {
  return JSON.stringify({ l: labels ?? {}, f: fields });
}
