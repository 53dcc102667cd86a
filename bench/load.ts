// Load drivers: closed loop (N operations in flight) and open loop (operations started at a
// fixed rate, whatever the answers' speed).
import { monoMs } from './clock.js';

/** One operation; resolves to an error message, or undefined on success. */
export type Operation = (i: number) => Promise<string | undefined>;

/** What a load run did. */
export interface LoadResult {
  /** Latencies (ms) of the successful operations. */
  latencies: number[];
  completed: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
}

/** Successful operations per second. */
export function throughput(r: LoadResult): number {
  return (r.latencies.length * 1000) / r.elapsedMs;
}

/**
 * Runs `op` from `concurrency` loops until `count` operations were started or `durationMs`
 * passed (whichever is given; both bound the loop), and resolves when all have finished.
 */
export async function closedLoop(o: { concurrency: number; count?: number; durationMs?: number; op: Operation }): Promise<LoadResult> {
  const count = o.count ?? Number.POSITIVE_INFINITY;
  const start = monoMs();
  const deadline = o.durationMs === undefined ? Number.POSITIVE_INFINITY : start + o.durationMs;
  const result: LoadResult = { latencies: [], completed: 0, errors: 0, elapsedMs: 0 };
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < count && monoMs() < deadline) {
      const i = next++;
      const t0 = monoMs();
      const error = await o.op(i).catch((err: unknown) => String(err));
      record(result, error, monoMs() - t0);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, loop));
  result.elapsedMs = monoMs() - start;
  return result;
}

function record(result: LoadResult, error: string | undefined, latency: number): void {
  result.completed++;
  if (error === undefined) {
    result.latencies.push(latency);
    return;
  }
  result.errors++;
  result.firstError ??= error;
}

/** An open-loop run, with when each operation started. */
export interface OpenLoopResult extends LoadResult {
  /** Start times (monoMs) of each operation, by index. */
  startTimes: number[];
  /** The rate actually offered: operations per second between the first and the last start. */
  offeredRate: number;
}

/** Starts `count` operations at `rate` per second and resolves when all have finished. */
export async function openLoop(o: { rate: number; count: number; op: Operation }): Promise<OpenLoopResult> {
  const result: OpenLoopResult = { latencies: [], completed: 0, errors: 0, elapsedMs: 0, startTimes: [], offeredRate: 0 };
  const pending: Promise<void>[] = [];
  const start = monoMs();
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = (): void => {
      const due = Math.min(o.count, Math.floor(((monoMs() - start) * o.rate) / 1000) + 1);
      for (; i < due; i++) {
        const t0 = monoMs();
        result.startTimes[i] = t0;
        pending.push(o.op(i).catch((err: unknown) => String(err)).then((error) => record(result, error, monoMs() - t0)));
      }
      if (i < o.count) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  const lastStart = result.startTimes[o.count - 1] ?? start;
  result.offeredRate = o.count > 1 ? ((o.count - 1) * 1000) / (lastStart - start) : 0;
  await Promise.all(pending);
  result.elapsedMs = monoMs() - start;
  return result;
}
