// The soak's figures: per-verb summaries, the memory check, and the rows of the printed table.
import { type Row, type Target, row } from '../report.js';
import { quantile } from '../stats.js';
import type { MemorySample } from './memory.js';
import type { VerbStats } from './pacer.js';

const MiB = 2 ** 20;
const KEPT_ERRORS = 5;

/** One verb over the measured period (errors include the warm-up's). */
export interface VerbSummary {
  count: number;
  perSecond: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
  firstErrors: string[];
  /** Starts dropped because the verb fell more than a second behind its rate. */
  dropped: number;
}

/**
 * How much memory may grow from the start sample (after the warm-up, every watch open) to the
 * end one, both taken after a full GC:
 * - V8 heap used, per process: 8 MiB. What is left after a full GC is live data, and the mix
 *   keeps the number of runs, watches and connections about the same, so the live set should
 *   stay too. Runs of 8 s and 60 s on the 2-core development machine grew it by 0.2-1.4 MiB,
 *   the same for both lengths; 8 MiB is well above that, and below what a leak of a few hundred
 *   bytes per request or per watch event would add over the ~10^4 requests and ~4·10^5 watch
 *   events of a 60 s soak.
 * - RSS, per process: 48 MiB. RSS also holds heap pages V8 keeps after a GC, young-generation
 *   space that grows under load, and malloc'd TLS and socket buffers; the same runs moved it by
 *   1-12 MiB. The bound catches a native leak of tens of MiB without failing on that noise.
 * - Redis used_memory minus the two streams capped by design (the change feed, capped at
 *   --change-history entries, and BullMQ's event stream, capped at 10,000): 8 MiB. The rest is
 *   runs, their logs and queue jobs, which the mix's deletes keep at about the same number
 *   (-0.5 to +0.4 MiB seen).
 */
export const MEMORY_BOUNDS = { heapMiB: 8, rssMiB: 48, redisMiB: 8 } as const;

/** Summarizes a verb: the measured phase's latencies over `seconds`, errors of both phases. */
export function summarizeVerb(measured: VerbStats, warmup: VerbStats | undefined, seconds: number, count = measured.latencies.length): VerbSummary {
  const sorted = [...measured.latencies].sort((a, b) => a - b);
  return {
    count, perSecond: count / seconds,
    p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), p999: quantile(sorted, 0.999),
    errors: measured.errors + (warmup?.errors ?? 0),
    firstErrors: [...(warmup?.firstErrors ?? []), ...measured.firstErrors].slice(0, KEPT_ERRORS),
    dropped: measured.dropped + (warmup?.dropped ?? 0),
  };
}

function mib(bytes: number | undefined): string {
  return ((bytes ?? Number.NaN) / MiB).toFixed(1);
}

const none: Target = { text: '= 0', check: (ours) => ours === 0 };

function atMostPlus(start: number, bound: number): Target {
  return { text: `≤ start + ${bound} MiB`, check: (ours) => ours <= start + bound };
}

/** Rows of one verb: count, throughput, latency quantiles, errors. */
export function verbRows(verb: string, v: VerbSummary, latencyNote: string): Row[] {
  const errorNote = v.errors > 0 ? `${verb} errors, first ones: ${v.firstErrors.join(' | ')}` : undefined;
  const dropNote = v.dropped > 0 ? `${verb}: ${v.dropped} starts dropped (more than a second behind its rate)` : undefined;
  return [
    row('soak', `${verb}: count`, '', v.count, dropNote ? { note: dropNote } : {}),
    row('soak', `${verb}: throughput`, '/s', v.perSecond),
    row('soak', `${verb}: p50`, 'ms', v.p50, { note: latencyNote }),
    row('soak', `${verb}: p99`, 'ms', v.p99),
    row('soak', `${verb}: p999`, 'ms', v.p999),
    row('soak', `${verb}: errors`, '', v.errors, { target: none, ...(errorNote ? { note: errorNote } : {}) }),
  ];
}

/** Memory rows: per process RSS at start and end and heap growth; Redis used_memory and its growth without the capped streams. */
export function memoryRows(start: MemorySample, end: MemorySample): Row[] {
  const out: Row[] = [];
  const note = 'after a full GC (HeapProfiler.collectGarbage through the process\'s inspector), process.memoryUsage(); '
    + 'start = after the warm-up, with every watch open; end = after the measured period and the watch check';
  for (const [name, s] of Object.entries(start.processes)) {
    const e = end.processes[name];
    const rssStart = s.rss / MiB;
    out.push(
      row('soak', `${name}: RSS at start`, 'MiB', rssStart, out.length === 0 ? { note } : {}),
      row('soak', `${name}: RSS at end`, 'MiB', (e?.rss ?? Number.NaN) / MiB, { target: atMostPlus(rssStart, MEMORY_BOUNDS.rssMiB) }),
      row('soak', `${name}: heap used growth`, 'MiB', ((e?.heapUsed ?? Number.NaN) - s.heapUsed) / MiB, {
        target: { text: `≤ ${MEMORY_BOUNDS.heapMiB} MiB`, check: (ours) => ours <= MEMORY_BOUNDS.heapMiB },
        note: `${name}: heap used ${mib(s.heapUsed)} → ${mib(e?.heapUsed)} MiB, external (Buffers included) ${mib(s.external)} → ${mib(e?.external)} MiB`,
      }),
    );
  }
  const data = (m: MemorySample): number => (m.redis.usedMemory - m.redis.cappedStreams) / MiB;
  out.push(
    row('soak', 'redis used_memory at start', 'MiB', start.redis.usedMemory / MiB),
    row('soak', 'redis used_memory at end', 'MiB', end.redis.usedMemory / MiB, {
      note: `change feed ${start.redis.changeEvents} → ${end.redis.changeEvents} events; capped streams `
        + `${(start.redis.cappedStreams / MiB).toFixed(1)} → ${(end.redis.cappedStreams / MiB).toFixed(1)} MiB; keys ${start.redis.keys} → ${end.redis.keys}`,
    }),
    row('soak', 'redis used_memory growth without capped streams', 'MiB', data(end) - data(start), {
      target: { text: `≤ ${MEMORY_BOUNDS.redisMiB} MiB`, check: (ours) => ours <= MEMORY_BOUNDS.redisMiB },
    }),
  );
  return out;
}
