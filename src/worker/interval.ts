/**
 * Runs `fn` every `ms` without overlapping runs (a run still going skips the tick); failures are
 * left to `fn`. The timer does not keep the process alive.
 */
export function everyNonOverlapping(ms: number, fn: () => Promise<void>): NodeJS.Timeout {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    fn().catch(() => undefined).finally(() => (busy = false));
  }, ms);
  timer.unref();
  return timer;
}
