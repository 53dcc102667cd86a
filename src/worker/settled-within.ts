// Waiting for something that may never end (a Redis command while Redis is away), up to a bound.
import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves true once `work` settles (fulfilled or rejected), or false after `ms` if it has not. */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  const settled = work.then(() => true, () => true);
  const expired = sleep(ms, false, { signal: timer.signal }).catch(() => true);
  const outcome = await Promise.race([settled, expired]);
  timer.abort();
  return outcome;
}
