// LogREST: GET …/workflowruns/NAME/log as text/plain, steps in order; `follow` streams until
// the run ends (after pods/log, pkg/registry/core/pod/rest/log.go).
import { setTimeout as sleep } from 'node:timers/promises';
import { isNotFound, isServiceUnavailable, newBadRequest } from '../../apiserver/errors.js';
import type { ResourceStreamer, StreamGetter } from '../../apiserver/handlers/types.js';
import type { Getter, RequestContext } from '../../apiserver/rest.js';
import { isFinished, type WorkflowRun } from '../../apis/kubeactions/types.js';
import type { LogEntry, LogStore } from '../../queue/log-store.js';
import type { RedisClient } from '../../queue/redis-client.js';
import { isRedisUnavailable } from '../../queue/unavailable.js';
import { callStorage } from '../generic/storage-call.js';
import { type LogOptions, parseLogOptions, rfc3339Nano } from './log-options.js';

const PAGE = 1000;
const IDLE_CHECK_MS = 5000;
/** How often a follower whose Redis is out of reach tries again. */
const UNAVAILABLE_RETRY_MS = 1000;

/** Splits a chunk of whole lines (the last one may lack its newline) into lines. */
function splitLines(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
    out.push(data.subarray(start, nl + 1));
    start = nl + 1;
  }
  if (start < data.length) out.push(data.subarray(start));
  return out;
}

/** The log entries already written after a point: up to the end marker, if the run has ended. */
interface Backlog {
  entries: LogEntry[];
  /** The id of the last entry read (the point a follower goes on from). */
  last: string;
  ended: boolean;
}

export class LogREST implements StreamGetter {
  constructor(
    readonly runs: Getter,
    readonly logs: LogStore,
    /** A new connection for one follower's blocking reads. */
    readonly connect: () => RedisClient,
  ) {}

  async getStream(ctx: RequestContext, name: string, q: URLSearchParams): Promise<ResourceStreamer> {
    const opts = parseLogOptions(q);
    const run = (await this.runs.get(ctx, name)).object as WorkflowRun;
    if (opts.step && !run.spec.steps.some((s) => s.name === opts.step)) {
      throw newBadRequest(`step ${opts.step} is not valid for workflowrun ${name}`);
    }
    const current = run.status?.attempt ?? 0;
    const attempt = opts.previous ? current - 1 : opts.attempt;
    if (attempt !== undefined && (attempt < 1 || attempt > current)) {
      throw newBadRequest(opts.previous
        ? `previous attempt of workflowrun "${name}" not found`
        : `attempt ${attempt} of workflowrun "${name}" not found (the run is at attempt ${current})`);
    }
    const keep = (e: LogEntry): boolean =>
      (attempt !== undefined ? e.attempt === attempt : opts.follow ? e.attempt >= current : e.attempt === current)
      && (!opts.step || e.step === opts.step);
    const since = opts.sinceTime ?? (opts.sinceSeconds !== undefined ? Date.now() - opts.sinceSeconds * 1000 : undefined);
    const startAfter = since !== undefined ? `${since - 1}-18446744073709551615` : '0';
    // Read before the answer starts, so that storage being away is a 503, not a cut stream.
    const backlog = await this.#backlog(run.metadata.uid, startAfter);
    return {
      contentType: 'text/plain',
      flush: opts.follow,
      stream: this.#stream(ctx, name, run.metadata.uid, keep, backlog, opts),
    };
  }

  async *#stream(ctx: RequestContext, name: string, uid: string, keep: (e: LogEntry) => boolean, backlog: Backlog, opts: LogOptions): AsyncGenerator<Buffer> {
    let budget = opts.limitBytes ?? Number.POSITIVE_INFINITY;
    const format = (e: LogEntry): Buffer[] => {
      if (!opts.timestamps) return [e.data];
      const prefix = Buffer.from(`${rfc3339Nano(e.time)} `);
      return splitLines(e.data).flatMap((l) => [prefix, l]);
    };
    const emit = function* (chunks: Buffer[]): Generator<Buffer> {
      for (const c of chunks) {
        if (budget <= 0) return;
        const out = c.length > budget ? c.subarray(0, budget) : c;
        budget -= out.length;
        yield out;
      }
    };
    // The backlog first (with tailLines applied to it), then, when following, what comes.
    const { entries, last, ended } = backlog;
    let chunks = entries.filter(keep).flatMap(format);
    if (opts.tailLines !== undefined) {
      const lines = chunks.flatMap((c) => (opts.timestamps ? [c] : splitLines(c)));
      const per = opts.timestamps ? 2 : 1;
      chunks = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines * per);
    }
    yield* emit(chunks);
    if (!opts.follow || ended || budget <= 0) return;
    for await (const e of this.#follow(ctx, name, uid, last)) {
      if (keep(e)) yield* emit(format(e));
      if (budget <= 0) return;
    }
  }

  async #backlog(uid: string, after: string): Promise<Backlog> {
    const entries: LogEntry[] = [];
    let last = after;
    for (;;) {
      const page = await callStorage(this.logs.redis, () => this.logs.read(uid, last, PAGE));
      for (const e of page) {
        last = e.id;
        if (e.end) return { entries, last, ended: true };
        entries.push(e);
      }
      if (page.length < PAGE) return { entries, last, ended: false };
    }
  }

  async *#follow(ctx: RequestContext, name: string, uid: string, after: string): AsyncGenerator<LogEntry> {
    const conn = this.connect();
    conn.on('error', () => undefined); // connection errors reach the follower through its reads
    const stop = (): void => conn.disconnect();
    ctx.signal.addEventListener('abort', stop, { once: true });
    let last = after === '0' ? '0-0' : after;
    try {
      while (!ctx.signal.aborted) {
        const entries = await this.#wait(conn, uid, last, ctx.signal);
        if (entries === undefined) continue;
        for (const e of entries) {
          last = e.id;
          if (e.end) return;
          yield e;
        }
        if (entries.length === 0 && (await this.#over(ctx, name, uid))) return;
      }
    } catch (err) {
      if (!ctx.signal.aborted) throw err;
    } finally {
      ctx.signal.removeEventListener('abort', stop);
      conn.disconnect();
    }
  }

  /**
   * The entries after `after`, waiting up to IDLE_CHECK_MS; undefined after waiting out a moment
   * in which Redis could not be reached: a follower stays open through a Redis restart.
   */
  async #wait(conn: RedisClient, uid: string, after: string, signal: AbortSignal): Promise<LogEntry[] | undefined> {
    try {
      return await this.logs.wait(conn, uid, after, IDLE_CHECK_MS);
    } catch (err) {
      if (!isRedisUnavailable(err) || signal.aborted) throw err;
      await sleep(UNAVAILABLE_RETRY_MS);
      return undefined;
    }
  }

  /** The run is gone, or finished with nothing more to read; not known while storage is unavailable. */
  async #over(ctx: RequestContext, name: string, uid: string): Promise<boolean> {
    try {
      const run = (await this.runs.get(ctx, name)).object as WorkflowRun;
      return run.metadata.uid !== uid || isFinished(run.status?.phase);
    } catch (err) {
      if (isNotFound(err)) return true;
      if (isServiceUnavailable(err)) return false;
      throw err;
    }
  }
}
