// A clock shared by every process on the machine: CLOCK_MONOTONIC (process.hrtime), so times
// taken in the bench process and in its child processes can be subtracted from each other.

/** Milliseconds on the machine-wide monotonic clock, with microsecond resolution. */
export function monoMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A wall clock (ms since the epoch, as `date +%s%N` sees it) with sub-millisecond resolution:
 * performance.now() anchored to the moment Date.now() ticks (busy-waits up to 1 ms). Good for
 * seconds: the anchor does not follow later adjustments of the system time.
 */
export function wallClock(): () => number {
  const start = Date.now();
  let tick = Date.now();
  while (tick === start) tick = Date.now();
  const offset = tick - performance.now();
  return () => offset + performance.now();
}
