// The worker process: a BullMQ Worker that runs WorkflowRuns, plus the housekeeping every
// worker shares (stop requests, TTL deletion, runs whose job was lost).
import { hostname } from 'node:os';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { workflowRunFields } from '../apis/kubeactions/fields.js';
import { awaitRetry, CANCELLING, expiresAt, finish, isActive, setStep, startAttempt } from '../apis/kubeactions/status.js';
import { isFinished, type WorkflowRun } from '../apis/kubeactions/types.js';
import { LogStore } from '../queue/log-store.js';
import { ObjectStore } from '../queue/object-store.js';
import { Records } from '../queue/records.js';
import { type ControlMessage, RUN_QUEUE, type RunJobData, RunQueue } from '../queue/run-queue.js';
import { everyNonOverlapping } from './interval.js';
import { createWorkspace, removeWorkspace } from './workspace.js';
import { finishRun, runAttempt, runEnv, type StopReason } from './attempt.js';
import { type HeldRun, serveSession } from './sessions.js';
import { SessionHub } from '../queue/sessions.js';

export interface RunWorkerOptions {
  redis: Redis;
  prefix: string;
  workspaceDir: string;
  concurrency: number;
  workerId?: string;
  /** BullMQ lock duration: a worker silent this long is considered lost. */
  lockDurationMs: number;
  /** How often workers look for stalled jobs and lost runs. */
  stalledIntervalMs: number;
  killGraceMs: number;
  logLimitBytes: number;
  changeHistory: number;
  /** Called with the time (ms, performance.now) a step's process started, for benchmarks. */
  onStepStarted?: (runUid: string) => void;
}

export class RunWorker {
  readonly id: string;
  readonly records: Records<WorkflowRun>;
  readonly logs: LogStore;
  readonly #queue: RunQueue;
  readonly #running = new Map<string, AbortController>();
  /** What exec/attach sessions need of the runs this worker holds. */
  readonly #held = new Map<string, HeldRun>();
  readonly #heldSoon = new Map<string, Promise<HeldRun | undefined>>();
  #hub: SessionHub | undefined;
  /** Process group of the step each held run is running. */
  readonly #pids = new Map<string, number>();
  #worker: Worker<RunJobData> | undefined;
  #subscriber: Redis | undefined;
  #timers: NodeJS.Timeout[] = [];

  constructor(readonly opts: RunWorkerOptions) {
    this.id = opts.workerId ?? `${hostname()}-${process.pid}`;
    const store = new ObjectStore({ redis: opts.redis, prefix: opts.prefix, resource: RUN_QUEUE, changeHistory: opts.changeHistory });
    this.records = new Records<WorkflowRun>(store, {
      labels: (r) => r.metadata.labels,
      fields: workflowRunFields,
      active: isActive,
      expiresAt,
    });
    this.logs = new LogStore(opts.redis, store.keys);
    this.#queue = new RunQueue({ redis: opts.redis, prefix: opts.prefix });
  }

  /** Jobs this worker has taken and not finished yet. */
  get busySlots(): number {
    return this.#heldSoon.size;
  }

  async start(): Promise<void> {
    this.#hub = new SessionHub(this.opts.redis, this.records.store.keys);
    const sub = (this.#subscriber = this.opts.redis.duplicate({ enableAutoPipelining: false }));
    sub.on('message', (_channel: string, text: string) => this.#onControl(text));
    await sub.subscribe(this.#queue.controlChannel);
    this.#worker = new Worker<RunJobData>(RUN_QUEUE, (job) => this.#process(job), {
      connection: this.opts.redis.duplicate({ maxRetriesPerRequest: null, enableAutoPipelining: false }),
      prefix: this.opts.prefix,
      concurrency: this.opts.concurrency,
      lockDuration: this.opts.lockDurationMs,
      stalledInterval: this.opts.stalledIntervalMs,
      maxStalledCount: 1_000_000,
    });
    this.#worker.on('error', () => undefined);
    this.#every(1000, () => this.#expire());
    this.#every(this.opts.stalledIntervalMs, () => this.#reconcile());
  }

  #every(ms: number, fn: () => Promise<void>): void {
    this.#timers.push(everyNonOverlapping(ms, fn));
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

  async #process(job: Job<RunJobData>): Promise<void> {
    const { uid } = job.data;
    // Sessions for a run this worker is starting wait for it instead of going unanswered.
    let resolveHeld: (h: HeldRun | undefined) => void = () => undefined;
    this.#heldSoon.set(uid, new Promise((r) => (resolveHeld = r)));
    try {
      await this.#start(job, resolveHeld);
    } finally {
      resolveHeld(undefined);
      this.#heldSoon.delete(uid);
    }
  }

  async #start(job: Job<RunJobData>, resolveHeld: (h: HeldRun) => void): Promise<void> {
    const { member, uid } = job.data;
    // One write starts the attempt and its first step; what it saw decides the rest.
    let seen: { deleting: boolean; attempt: number; lost?: string; maxAttempts: number } | undefined;
    const started = await this.records.mutate(member, (r) => {
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
    });
    if (!started || !seen) return;
    const { attempt, lost, maxAttempts } = seen;
    if (lost) await this.logs.append(uid, [{ attempt: attempt - 1, step: '', data: Buffer.from(`[kube-actions] ${lost}\n`) }]);
    if (seen.deleting) {
      await this.records.remove(member);
      return;
    }
    if (lost && attempt > maxAttempts) {
      await this.#finish(member, uid, 'Failed', 'WorkerLost', lost);
      return;
    }
    await this.#runAttempt(member, uid, started, attempt, maxAttempts, resolveHeld);
  }

  async #runAttempt(member: string, uid: string, run: WorkflowRun, attempt: number, maxAttempts: number,
    resolveHeld: (h: HeldRun) => void): Promise<void> {
    const controller = new AbortController();
    this.#running.set(uid, controller);
    const timeout = run.spec.timeoutSeconds
      ? setTimeout(() => controller.abort('Timeout' satisfies StopReason), run.spec.timeoutSeconds * 1000)
      : undefined;
    const workspace = await createWorkspace(this.opts.workspaceDir, uid);
    const held: HeldRun = { workspace, env: runEnv(run, attempt, workspace), signal: controller.signal };
    this.#held.set(uid, held);
    resolveHeld(held);
    try {
      const result = await runAttempt({
        records: this.records, logs: this.logs, member, run, attempt, workspace, held,
        signal: controller.signal, killGraceMs: this.opts.killGraceMs, logLimitBytes: this.opts.logLimitBytes,
        onStepStarted: (pid) => {
          this.#pids.set(uid, pid);
          this.opts.onStepStarted?.(uid);
        },
      });
      if (result.outcome === 'Gone') return;
      if (result.outcome === 'Stopped') {
        await this.#stopped(member, uid, controller.signal.reason as StopReason, run.spec.timeoutSeconds);
        return;
      }
      if (result.outcome === 'Succeeded') {
        await this.#finish(member, uid, 'Succeeded', 'Succeeded', result.message);
        return;
      }
      if (attempt < maxAttempts) {
        const backoff = run.spec.retry?.backoffSeconds ?? 0;
        const message = `attempt ${attempt} of ${maxAttempts} failed (${result.message}); retrying in ${backoff}s`;
        await this.records.mutate(member, (r) => (awaitRetry(r, message, Date.now()), true));
        throw new Error(message);
      }
      await this.#finish(member, uid, 'Failed', 'StepFailed', result.message);
    } finally {
      clearTimeout(timeout);
      this.#running.delete(uid);
      this.#pids.delete(uid);
      this.#held.delete(uid);
      controller.abort('Shutdown');
      await removeWorkspace(workspace).catch(() => undefined);
    }
  }

  async #stopped(member: string, uid: string, reason: StopReason, timeoutSeconds: number | undefined): Promise<void> {
    if (reason === 'Shutdown') return; // left Running: another worker takes the job over
    if (reason === 'Deleted') {
      await this.records.remove(member);
    } else if (reason === 'Timeout') {
      await this.#finish(member, uid, 'Failed', 'Timeout', `the run did not finish within ${timeoutSeconds ?? 0}s`);
    } else {
      const run = await this.records.mutate(member, (r) => {
        if (!isActive(r)) return false;
        const cond = r.status?.conditions?.find((c) => c.type === 'Succeeded');
        finish(r, 'Cancelled', 'Cancelled', cond?.reason === CANCELLING && cond.message ? cond.message : 'the run was cancelled', Date.now());
        return true;
      });
      await this.logs.end(uid, 'Cancelled');
      if (run?.metadata.deletionTimestamp) await this.records.remove(member);
    }
  }

  async #finish(member: string, uid: string, phase: 'Succeeded' | 'Failed' | 'Cancelled', reason: string, message: string): Promise<void> {
    const run = await finishRun(this.records, member, phase, reason, message);
    await this.logs.end(uid, phase);
    if (run?.metadata.deletionTimestamp) await this.records.remove(member);
  }

  /** Deletes finished runs whose ttlSecondsAfterFinished has passed. */
  async #expire(): Promise<void> {
    for (const member of await this.records.store.expired(Date.now(), 100)) {
      const cur = await this.records.read(member);
      const at = cur ? expiresAt(cur.obj) : undefined;
      if (!cur) await this.records.store.redis.zrem(this.records.store.keys.ttl, member);
      else if (at !== undefined && at <= Date.now()) await this.records.remove(member);
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

  /** Active runs whose job no longer exists end Failed (WorkerLost), or are deleted if asked. */
  async #reconcile(): Promise<void> {
    await this.#checkHeld();
    for (const member of await this.records.store.activeMembers()) {
      const cur = await this.records.read(member);
      if (!cur || !isActive(cur.obj)) continue;
      const state = await this.#queue.jobState(cur.obj.metadata.uid);
      if (state !== 'unknown' && state !== 'completed' && state !== 'failed') continue;
      if (cur.obj.metadata.deletionTimestamp) {
        await this.records.remove(member);
        continue;
      }
      await this.#finish(member, cur.obj.metadata.uid, 'Failed', 'WorkerLost', 'the run\'s job was lost: its worker stopped and the job could not be recovered');
    }
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    for (const c of this.#running.values()) c.abort('Shutdown' satisfies StopReason);
    await this.#worker?.close(true);
    this.#subscriber?.disconnect();
    this.#hub?.close();
    await this.#queue.close();
  }
}
