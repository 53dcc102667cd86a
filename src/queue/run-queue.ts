// The BullMQ queue of runs. A run's job id is its uid; the job is added in the same MULTI as
// the run's record, so neither exists without the other.
import { Job, Queue } from 'bullmq';
import type { ChainableCommander, Redis } from 'ioredis';
import { ResourceKeys } from './keys.js';

export const RUN_QUEUE = 'workflowruns';

export interface RunJobData {
  /** `<namespace>/<name>` of the run's record. */
  member: string;
  uid: string;
}

/** Control messages from apiservers to the worker holding a run. */
export interface ControlMessage {
  uid: string;
  action: 'stop';
  reason: string;
  message: string;
}

export interface RunQueueOptions {
  redis: Redis;
  prefix: string;
}

export class RunQueue {
  readonly queue: Queue<RunJobData>;
  readonly #redis: Redis;
  readonly #keys: ResourceKeys;

  constructor(opts: RunQueueOptions) {
    this.#redis = opts.redis;
    this.#keys = new ResourceKeys(opts.prefix, RUN_QUEUE);
    this.queue = new Queue<RunJobData>(RUN_QUEUE, { connection: opts.redis, prefix: opts.prefix });
  }

  /** A MULTI on the queue's connection with the run's job queued on it. */
  async transactionWithJob(data: RunJobData, backoffSeconds: number): Promise<{ multi: ChainableCommander; exec: () => Promise<unknown[]> }> {
    // The backend's client is the connection BullMQ loaded its scripts on (as FlowProducer uses it).
    const backend = (this.queue as unknown as { backend: { client: Promise<{ multi(): unknown }> } }).backend;
    const multi = (await backend.client).multi() as ChainableCommander;
    const job = new Job<RunJobData>(this.queue, 'run', data, {
      jobId: data.uid,
      // Attempts are counted on the run (spec.retry.limit); BullMQ only schedules them.
      attempts: 1_000_000,
      backoff: { type: 'fixed', delay: backoffSeconds * 1000 },
      removeOnComplete: true,
      removeOnFail: true,
    }, data.uid);
    return {
      multi,
      exec: async () => {
        const pending = job.addJob(multi as never);
        const results = await multi.exec();
        await pending;
        if (!results) throw new Error('transaction aborted');
        for (const [err] of results) if (err) throw err;
        const values = results.map(([, value]) => value);
        // The record's script refused (the name exists): take back the job queued with it.
        if (Array.isArray(values[0]) && values[0][0] === -1) await this.removeJob(data.uid);
        return values;
      },
    };
  }

  /** Removes a run's job unless a worker holds it. */
  async removeJob(uid: string): Promise<void> {
    await this.queue.remove(uid).catch(() => 0);
  }

  async jobState(uid: string): Promise<string> {
    return this.queue.getJobState(uid);
  }

  async publish(msg: ControlMessage): Promise<void> {
    await this.#redis.publish(this.#keys.control, JSON.stringify(msg));
  }

  get controlChannel(): string {
    return this.#keys.control;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
