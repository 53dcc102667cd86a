// The short-lived answer caches of the TokenReview and SubjectAccessReview clients
// (k8s.io/apiserver's cached token authenticator and webhook authorizer response cache).

interface Entry<V> {
  value: V;
  expires: number;
}

/** A value to cache and how long to keep it (0 or less: not cached). */
export interface Loaded<V> {
  value: V;
  ttlMs: number;
}

/**
 * A bounded cache of expiring entries. When full, the oldest entry is dropped. Concurrent loads
 * of one key share one call; a load that throws is not cached.
 */
export class TTLCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #loading = new Map<string, Promise<V>>();

  constructor(
    readonly maxEntries: number,
    readonly now: () => number = Date.now,
  ) {}

  /** The live value under `key`, if any. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expires > this.now()) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  /** Keeps `value` for `ttlMs` milliseconds (not at all when `ttlMs` ≤ 0). */
  set(key: string, value: V, ttlMs: number): void {
    this.#entries.delete(key);
    if (ttlMs <= 0) return;
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expires: this.now() + ttlMs });
  }

  /** The cached value, else the result of `load` (kept for the TTL it names). */
  getOrLoad(key: string, load: () => Promise<Loaded<V>>): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    const pending = this.#loading.get(key);
    if (pending) return pending;
    const promise = load()
      .then((loaded) => {
        this.set(key, loaded.value, loaded.ttlMs);
        return loaded.value;
      })
      .finally(() => this.#loading.delete(key));
    this.#loading.set(key, promise);
    return promise;
  }
}
