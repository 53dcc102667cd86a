// kube-actions' own metrics on the apiserver's /metrics, computed when scraped: the BullMQ
// queue, WorkflowRuns per phase, open watches, and every worker's slots (from the workers'
// reports in Redis). A source that cannot be read leaves its series out of that scrape.
import type { RedisClient } from '../queue/redis-client.js';
import { Gauge } from 'prom-client';
import type { ApiServerMetrics } from '../apiserver/metrics.js';
import { WorkerRegistry } from '../queue/worker-registry.js';
import { PhaseCounts } from '../registry/workflowruns/phase-counts.js';
import type { WorkflowRunStorage } from '../registry/workflowruns/storage.js';
import { HEARTBEAT_MAX_AGE_MS } from '../worker/heartbeat.js';

/** The BullMQ job states kubeactions_queue_jobs reports. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

export interface KubeActionsMetricsOptions {
  metrics: ApiServerMetrics;
  storage: WorkflowRunStorage;
  redis: RedisClient;
  prefix: string;
}

/** Registers kube-actions' gauges on the apiserver's registry; `close` stops following changes. */
export function registerKubeActionsMetrics(o: KubeActionsMetricsOptions): { close(): void } {
  const registers = [o.metrics.registry];
  const phases = new PhaseCounts(o.storage.store, o.storage.feed);
  const workers = new WorkerRegistry(o.redis, o.prefix);
  const queue = o.storage.queue.queue;
  new Gauge({
    name: 'kubeactions_queue_jobs', registers, labelNames: ['state'],
    help: 'Jobs of the WorkflowRun queue (BullMQ) per state.',
    async collect() {
      await settle(this, async () => {
        const counts = await queue.getJobCounts(...QUEUE_STATES);
        for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
      });
    },
  });
  new Gauge({
    name: 'kubeactions_workflowruns', registers, labelNames: ['phase'],
    help: 'WorkflowRuns per status.phase.',
    async collect() {
      await settle(this, async () => {
        for (const [phase, n] of await phases.counts()) this.set({ phase }, n);
      });
    },
  });
  new Gauge({
    name: 'kubeactions_watchers', registers,
    help: 'Open watch requests on this apiserver.',
    collect() {
      this.set(o.metrics.openWatches);
    },
  });
  const slots = (name: string, help: string, value: (w: { slots: number; busy: number }) => number): Gauge<'worker'> => new Gauge({
    name, help, registers, labelNames: ['worker'],
    async collect() {
      await settle(this, async () => {
        for (const w of await workers.list(HEARTBEAT_MAX_AGE_MS)) this.set({ worker: w.id }, value(w));
      });
    },
  });
  slots('kubeactions_worker_slots', 'Runs each live worker can execute at once (its --concurrency).', (w) => w.slots);
  slots('kubeactions_worker_busy_slots', 'Runs each live worker is executing.', (w) => w.busy);
  return { close: () => phases.close() };
}

/** Fills a gauge afresh; on failure it stays empty, so a scrape never shows stale numbers. */
async function settle<T extends string>(gauge: Gauge<T>, fill: () => Promise<void>): Promise<void> {
  gauge.reset();
  try {
    await fill();
  } catch {
    gauge.reset();
  }
}
