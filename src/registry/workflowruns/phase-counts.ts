// How many WorkflowRuns are in each phase, kept in memory from the change feed: counted once
// by a list of all runs (on the first call of counts()), then moved along by each change (one
// JSON.parse of the changed run). Change resourceVersions are consecutive, so a missed change
// shows as a gap; the counts are then taken again by a new list.
import { RunPhase, type WorkflowRun } from '../../apis/kubeactions/types.js';
import type { ChangeFeed } from '../../queue/change-feed.js';
import type { Change, ObjectStore } from '../../queue/object-store.js';

/** Every phase, so that a phase with no runs still reads 0. */
export const RUN_PHASES: readonly RunPhase[] = Object.values(RunPhase);

function phaseOf(json: string): string {
  return (JSON.parse(json) as WorkflowRun).status?.phase || RunPhase.Pending;
}

function previousPhase(previous: string | undefined): string | undefined {
  if (previous === undefined) return undefined;
  const attrs = JSON.parse(previous) as { f?: Record<string, string> };
  return attrs.f?.['status.phase'] || RunPhase.Pending;
}

export class PhaseCounts {
  readonly #store: ObjectStore;
  readonly #unsubscribe: () => void;
  #counts = new Map<string, number>();
  /** The resourceVersion the counts are at; undefined until counted (or after a gap). */
  #rv: bigint | undefined;
  /** Changes that arrive while a list is counting. */
  #buffered: Change[] | undefined;
  #counting: Promise<void> | undefined;

  constructor(store: ObjectStore, feed: ChangeFeed) {
    this.#store = store;
    this.#unsubscribe = feed.subscribe((changes) => this.#onChanges(changes));
  }

  /** Runs per phase (every phase in RUN_PHASES, and any other phase a run has). */
  async counts(): Promise<ReadonlyMap<string, number>> {
    for (let tries = 0; this.#rv === undefined; tries++) {
      if (tries === 3) throw new Error('the change feed keeps skipping changes');
      await this.#count();
    }
    const out = new Map<string, number>(RUN_PHASES.map((p) => [p, 0]));
    for (const [phase, n] of this.#counts) out.set(phase, n);
    return out;
  }

  close(): void {
    this.#unsubscribe();
  }

  #count(): Promise<void> {
    this.#counting ??= (async () => {
      this.#buffered = [];
      try {
        const { resourceVersion, entries } = await this.#store.list('', undefined, undefined);
        const counts = new Map<string, number>();
        for (const [, json] of entries) add(counts, phaseOf(json), 1);
        this.#counts = counts;
        this.#rv = BigInt(resourceVersion);
        this.#apply(this.#buffered);
      } finally {
        this.#buffered = undefined;
        this.#counting = undefined;
      }
    })();
    return this.#counting;
  }

  #onChanges(changes: Change[]): void {
    if (this.#buffered) this.#buffered.push(...changes);
    else if (this.#rv !== undefined) this.#apply(changes);
  }

  #apply(changes: Change[]): void {
    for (const c of changes) {
      if (this.#rv === undefined) return;
      const rv = BigInt(c.resourceVersion);
      if (rv <= this.#rv) continue;
      if (rv !== this.#rv + 1n || !this.#move(c)) {
        this.#rv = undefined;
        return;
      }
      this.#rv = rv;
    }
  }

  /** Moves one run between phases; false when the change does not say enough. */
  #move(c: Change): boolean {
    try {
      const before = c.type === 'ADDED' ? undefined : previousPhase(c.previous);
      if (c.type !== 'ADDED' && before === undefined) return false;
      if (before !== undefined) add(this.#counts, before, -1);
      if (c.type !== 'DELETED') add(this.#counts, phaseOf(c.json), 1);
      return true;
    } catch {
      return false;
    }
  }
}

function add(counts: Map<string, number>, phase: string, n: number): void {
  counts.set(phase, (counts.get(phase) ?? 0) + n);
}
