// What every worker does now and then for all runs, whoever holds them: deleting finished runs
// whose TTL has passed, and failing runs whose job was lost.
import { expiresAt, isActive } from '../apis/kubeactions/status.js';
import type { WorkflowRun } from '../apis/kubeactions/types.js';
import type { Records } from '../queue/records.js';
import type { RunQueue } from '../queue/run-queue.js';
import type { RunEndings } from './run-endings.js';

/** Deletes finished runs whose ttlSecondsAfterFinished has passed (up to 100 per call). */
export async function deleteExpired(records: Records<WorkflowRun>): Promise<void> {
  for (const member of await records.store.expired(Date.now(), 100)) {
    const cur = await records.read(member);
    const at = cur ? expiresAt(cur.obj) : undefined;
    if (!cur) await records.store.redis.zrem(records.store.keys.ttl, member);
    else if (at !== undefined && at <= Date.now()) await records.remove(member);
  }
}

/** Active runs whose job no longer exists end Failed (WorkerLost), or are deleted if asked. */
export async function failLostRuns(records: Records<WorkflowRun>, queue: RunQueue, endings: RunEndings): Promise<void> {
  for (const member of await records.store.activeMembers()) {
    const cur = await records.read(member);
    if (!cur || !isActive(cur.obj)) continue;
    const state = await queue.jobState(cur.obj.metadata.uid);
    if (state !== 'unknown' && state !== 'completed' && state !== 'failed') continue;
    if (cur.obj.metadata.deletionTimestamp) {
      await records.remove(member);
      continue;
    }
    await endings.finish(member, cur.obj.metadata.uid, 'Failed', 'WorkerLost', 'the run\'s job was lost: its worker stopped and the job could not be recovered');
  }
}
