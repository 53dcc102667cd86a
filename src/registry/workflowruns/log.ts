// LogREST: GET …/workflowruns/NAME/log as text/plain, steps in order; `follow` streams until
// the run ends (after pods/log, pkg/registry/core/pod/rest/log.go).
import type { Redis } from 'ioredis';
import { isNotFound, newBadRequest } from '../../apiserver/errors.js';
import type { ResourceStreamer, StreamGetter } from '../../apiserver/handlers/types.js';
import { parseBool } from '../../apiserver/http/options.js';
import type { Getter, RequestContext } from '../../apiserver/rest.js';
import { isFinished, type WorkflowRun } from '../../apis/kubeactions/types.js';
import type { LogEntry, LogStore } from '../../queue/log-store.js';

const PAGE = 1000;
const IDLE_CHECK_MS = 5000;

export class LogREST implements StreamGetter {
  constructor(
    readonly runs: Getter,
    readonly logs: LogStore,
    /** A new connection for one follower's blocking reads. */
    readonly connect: () => Redis,
  ) {}

  async getStream(ctx: RequestContext, name: string, q: URLSearchParams): Promise<ResourceStreamer> {
    const run = (await this.runs.get(ctx, name)).object as WorkflowRun;
    const follow = parseBool(q.get('follow')) ?? false;
    const step = q.get('step') ?? q.get('container') ?? undefined;
    if (step !== undefined && step !== '' && !run.spec.steps.some((s) => s.name === step)) {
      throw newBadRequest(`step ${step} is not valid for workflowrun ${name}`);
    }
    const attempt = run.status?.attempt ?? 0;
    const keep = (e: LogEntry): boolean => (follow ? e.attempt >= attempt : e.attempt === attempt) && (!step || e.step === step);
    return {
      contentType: 'text/plain',
      flush: follow,
      stream: follow ? this.#follow(ctx, name, run.metadata.uid, keep) : this.#all(run.metadata.uid, keep),
    };
  }

  async *#all(uid: string, keep: (e: LogEntry) => boolean): AsyncGenerator<Buffer> {
    let after = '0';
    for (;;) {
      const entries = await this.logs.read(uid, after, PAGE);
      for (const e of entries) if (!e.end && keep(e)) yield e.data;
      if (entries.length < PAGE) return;
      after = entries[entries.length - 1]?.id ?? after;
    }
  }

  async *#follow(ctx: RequestContext, name: string, uid: string, keep: (e: LogEntry) => boolean): AsyncGenerator<Buffer> {
    const conn = this.connect();
    const stop = (): void => conn.disconnect();
    ctx.signal.addEventListener('abort', stop, { once: true });
    let after = '0';
    try {
      while (!ctx.signal.aborted) {
        const entries = await this.logs.wait(conn, uid, after, IDLE_CHECK_MS);
        for (const e of entries) {
          after = e.id;
          if (e.end) return;
          if (keep(e)) yield e.data;
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

  /** The run is gone, or finished with nothing more to read. */
  async #over(ctx: RequestContext, name: string, uid: string): Promise<boolean> {
    try {
      const run = (await this.runs.get(ctx, name)).object as WorkflowRun;
      return run.metadata.uid !== uid || isFinished(run.status?.phase);
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  }
}
