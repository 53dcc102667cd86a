// Finding the step processes a test started, by a unique marker in their command line.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * A `sleep` duration unique to this call (`1000.<digits>`): `sleep <it>` sleeps ~1000 s, and the
 * text is a marker that finds exactly that process (and its shell) with `pgrep -f`.
 */
export function uniqueSleep(): string {
  return `1000.${randomBytes(4).readUInt32BE(0)}`;
}

function isLive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Pids of live (non-zombie) processes whose command line contains `marker` (`pgrep -f`). */
export function processesMatching(marker: string): number[] {
  let out: string;
  try {
    out = execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' });
  } catch (err) {
    if ((err as { status?: number }).status === 1) return [];
    throw err;
  }
  return out.split('\n').filter(Boolean).map(Number).filter((pid) => pid !== process.pid && isLive(pid));
}

/** SIGKILLs, by pid, the processes `processesMatching(marker)` finds (cleanup after a test). */
export function killMatching(marker: string): void {
  for (const pid of processesMatching(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
