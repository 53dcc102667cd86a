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
