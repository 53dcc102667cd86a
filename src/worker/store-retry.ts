// What the worker writes must not be lost to a Redis restart: a write that fails for want of
// Redis is tried again until Redis is back; every other failure is the caller's.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isRedisUnavailable } from '../queue/unavailable.js';

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 1000;

/** The delay before retry number `n` (0-based): 100 ms doubling up to 1 s. */
export function retryDelay(n: number): number {
  return Math.min(FIRST_DELAY_MS * 2 ** n, MAX_DELAY_MS);
}

/**
 * Runs `op` until it does not fail with Redis out of reach (see isRedisUnavailable), waiting
 * between tries; logs the first such failure at warn and the success after it at info, naming
 * `what`. Any other error rejects at once.
 */
export async function untilStored<T>(what: string, log: Logger, op: () => Promise<T>): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      const result = await op();
      if (n > 0) log.info({ tries: n + 1 }, `${what}: written after Redis came back`);
      return result;
    } catch (err) {
      if (!isRedisUnavailable(err)) throw err;
      if (n === 0) log.warn({ err }, `${what}: Redis is unavailable; retrying until it is back`);
      await sleep(retryDelay(n));
    }
  }
}

/**
 * A handler for errors of something that retries by itself (a periodic task, BullMQ's worker):
 * logs at warn, at most once per `intervalMs`, with how many were left out in between.
 */
export function warnThrottled(log: Logger, what: string, intervalMs = 5000): (err: unknown) => void {
  let last = 0;
  let suppressed = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < intervalMs) {
      suppressed++;
      return;
    }
    log.warn({ err, ...(suppressed > 0 ? { suppressed } : {}) }, what);
    last = now;
    suppressed = 0;
  };
}
