// How a worker ends the runs it held: finished (Succeeded, Failed, Cancelled), stopped (deleted,
// timed out, cancelled), or handed back to the queue because the worker is shutting down.
import type { Logger } from 'pino';
import { CANCELLING, finish, handBack, isActive } from '../apis/kubeactions/status.js';
import type { WorkflowRun } from '../apis/kubeactions/types.js';
import type { LogStore } from '../queue/log-store.js';
import type { Records } from '../queue/records.js';
import { finishRun, type StopReason } from './attempt.js';
import { untilStored } from './store-retry.js';

export class RunEndings {
  constructor(
    readonly records: Records<WorkflowRun>,
    readonly logs: LogStore,
    readonly log: Logger,
    readonly workerId: string,
  ) {}

  /** Ends the run in a terminal phase and its log; removes it if its deletion was asked for. */
  async finish(member: string, uid: string, phase: 'Succeeded' | 'Failed' | 'Cancelled', reason: string, message: string): Promise<void> {
    const run = await finishRun(this.records, member, phase, reason, message, this.log);
    await untilStored(`the end of the log of ${member}`, this.log, () => this.logs.end(uid, phase));
    if (run?.metadata.deletionTimestamp) await this.records.remove(member);
  }

  /** After the attempt's steps were stopped for `reason`: removed, Failed (Timeout) or Cancelled. */
  async stopped(member: string, uid: string, reason: Exclude<StopReason, 'Shutdown'>, timeoutSeconds: number | undefined): Promise<void> {
    if (reason === 'Deleted') {
      await this.records.remove(member);
    } else if (reason === 'Timeout') {
      await this.finish(member, uid, 'Failed', 'Timeout', `the run did not finish within ${timeoutSeconds ?? 0}s`);
    } else {
      const run = await untilStored(`the Cancelled state of ${member}`, this.log, () => this.records.mutate(member, (r) => {
        if (!isActive(r)) return false;
        const cond = r.status?.conditions?.find((c) => c.type === 'Succeeded');
        finish(r, 'Cancelled', 'Cancelled', cond?.reason === CANCELLING && cond.message ? cond.message : 'the run was cancelled', Date.now());
        return true;
      }));
      await untilStored(`the end of the log of ${member}`, this.log, () => this.logs.end(uid, 'Cancelled'));
      if (run?.metadata.deletionTimestamp) await this.records.remove(member);
    }
  }

  /**
   * The attempt's steps were stopped because this worker is shutting down: the run goes back to
   * Pending with the same attempt number still to run, and its log says why. Resolves false when
   * the run is no longer this worker's to hand back (finished, deleted, or taken over).
   */
  async handBack(member: string, uid: string, attempt: number): Promise<boolean> {
    const message = `worker ${this.workerId} shut down during attempt ${attempt}; the attempt restarts on another worker`;
    const run = await untilStored(`the hand-back of ${member}`, this.log, () => this.records.mutate(member, (r) => {
      if (r.metadata.uid !== uid || !isActive(r) || r.status?.workerId !== this.workerId || r.status.attempt !== attempt) return false;
      handBack(r, message, Date.now());
      return true;
    }));
    if (!run) return false;
    await untilStored(`the log of ${member}`, this.log, () => this.logs.append(uid, [{ attempt, step: '', data: Buffer.from(`[kube-actions] ${message}\n`) }]));
    return true;
  }
}
