// Rate-limited load: each verb's operations start at a fixed rate, with a bound on how many
// may be in flight; what each did is recorded per verb.
import { monoMs, sleep } from '../clock.js';

/** One operation: resolves true when done, false when there was nothing to do; throws on an error. */
export type Operation = (i: number) => Promise<boolean>;

/** One verb of the mix. */
export interface Verb {
  name: string;
  /** Operations started per second. */
  rate: number;
  /** Operations in flight at most; starts wait (and fall behind the rate) beyond it. */
  maxInFlight: number;
  op: Operation;
}

/** What one verb did in one phase. */
export interface VerbStats {
  /** Latencies (ms) of the successful operations. */
  latencies: number[];
  errors: number;
  /** The first few error messages. */
  firstErrors: string[];
  /** Starts dropped because the verb was more than a second behind its rate (in-flight bound reached). */
  dropped: number;
}

const TICK_MS = 5;
const KEPT_ERRORS = 5;

/** Empty stats. */
export function newStats(): VerbStats {
  return { latencies: [], errors: 0, firstErrors: [], dropped: 0 };
}

/** Counts `count` errors described by `message` on `s`, keeping the message if it is among the first few. */
export function recordError(s: VerbStats, message: string, count = 1): void {
  s.errors += count;
  if (s.firstErrors.length < KEPT_ERRORS) s.firstErrors.push(message);
}

/**
 * Runs `verbs` for `durationMs` and resolves when every started operation has finished, with
 * each verb's stats (by name).
 */
export async function drive(verbs: Verb[], durationMs: number): Promise<Map<string, VerbStats>> {
  const lanes = verbs.map((v) => ({ v, s: newStats(), started: 0, inFlight: 0 }));
  const pending = new Set<Promise<void>>();
  const launch = (lane: (typeof lanes)[number]): void => {
    const i = lane.started++;
    lane.inFlight++;
    const t = monoMs();
    const p: Promise<void> = lane.v.op(i).then(
      (done) => void (done && lane.s.latencies.push(monoMs() - t)),
      (err: unknown) => recordError(lane.s, err instanceof Error ? err.message : String(err)),
    ).finally(() => {
      lane.inFlight--;
      pending.delete(p);
    });
    pending.add(p);
  };
  const t0 = monoMs();
  for (let elapsed = 0; elapsed < durationMs; elapsed = monoMs() - t0) {
    for (const lane of lanes) {
      const due = Math.floor((elapsed * lane.v.rate) / 1000) + 1;
      const behind = due - lane.started - Math.ceil(lane.v.rate);
      if (behind > 0) {
        lane.s.dropped += behind;
        lane.started += behind;
      }
      while (lane.started < due && lane.inFlight < lane.v.maxInFlight) launch(lane);
    }
    await sleep(TICK_MS);
  }
  while (pending.size > 0) await Promise.all(pending);
  return new Map(lanes.map((l) => [l.v.name, l.s]));
}
