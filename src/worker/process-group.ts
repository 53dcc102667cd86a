// Signalling and reaping a step's process group, as kubelet tears down a container: SIGTERM, a grace
// period, then SIGKILL for whatever is left.
//
// "Alive" ignores zombies. A member killed after its parent (the step's shell) exited is reparented
// to PID 1, and only PID 1 can reap it; when PID 1 reaps lazily (or is `node`, which never reaps
// strangers) the zombie keeps its group id for a while, and `kill(-pgid, 0)` keeps succeeding. A
// zombie runs no code and holds no pipe, so on Linux the group is "gone" once no member is running.

import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long to wait for SIGKILLed members to disappear before giving up on them. */
export const KILL_WAIT_MS = 5_000;

const POLL_MIN_MS = 5;
const POLL_MAX_MS = 100;
const PROC_SCAN_BATCH = 32;

/**
 * Sends `signal` (or 0, to probe) to every process of group `pgid`. Returns false when the group
 * has no member at all (ESRCH); true when it has one, even if none could be signalled (EPERM).
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') return true;
    throw err;
  }
}

/** True while some member of group `pgid` still runs (zombies excluded where /proc tells them). */
export async function groupIsAlive(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  if (process.platform !== 'linux') return true;
  return hasRunningMember(pgid);
}

/** Polls until group `pgid` is gone; resolves true if it went within `timeoutMs`, else false. */
export async function waitForGroupExit(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = POLL_MIN_MS;
  for (;;) {
    if (!(await groupIsAlive(pgid))) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, POLL_MAX_MS);
  }
}

/**
 * Stops group `pgid`: SIGTERM, then SIGKILL if any member still runs after `graceMs`. Resolves
 * once the group is gone, or KILL_WAIT_MS after the SIGKILL (a process stuck in the kernel).
 */
export async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  if (await waitForGroupExit(pgid, graceMs)) return;
  await killGroup(pgid);
}

/** SIGKILLs every member of group `pgid` and waits (at most KILL_WAIT_MS) until it is gone. */
export async function killGroup(pgid: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGKILL')) return;
  await waitForGroupExit(pgid, KILL_WAIT_MS);
}

/**
 * Scans /proc for members of `pgid`. When it cannot read /proc, or finds no member at all although
 * `kill` found the group (another PID namespace's /proc, hidepid), it cannot tell and answers true.
 */
async function hasRunningMember(pgid: number): Promise<boolean> {
  const entries = await readdir('/proc').catch(() => undefined);
  if (entries === undefined) return true;
  const pids = entries.filter((name) => /^\d+$/.test(name));
  let sawMember = false;
  for (let i = 0; i < pids.length; i += PROC_SCAN_BATCH) {
    const stats = await Promise.all(pids.slice(i, i + PROC_SCAN_BATCH).map((pid) => readStat(pid)));
    for (const stat of stats) {
      if (stat?.pgrp !== pgid) continue;
      if (stat.state !== 'Z' && stat.state !== 'X') return true;
      sawMember = true;
    }
  }
  return !sawMember;
}

interface ProcStat {
  state: string;
  pgrp: number;
}

/** Reads state and process group from /proc/<pid>/stat; undefined if the process is gone. */
async function readStat(pid: string): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp …" — comm may itself contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
}
