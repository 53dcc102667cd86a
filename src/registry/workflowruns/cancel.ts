// CancelREST: POST …/workflowruns/NAME/cancel. A pending run is cancelled at once and leaves
// the queue; a running one is marked Cancelling and its worker is told to stop it (SIGTERM,
// then SIGKILL after the grace period), which then ends it Cancelled. Idempotent; a run that
// finished otherwise is a 409 Conflict.
import { newConflict } from '../../apiserver/errors.js';
import type { Entity, NamedCreater, RequestContext } from '../../apiserver/rest.js';
import type { KubeObject } from '../../apiserver/types.js';
import { CANCELLING, finish, setSucceeded } from '../../apis/kubeactions/status.js';
import { isFinished, type WorkflowRun } from '../../apis/kubeactions/types.js';
import type { LogStore } from '../../queue/log-store.js';
import type { RunQueue } from '../../queue/run-queue.js';
import { callStorage } from '../generic/storage-call.js';
import type { GenericStore } from '../generic/store.js';
import { decodeOptions } from './options.js';

export class CancelREST implements NamedCreater {
  constructor(
    readonly runs: GenericStore,
    readonly queue: RunQueue,
    readonly logs: LogStore,
  ) {}

  async create(ctx: RequestContext, name: string, body: KubeObject | undefined): Promise<Entity> {
    const opts = decodeOptions(body, 'WorkflowRunCancel', { reason: 'string', gracePeriodSeconds: 'integer' });
    const message = typeof opts.reason === 'string' && opts.reason ? opts.reason : 'the run was cancelled';
    let action = 'none' as 'none' | 'stop' | 'dequeue';
    const result = await this.runs.updateStatus(ctx, name, (obj) => {
      const run = obj as WorkflowRun;
      const phase = run.status?.phase;
      const st = (run.status ??= {});
      action = 'none';
      if (phase === 'Cancelled') return false;
      if (isFinished(phase)) throw newConflict(this.runs.gr, name, `the run has already finished (${phase})`);
      if (phase === 'Running') {
        if (st.conditions?.some((c) => c.type === 'Succeeded' && c.reason === CANCELLING)) return false;
        setSucceeded(st, 'Unknown', CANCELLING, message, Date.now());
        action = 'stop';
        return true;
      }
      finish(run, 'Cancelled', 'Cancelled', message, Date.now());
      action = 'dequeue';
      return true;
    });
    const run = result.object as WorkflowRun;
    if (!ctx.dryRun && action === 'stop') {
      await callStorage(this.logs.redis, () => this.queue.publish({
        uid: run.metadata.uid, action: 'stop', reason: 'Cancelled', message,
        ...(typeof opts.gracePeriodSeconds === 'number' ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
      }));
    } else if (!ctx.dryRun && action === 'dequeue') {
      await callStorage(this.logs.redis, async () => {
        await this.queue.removeJob(run.metadata.uid);
        await this.logs.end(run.metadata.uid, 'Cancelled');
      });
    }
    return result;
  }
}
