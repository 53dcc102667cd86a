// One reader of a resource's change stream per process, fanning out to every local listener
// in resourceVersion order. Listeners are called synchronously; they must not block.
import type { Redis } from 'ioredis';
import { type Change, type ObjectStore, parseChange } from './object-store.js';

export type ChangeListener = (changes: Change[]) => void;

export class ChangeFeed {
  readonly #store: ObjectStore;
  readonly #listeners = new Set<ChangeListener>();
  #reader: Redis | undefined;
  #last = '0';
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(store: ObjectStore) {
    this.#store = store;
  }

  /** Called when a listener throws; the other listeners still get the changes. */
  onListenerError: (err: unknown) => void = () => {};

  /** The resourceVersion of the last change delivered to listeners. */
  get lastResourceVersion(): string {
    return this.#last;
  }

  async start(): Promise<void> {
    this.#reader = this.#store.redis.duplicate({ maxRetriesPerRequest: null, enableAutoPipelining: false });
    this.#last = await this.#store.latestResourceVersion();
    this.#running = true;
    this.#loop = this.#run();
  }

  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#reader?.disconnect();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const reader = this.#reader;
    if (!reader) return;
    let backoff = 50;
    while (this.#running) {
      try {
        const reply = await reader.xread('COUNT', 1000, 'BLOCK', 5000, 'STREAMS', this.#store.keys.changes, `${this.#last}-0`);
        backoff = 50;
        const entries = reply?.[0]?.[1];
        if (!entries || entries.length === 0) continue;
        const changes = entries.map(([id, fields]) => parseChange(id, fields));
        this.#last = changes[changes.length - 1]?.resourceVersion ?? this.#last;
        for (const l of this.#listeners) {
          try {
            l(changes);
          } catch (err) {
            this.onListenerError(err);
          }
        }
      } catch {
        if (!this.#running) break;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }
}
