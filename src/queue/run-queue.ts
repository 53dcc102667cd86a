// The BullMQ queue of runs. A run's job id is its uid; the job is added in the same MULTI as
// the run's record, so neither exists without the other.
import { Job, Queue } from 'bullmq';
import { ResourceKeys } from './keys.js';
import type { CreateTransaction, LoadedScript } from './object-store.js';
import { duplicateClient, masterNodes, type RedisClient } from './redis-client.js';
import type { SessionRequest } from './sessions.js';

export const RUN_QUEUE = 'workflowruns';

export interface RunJobData {
  /** `<namespace>/<name>` of the run's record. */
  member: string;
  uid: string;
}

/** Control messages from apiservers to the worker holding a run. */
export type ControlMessage = StopMessage | { action: 'exec' | 'attach'; request: SessionRequest };

export interface StopMessage {
  uid: string;
  action: 'stop';
  /** Why: `Deleted` or `Cancelled`. */
  reason: 'Deleted' | 'Cancelled';
  message: string;
  /** SIGTERM-to-SIGKILL grace for the running step, if not the worker's default. */
  gracePeriodSeconds?: number;
}

export interface RunQueueOptions {
  redis: RedisClient;
  prefix: string;
}

export class RunQueue {
  readonly queue: Queue<RunJobData>;
  readonly #redis: RedisClient;
  readonly #keys: ResourceKeys;
  #addScript: Promise<LoadedScript & { name: string }> | undefined;
  #scriptsLoaded = false;
  #tx: RedisClient | undefined;

  constructor(opts: RunQueueOptions) {
    this.#redis = opts.redis;
    this.#keys = new ResourceKeys(opts.prefix, RUN_QUEUE);
    this.queue = new Queue<RunJobData>(RUN_QUEUE, { connection: opts.redis, prefix: opts.prefix });
  }

  /**
   * BullMQ's add-job script, as BullMQ loaded it on its connection. Transactions send it (and
   * ours) as EVALSHA: ioredis would send the whole source of a script in every MULTI.
   */
  #addJobScript(): Promise<LoadedScript & { name: string }> {
    this.#addScript ??= (async () => {
      const backend = (this.queue as unknown as { backend: { client: Promise<unknown> } }).backend;
      const loaded = (await backend.client) as { scriptsSet?: Record<string, { lua: string; numberOfKeys: number; sha: string }> };
      const name = Object.keys(loaded.scriptsSet ?? {}).find((n) => n.startsWith('addStandardJob:'));
      const script = name ? loaded.scriptsSet?.[name] : undefined;
      if (!name || !script) throw new Error('BullMQ\'s addStandardJob script was not found on its connection');
      return { name, lua: script.lua, numberOfKeys: script.numberOfKeys, sha: script.sha };
    })();
    return this.#addScript;
  }

  /** A connection without custom commands: ioredis copies every defined command into each MULTI. */
  #txClient(): RedisClient {
    if (!this.#tx) {
      this.#tx = duplicateClient(this.#redis, { enableAutoPipelining: false });
      this.#tx.on('error', () => undefined);
    }
    return this.#tx;
  }

  /**
   * A transaction that creates a run's record (the store's script) and adds its job: one
   * MULTI, so both happen or neither does. Scripts are loaded before the first use and again
   * after Redis lost them (NOSCRIPT, e.g. after a restart); a MULTI that failed that way is
   * undone where it half-applied and retried once.
   */
  transactionWithJob(data: RunJobData, backoffSeconds: number): CreateTransaction {
    const job = new Job<RunJobData>(this.queue, 'run', data, {
      jobId: data.uid,
      // Attempts are counted on the run (spec.retry.limit); BullMQ only schedules them.
      attempts: 1_000_000,
      backoff: { type: 'fixed', delay: backoffSeconds * 1000 },
      removeOnComplete: true,
      removeOnFail: true,
    }, data.uid);
    return {
      run: async (create, args) => {
        const add = await this.#addJobScript();
        for (let attempt = 0; ; attempt++) {
          if (!this.#scriptsLoaded) {
            // On a Cluster: on every master, as the one that owns the prefix's slot may change.
            const nodes = await masterNodes(this.#txClient());
            await Promise.all(nodes.flatMap((node) => [create, add].map((sc) => node.script('LOAD', sc.lua))));
            this.#scriptsLoaded = true;
          }
          const multi = this.#txClient().multi();
          multi.evalsha(create.sha, create.numberOfKeys, ...args);
          // What BullMQ expects of a transaction (its augmentTransaction): runCommand(name, args).
          const addJob = job.addJob({
            runCommand: (_name: string, a: (string | Buffer | number)[]) => multi.evalsha(add.sha, add.numberOfKeys, ...a),
          } as never);
          const results = await multi.exec();
          await addJob;
          if (!results) throw new Error('transaction aborted');
          const [created, added] = results;
          const lost = (r: [Error | null, unknown] | undefined): boolean => !!r?.[0] && /NOSCRIPT/.test(r[0].message);
          if (lost(created) || lost(added)) {
            this.#scriptsLoaded = false;
            if (lost(created) && !lost(added)) await this.removeJob(data.uid); // a job without its record
            if (lost(added) && !lost(created)) {
              // The record was written without its job: add the job now (same id, idempotent).
              await this.queue.add('run', data, job.opts);
              results[1] = [null, data.uid];
            } else if (attempt === 0) {
              continue;
            }
          }
          for (const [err] of results) if (err) throw err;
          const reply = created?.[1];
          // The record's script refused (the name exists): take back the job queued with it.
          if (Array.isArray(reply) && reply[0] === -1) await this.removeJob(data.uid);
          return reply;
        }
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
    this.#tx?.disconnect();
    await this.queue.close();
  }
}
