// The worker process: a BullMQ Worker that runs WorkflowRuns, plus the housekeeping every
// worker shares (stop requests, TTL deletion, runs whose job was lost).
import { hostname } from 'node:os';
import { DelayedError, Worker, type Job } from 'bullmq';
import { pino, type Logger } from 'pino';
import { workflowRunFields } from '../apis/kubeactions/fields.js';
import { awaitRetry, CANCELLING, expiresAt, isActive, setStep, startAttempt } from '../apis/kubeactions/status.js';
import { isFinished, type WorkflowRun } from '../apis/kubeactions/types.js';
import { LogStore } from '../queue/log-store.js';
import { ObjectStore } from '../queue/object-store.js';
import { Records } from '../queue/records.js';
import { duplicateClient, type RedisClient } from '../queue/redis-client.js';
import { type ControlMessage, RUN_QUEUE, type RunJobData, RunQueue } from '../queue/run-queue.js';
import { everyNonOverlapping } from './interval.js';
import { createWorkspace, removeWorkspace } from './workspace.js';
import { runAttempt, runEnv, runRequest, type StopReason } from './attempt.js';
import type { RunIdentity, StepSandbox } from './sandbox.js';
import { deleteExpired, failLostRuns } from './housekeeping.js';
import { RunEndings } from './run-endings.js';
import { settledWithin } from './settled-within.js';
import { type HeldRun, serveSession } from './sessions.js';
import { untilStored, warnThrottled } from './store-retry.js';
import { SessionHub } from '../queue/sessions.js';

/** How much longer than its shutdown and kill grace periods closing may take before the worker gives up. */
const CLOSE_SLACK_MS = 5000;

export interface RunWorkerOptions {
  redis: RedisClient;
  prefix: string;
  workspaceDir: string;
  concurrency: number;
  workerId?: string;
  /** BullMQ lock duration: a worker silent this long is considered lost. */
  lockDurationMs: number;
  /** How often workers look for stalled jobs and lost runs. */
  stalledIntervalMs: number;
  killGraceMs: number;
  /** On close, how long runs may go on before their steps are stopped and the runs handed back. */
  shutdownGraceMs: number;
  logLimitBytes: number;
  changeHistory: number;
  /** Isolates each run's processes (sandbox.ts); without it steps run as the worker's user. */
  sandbox?: StepSandbox;
  /** Called with the time (ms, performance.now) a step's process started, for benchmarks. */
  onStepStarted?: (runUid: string) => void;
  /** Where failures (Redis out of reach, housekeeping errors) are reported; default: warnings on stdout. */
  logger?: Logger;
}

export class RunWorker {
  readonly id: string;
  readonly records: Records<WorkflowRun>;
  readonly logs: LogStore;
  readonly log: Logger;
  readonly #queue: RunQueue;
  readonly #endings: RunEndings;
  readonly #running = new Map<string, AbortController>();
  /** What exec/attach sessions need of the runs this worker holds. */
  readonly #held = new Map<string, HeldRun>();
  readonly #heldSoon = new Map<string, Promise<HeldRun | undefined>>();
  #hub: SessionHub | undefined;
  /** Process group of the step each held run is running. */
  readonly #pids = new Map<string, number>();
  #worker: Worker<RunJobData> | undefined;
  #subscriber: RedisClient | undefined;
  #timers: NodeJS.Timeout[] = [];

  constructor(readonly opts: RunWorkerOptions) {
    this.id = opts.workerId ?? `${hostname()}-${process.pid}`;
    this.log = opts.logger ?? pino({ level: 'warn', base: undefined });
    const store = new ObjectStore({ redis: opts.redis, prefix: opts.prefix, resource: RUN_QUEUE, changeHistory: opts.changeHistory });
    this.records = new Records<WorkflowRun>(store, {
      labels: (r) => r.metadata.labels,
      fields: workflowRunFields,
      active: isActive,
      expiresAt,
    });
    this.logs = new LogStore(opts.redis, store.keys);
    this.#queue = new RunQueue({ redis: opts.redis, prefix: opts.prefix });
    this.#endings = new RunEndings(this.records, this.logs, this.log, this.id);
  }

  /** Jobs this worker has taken and not finished yet. */
  get busySlots(): number {
    return this.#heldSoon.size;
  }

  async start(): Promise<void> {
    this.#hub = new SessionHub(this.opts.redis, this.records.store.keys);
    const sub = (this.#subscriber = duplicateClient(this.opts.redis, { enableAutoPipelining: false }));
    sub.on('error', warnThrottled(this.log, 'the control channel lost Redis; it reconnects'));
    sub.on('message', (_channel: string, text: string) => this.#onControl(text));
    await sub.subscribe(this.#queue.controlChannel);
    this.#worker = new Worker<RunJobData>(RUN_QUEUE, (job, token) => this.#process(job, token), {
      connection: duplicateClient(this.opts.redis, { maxRetriesPerRequest: null, enableAutoPipelining: false }),
      prefix: this.opts.prefix,
      concurrency: this.opts.concurrency,
      lockDuration: this.opts.lockDurationMs,
      stalledInterval: this.opts.stalledIntervalMs,
      maxStalledCount: 1_000_000,
    });
    this.#worker.on('error', warnThrottled(this.log, 'the BullMQ worker failed; it retries'));
    this.#every('deleting expired runs', 1000, () => deleteExpired(this.records));
    this.#every('looking for lost runs', this.opts.stalledIntervalMs, () => this.#reconcile());
  }

  #every(what: string, ms: number, fn: () => Promise<void>): void {
    const warn = warnThrottled(this.log, `${what} failed; tried again in ${ms} ms`);
    this.#timers.push(everyNonOverlapping(ms, () => fn().catch(warn)));
  }

  #onControl(text: string): void {
    let msg: ControlMessage;
    try {
      msg = JSON.parse(text) as ControlMessage;
    } catch {
      return;
    }
    if (msg.action === 'stop') {
      this.#stop(msg.uid, msg.reason, msg.gracePeriodSeconds);
      return;
    }
    const { request } = msg;
    void (async () => {
      const held = this.#held.get(request.uid) ?? (await this.#heldSoon.get(request.uid));
      if (held && this.#hub) await serveSession(this.#hub, request, held);
    })().catch(() => undefined);
  }

  /** Stops a run this worker holds: SIGTERM now (the executor), SIGKILL after the grace. */
  #stop(uid: string, reason: StopReason, gracePeriodSeconds?: number): void {
    const controller = this.#running.get(uid);
    if (!controller || controller.signal.aborted) return;
    controller.abort(reason);
    const pid = this.#pids.get(uid);
    if (pid !== undefined && gracePeriodSeconds !== undefined) {
      setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // the group has ended
        }
      }, gracePeriodSeconds * 1000).unref();
    }
  }

  async #process(job: Job<RunJobData>, token: string | undefined): Promise<void> {
    const { uid } = job.data;
    // Sessions for a run this worker is starting wait for it instead of going unanswered.
    let resolveHeld: (h: HeldRun | undefined) => void = () => undefined;
    this.#heldSoon.set(uid, new Promise((r) => (resolveHeld = r)));
    let handedBack = false;
    try {
      handedBack = await this.#start(job, resolveHeld);
    } finally {
      resolveHeld(undefined);
      this.#heldSoon.delete(uid);
    }
    if (handedBack) {
      // Back to the queue at once, for another worker; not a failed attempt.
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
  }

  /** Resolves true when the run was handed back because this worker is shutting down. */
  async #start(job: Job<RunJobData>, resolveHeld: (h: HeldRun) => void): Promise<boolean> {
    const { member, uid } = job.data;
    // One write starts the attempt and its first step; what it saw decides the rest.
    let seen: { deleting: boolean; attempt: number; lost?: string; maxAttempts: number } | undefined;
    const started = await untilStored(`the start of ${member}`, this.log, () => this.records.mutate(member, (r) => {
      seen = undefined;
      if (r.metadata.uid !== uid || isFinished(r.status?.phase)) return false;
      const maxAttempts = (r.spec.retry?.limit ?? 0) + 1;
      const attempt = (r.status?.attempt ?? 0) + 1;
      // A Running run here means the worker of the previous attempt stopped without finishing it.
      const lost = r.status?.phase === 'Running'
        ? `attempt ${attempt - 1} was lost: worker ${r.status.workerId ?? '?'} stopped responding` : undefined;
      seen = { deleting: !!r.metadata.deletionTimestamp, attempt, maxAttempts, ...(lost ? { lost } : {}) };
      if (seen.deleting || (lost && attempt > maxAttempts)) return false;
      const now = Date.now();
      startAttempt(r, attempt, this.id, now);
      setStep(r, 0, 'Running', now);
      return true;
    }));
    if (!started || !seen) return false;
    const { attempt, lost, maxAttempts } = seen;
    if (lost) {
      const line = [{ attempt: attempt - 1, step: '', data: Buffer.from(`[kube-actions] ${lost}\n`) }];
      await untilStored(`the log of ${member}`, this.log, () => this.logs.append(uid, line));
    }
    if (seen.deleting) {
      await this.records.remove(member);
      return false;
    }
    if (lost && attempt > maxAttempts) {
      await this.#endings.finish(member, uid, 'Failed', 'WorkerLost', lost);
      return false;
    }
    return this.#runAttempt(member, uid, started, attempt, maxAttempts, resolveHeld);
  }

  /** Resolves true when the run was handed back (see #start). */
  async #runAttempt(member: string, uid: string, run: WorkflowRun, attempt: number, maxAttempts: number,
    resolveHeld: (h: HeldRun) => void): Promise<boolean> {
    const controller = new AbortController();
    this.#running.set(uid, controller);
    const timeout = run.spec.timeoutSeconds
      ? setTimeout(() => controller.abort('Timeout' satisfies StopReason), run.spec.timeoutSeconds * 1000)
      : undefined;
    let identity: RunIdentity | undefined;
    try {
      identity = await this.opts.sandbox?.acquire(runRequest(run));
    } catch (err) {
      clearTimeout(timeout);
      this.#running.delete(uid);
      await this.#endings.finish(member, uid, 'Failed', 'CannotIsolate', err instanceof Error ? err.message : String(err));
      return false;
    }
    const workspace = await createWorkspace(this.opts.workspaceDir, uid);
    await identity?.own(workspace);
    const held: HeldRun = { workspace, env: runEnv(run, attempt, workspace), signal: controller.signal, ...(identity ? { identity } : {}) };
    this.#held.set(uid, held);
    resolveHeld(held);
    try {
      const result = await runAttempt({
        records: this.records, logs: this.logs, member, run, attempt, workspace, held, identity,
        signal: controller.signal, killGraceMs: this.opts.killGraceMs, logLimitBytes: this.opts.logLimitBytes, log: this.log,
        onStepStarted: (pid) => {
          this.#pids.set(uid, pid);
          this.opts.onStepStarted?.(uid);
        },
      });
      if (result.outcome === 'Gone') return false;
      if (result.outcome === 'Stopped') {
        const reason = controller.signal.reason as StopReason;
        if (reason === 'Shutdown') return this.#endings.handBack(member, uid, attempt);
        await this.#endings.stopped(member, uid, reason, run.spec.timeoutSeconds);
        return false;
      }
      if (result.outcome === 'Succeeded') {
        await this.#endings.finish(member, uid, 'Succeeded', 'Succeeded', result.message);
        return false;
      }
      if (attempt < maxAttempts) {
        const backoff = run.spec.retry?.backoffSeconds ?? 0;
        const message = `attempt ${attempt} of ${maxAttempts} failed (${result.message}); retrying in ${backoff}s`;
        await untilStored(`the retry of ${member}`, this.log, () => this.records.mutate(member, (r) => (awaitRetry(r, message, Date.now()), true)));
        throw new Error(message);
      }
      await this.#endings.finish(member, uid, 'Failed', 'StepFailed', result.message);
      return false;
    } finally {
      clearTimeout(timeout);
      this.#running.delete(uid);
      this.#pids.delete(uid);
      this.#held.delete(uid);
      controller.abort('Shutdown');
      await (identity ? identity.release(workspace) : removeWorkspace(workspace)).catch(() => undefined);
    }
  }

  /**
   * Stop requests are published once; a worker that missed one (reconnecting) still sees it
   * here, in the records of the runs it holds.
   */
  async #checkHeld(): Promise<void> {
    for (const uid of this.#running.keys()) {
      const member = await this.records.store.memberOfUid(uid);
      const cur = member ? await this.records.read(member) : undefined;
      if (!cur || cur.obj.metadata.deletionTimestamp) this.#stop(uid, 'Deleted');
      else if (cur.obj.status?.conditions?.some((c) => c.type === 'Succeeded' && c.reason === CANCELLING)) this.#stop(uid, 'Cancelled');
    }
  }

  async #reconcile(): Promise<void> {
    await this.#checkHeld();
    await failLostRuns(this.records, this.#queue, this.#endings);
  }

  /**
   * Takes no more runs; lets the runs it holds go on for the shutdown grace, then stops their
   * steps and hands them back to the queue; resolves when none is left.
   */
  async close(): Promise<void> {
    // Bounded even while Redis is away (hand-backs and status writes wait for it): then the runs
    // still held are taken over by another worker once their locks expire.
    const boundMs = this.opts.shutdownGraceMs + this.opts.killGraceMs + CLOSE_SLACK_MS;
    const closing = this.#close();
    if (await settledWithin(closing, boundMs)) return closing;
    this.log.warn({ boundMs }, 'the worker did not close in time; its unfinished runs are taken over when their locks expire');
  }

  async #close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    const grace = setTimeout(() => {
      for (const c of this.#running.values()) c.abort('Shutdown' satisfies StopReason);
    }, this.opts.shutdownGraceMs);
    await this.#worker?.close();
    clearTimeout(grace);
    this.#subscriber?.disconnect();
    this.#hub?.close();
    await this.#queue.close();
  }
}
