// The runs the soak created and has not deleted yet: which reads may target, and which the
// deleter may take (the oldest no read is using).
import { monoMs } from '../clock.js';

/** One created run. */
export interface LiveRun {
  name: string;
  namespace: string;
  /** Value of its `soak-shard` label. */
  shard: string;
  /** monoMs of its create's 201. */
  createdAt: number;
  /** Reads in flight on it; the deleter skips it while any are. */
  users: number;
}

/** Live runs in creation order. */
export class RunPool {
  readonly #runs: LiveRun[] = [];

  get size(): number {
    return this.#runs.length;
  }

  add(run: Omit<LiveRun, 'users' | 'createdAt'>): void {
    this.#runs.push({ ...run, createdAt: monoMs(), users: 0 });
  }

  /** A random live run, or the newest when `newest`; undefined while there is none. */
  pick(newest = false): LiveRun | undefined {
    const n = this.#runs.length;
    return newest ? this.#runs[n - 1] : this.#runs[Math.floor(Math.random() * n)];
  }

  /** Runs `fn` on `run` while keeping the deleter off it. */
  async use<T>(run: LiveRun, fn: (run: LiveRun) => Promise<T>): Promise<T> {
    run.users++;
    try {
      return await fn(run);
    } finally {
      run.users--;
    }
  }

  /** Removes and returns the oldest run created at least `minAgeMs` ago that no read is using. */
  takeOldest(minAgeMs: number): LiveRun | undefined {
    const cutoff = monoMs() - minAgeMs;
    const at = this.#runs.findIndex((r) => r.createdAt <= cutoff && r.users === 0);
    if (at < 0) return undefined;
    return this.#runs.splice(at, 1)[0];
  }
}
