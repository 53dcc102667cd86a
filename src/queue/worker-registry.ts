// Where workers say how busy they are, so that any apiserver can report every worker: one
// Redis hash `<prefix>:workers`, field = worker id, value = `{"slots":N,"busy":N,"at":ms}`.
// Each worker rewrites its field every few seconds; a field older than the reader's
// `maxAgeMs` belongs to a worker that stopped without saying so, and is removed.
import type { RedisClient } from './redis-client.js';

/** One worker's slots as it last reported them. */
export interface WorkerSlots {
  id: string;
  /** Runs it can execute at once (its --concurrency). */
  slots: number;
  /** Runs it is executing. */
  busy: number;
  /** When it reported (ms since the epoch). */
  at: number;
}

/** The key of the workers hash under a deployment's prefix. */
export function workersKey(prefix: string): string {
  return `${prefix}:workers`;
}

export class WorkerRegistry {
  readonly key: string;

  constructor(
    readonly redis: RedisClient,
    prefix: string,
  ) {
    this.key = workersKey(prefix);
  }

  /** Records a worker's slots now. */
  async report(id: string, slots: number, busy: number, now = Date.now()): Promise<void> {
    await this.redis.hset(this.key, id, JSON.stringify({ slots, busy, at: now }));
  }

  /** Forgets a worker that stops. */
  async remove(id: string): Promise<void> {
    await this.redis.hdel(this.key, id);
  }

  /** The workers that reported within `maxAgeMs`, by id; older entries are deleted. */
  async list(maxAgeMs: number, now = Date.now()): Promise<WorkerSlots[]> {
    const all = await this.redis.hgetall(this.key);
    const live: WorkerSlots[] = [];
    const stale: string[] = [];
    for (const [id, text] of Object.entries(all)) {
      const w = parse(id, text);
      if (w && now - w.at <= maxAgeMs) live.push(w);
      else stale.push(id);
    }
    if (stale.length > 0) await this.redis.hdel(this.key, ...stale);
    return live.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}

function parse(id: string, text: string): WorkerSlots | undefined {
  try {
    const v = JSON.parse(text) as Partial<WorkerSlots>;
    if (typeof v.slots !== 'number' || typeof v.busy !== 'number' || typeof v.at !== 'number') return undefined;
    return { id, slots: v.slots, busy: v.busy, at: v.at };
  } catch {
    return undefined;
  }
}
