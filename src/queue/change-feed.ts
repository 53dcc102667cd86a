// One reader of a resource's change stream per process, fanning out to every local listener
// in resourceVersion order. Listeners are called synchronously; they must not block.
import { changeAt, historyIntact, raiseResourceVersion } from './change-history.js';
import { type Change, type ObjectStore, parseChange } from './object-store.js';
import { duplicateClient, type RedisClient } from './redis-client.js';

export type ChangeListener = (changes: Change[]) => void;

/** Told why the history it was given is no longer what Redis holds; see {@link ChangeFeed.subscribeReset}. */
export type ResetListener = (reason: string) => void;

export class ChangeFeed {
  readonly #store: ObjectStore;
  readonly #listeners = new Set<ChangeListener>();
  readonly #resetListeners = new Set<ResetListener>();
  #reader: RedisClient | undefined;
  #last = '0';
  /** The change `#last` stands for, to recognise the history after a reconnection. */
  #lastChange: Change | undefined;
  /** The reader lost its connection since the history was last checked. */
  #reconnected = false;
  #readFailing = false;
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(store: ObjectStore) {
    this.#store = store;
  }

  /** Called when a listener throws; the other listeners still get the changes. */
  onListenerError: (err: unknown) => void = () => {};

  /** Called once when the reader loses Redis (until it is connected again); the feed waits and resumes. */
  onReadError: (err: unknown) => void = () => {};

  /** The resourceVersion of the last change delivered to listeners. */
  get lastResourceVersion(): string {
    return this.#last;
  }

  async start(): Promise<void> {
    const reader = (this.#reader = duplicateClient(this.#store.redis, { maxRetriesPerRequest: null, enableAutoPipelining: false }));
    reader.on('error', (err: unknown) => {
      if (!this.#readFailing) this.onReadError(err);
      this.#readFailing = true;
    });
    reader.on('ready', () => (this.#readFailing = false));
    reader.on('close', () => (this.#reconnected = true));
    this.#last = await this.#store.latestResourceVersion();
    this.#lastChange = await changeAt(this.#store.redis, this.#store.keys, this.#last);
    this.#running = true;
    this.#loop = this.#run();
  }

  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Calls `listener` when, after a reconnection, the stream no longer holds the last change this
   * feed delivered (Redis lost recent writes, or came back empty): changes delivered so far may
   * not have happened, so a watcher must start over from a fresh list. The feed then goes on
   * after the resourceVersion counter, which it raises to at least what it had delivered, so
   * that lastResourceVersion never goes back and no version is handed out twice.
   */
  subscribeReset(listener: ResetListener): () => void {
    this.#resetListeners.add(listener);
    return () => this.#resetListeners.delete(listener);
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
        if (this.#reconnected && !(await this.#checkHistory(reader))) continue;
        const entries = reply?.[0]?.[1];
        if (!entries || entries.length === 0) continue;
        const changes = entries.map(([id, fields]) => parseChange(id, fields));
        this.#lastChange = changes[changes.length - 1] ?? this.#lastChange;
        this.#last = this.#lastChange?.resourceVersion ?? this.#last;
        for (const l of this.#listeners) {
          try {
            l(changes);
          } catch (err) {
            this.onListenerError(err);
          }
        }
      } catch (err) {
        if (!this.#running) break;
        if (!this.#readFailing) this.onReadError(err);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }

  /**
   * After a reconnection: true when the stream still holds what was delivered. Otherwise tells
   * the reset listeners, moves on past the (raised) counter and returns false.
   */
  async #checkHistory(reader: RedisClient): Promise<boolean> {
    const keys = this.#store.keys;
    const intact = await historyIntact(reader, keys, this.#lastChange);
    this.#reconnected = false;
    if (intact) return true;
    const lost = this.#last;
    this.#last = await raiseResourceVersion(reader, keys, lost);
    this.#lastChange = await changeAt(reader, keys, this.#last);
    const reason = `the change history no longer holds resourceVersion ${lost} as it was delivered (Redis lost writes or restarted empty)`;
    for (const l of this.#resetListeners) {
      try {
        l(reason);
      } catch (err) {
        this.onListenerError(err);
      }
    }
    return false;
  }
}
