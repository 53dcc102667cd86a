// Wires WorkflowRuns: the generic store with the WorkflowRun strategy, whose creation enqueues
// the run's BullMQ job in the same transaction, and whose deletion stops a running run first.
import type { ResourceInstall } from '../../apiserver/handlers/types.js';
import type { KubeObject } from '../../apiserver/types.js';
import type { WorkflowRun } from '../../apis/kubeactions/types.js';
import { ChangeFeed } from '../../queue/change-feed.js';
import { LogStore } from '../../queue/log-store.js';
import { ObjectStore } from '../../queue/object-store.js';
import { duplicateClient, type RedisClient } from '../../queue/redis-client.js';
import { RUN_QUEUE, RunQueue } from '../../queue/run-queue.js';
import { SessionHub } from '../../queue/sessions.js';
import { GenericStore } from '../generic/store.js';
import { CancelREST } from './cancel.js';
import { AttachREST, ExecREST } from './exec.js';
import { LogREST } from './log.js';
import { RetryREST } from './retry.js';
import { workflowRunStrategy } from './strategy.js';
import { workflowRunTable } from './table.js';

export interface WorkflowRunStorageOptions {
  redis: RedisClient;
  prefix: string;
  changeHistory: number;
}

export class WorkflowRunStorage {
  readonly store: ObjectStore;
  readonly feed: ChangeFeed;
  readonly queue: RunQueue;
  readonly runs: GenericStore;
  readonly install: ResourceInstall;
  readonly hub: SessionHub;

  constructor(readonly opts: WorkflowRunStorageOptions) {
    this.store = new ObjectStore({ redis: opts.redis, prefix: opts.prefix, resource: RUN_QUEUE, changeHistory: opts.changeHistory });
    this.feed = new ChangeFeed(this.store);
    this.queue = new RunQueue({ redis: opts.redis, prefix: opts.prefix });
    this.runs = new GenericStore(this.store, this.feed, workflowRunStrategy, {
      createTransaction: (obj: KubeObject) => {
        const run = obj as WorkflowRun;
        return this.queue.transactionWithJob(
          { member: `${run.metadata.namespace}/${run.metadata.name}`, uid: run.metadata.uid },
          run.spec.retry?.backoffSeconds ?? 0,
        );
      },
      beforeDelete: async (obj: KubeObject) => {
        const run = obj as WorkflowRun;
        if (run.status?.phase !== 'Running') {
          await this.queue.removeJob(run.metadata.uid);
          return false;
        }
        await this.queue.publish({ uid: run.metadata.uid, action: 'stop', reason: 'Deleted', message: 'the run was deleted' });
        return true;
      },
    });
    const logs = new LogStore(opts.redis, this.store.keys);
    this.hub = new SessionHub(opts.redis, this.store.keys);
    this.install = {
      descriptor: workflowRunStrategy.resource,
      storage: this.runs,
      table: workflowRunTable,
      fields: workflowRunStrategy,
      streams: { log: new LogREST(this.runs, logs, () => duplicateClient(opts.redis, { enableAutoPipelining: false })) },
      actions: { cancel: new CancelREST(this.runs, this.queue, logs), retry: new RetryREST(this.runs) },
      connecters: { exec: new ExecREST(this.runs, this.hub, this.queue), attach: new AttachREST(this.runs, this.hub, this.queue) },
    };
  }

  start(): Promise<void> {
    return this.feed.start();
  }

  async close(): Promise<void> {
    await this.feed.stop();
    this.hub.close();
    await this.queue.close();
  }
}
