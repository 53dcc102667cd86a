// CPU time of processes from /proc (Linux), to report CPU per operation, which a busy machine
// disturbs less than throughput.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU time (ms) the process has used so far (10 ms resolution on most kernels). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / clockTicks();
}

/** CPU (ms) each of `pids` uses while `fn` runs. */
export async function measureCpu<T>(pids: number[], fn: () => Promise<T>): Promise<{ result: T; cpu: number[] }> {
  const before = pids.map(cpuMs);
  const result = await fn();
  return { result, cpu: pids.map((pid, i) => cpuMs(pid) - (before[i] ?? 0)) };
}
