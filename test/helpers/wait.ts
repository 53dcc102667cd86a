import { setTimeout as sleep } from 'node:timers/promises';

/** How long {@link waitFor} polls and what it reports on timeout. */
export interface WaitForOptions {
  timeoutMs: number;
  /** Defaults to 10 ms. */
  intervalMs?: number;
  /** What is awaited, for the timeout error: "timed out after N ms waiting for <message>". */
  message: string;
}

/**
 * Polls `cond` until it returns true; rejects after `timeoutMs` with an Error naming `message`
 * (and the last error `cond` threw, if any — a throwing `cond` counts as false). Tests use this
 * instead of fixed sleeps.
 */
export async function waitFor(cond: () => boolean | Promise<boolean>, opts: WaitForOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await cond()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.message}${cause}`);
    }
    await sleep(opts.intervalMs ?? 10);
  }
}
