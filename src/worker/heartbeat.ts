// A worker's report of its slots (kubeactions_worker_slots / _busy_slots on every apiserver's
// /metrics): written at start, every HEARTBEAT_INTERVAL_MS, and removed when the worker stops.
import type { Logger } from 'pino';
import type { WorkerRegistry } from '../queue/worker-registry.js';
import { everyNonOverlapping } from './interval.js';
import { settledWithin } from './settled-within.js';
import { warnThrottled } from './store-retry.js';

/** How often a worker reports its slots. */
export const HEARTBEAT_INTERVAL_MS = 2000;

/** How long stopping waits for the entry's removal. */
const REMOVE_WAIT_MS = 1000;

/** A report older than this means the worker is gone (it missed five reports). */
export const HEARTBEAT_MAX_AGE_MS = 5 * HEARTBEAT_INTERVAL_MS;

/** What a heartbeat reads of a worker. */
export interface SlotSource {
  readonly id: string;
  readonly opts: { readonly concurrency: number };
  readonly busySlots: number;
  /** Where failed reports are logged (at warn); they are retried at the next interval. */
  readonly log?: Logger;
}

export interface Heartbeat {
  /** Stops reporting and removes the worker's entry (waiting at most a second: a stale entry ages out). */
  stop(): Promise<void>;
}

/** Starts reporting `worker`'s slots to `registry`; resolves once the first report is written. */
export async function startHeartbeat(registry: WorkerRegistry, worker: SlotSource, intervalMs = HEARTBEAT_INTERVAL_MS): Promise<Heartbeat> {
  const report = (): Promise<void> => registry.report(worker.id, worker.opts.concurrency, worker.busySlots);
  await report();
  const warn = worker.log ? warnThrottled(worker.log, 'reporting the worker\'s slots failed; retried at the next interval') : () => undefined;
  const timer = everyNonOverlapping(intervalMs, () => report().catch(warn));
  return {
    stop: async () => {
      clearInterval(timer);
      // Best effort, bounded: with Redis away the entry is left to age out.
      await settledWithin(registry.remove(worker.id), REMOVE_WAIT_MS);
    },
  };
}
