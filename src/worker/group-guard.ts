// Process groups that must not outlive this process. Steps run in process groups of their own, so
// a worker killed with SIGKILL would leave them running, beside the retry another worker starts.
// A small watchdog shell, started with the first group, reads a pipe from this process: when the
// pipe closes, however this process ended, it SIGKILLs every group still registered, then exits.
import { type ChildProcess, spawn } from 'node:child_process';

// Ignores the signals a terminal or a supervisor sends to a whole group: it ends only at EOF.
const WATCHDOG = `trap '' HUP INT TERM QUIT
groups=' '
while read -r op pg; do
  case "$op" in
    +) groups="$groups$pg " ;;
    -) kept=' '; for g in $groups; do [ "$g" = "$pg" ] || kept="$kept$g "; done; groups=$kept ;;
  esac
done
for g in $groups; do kill -KILL -"$g" 2>/dev/null; done`;

const guarded = new Set<number>();
let watchdog: ChildProcess | undefined;

function started(): ChildProcess {
  if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null && watchdog.stdin?.writable) return watchdog;
  const child = spawn('/bin/sh', ['-c', WATCHDOG], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  // Neither the watchdog nor its pipe keeps this process alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  watchdog = child;
  // A watchdog that died is replaced by one that knows every group still guarded.
  for (const pgid of guarded) child.stdin?.write(`+ ${pgid}\n`);
  return child;
}

/** Registers process group `pgid`: it is SIGKILLed if this process ends before `releaseGroup`. */
export function guardGroup(pgid: number): void {
  if (guarded.has(pgid)) return;
  guarded.add(pgid);
  started().stdin?.write(`+ ${pgid}\n`);
}

/** The group has ended (or was stopped by this process): the watchdog forgets it. */
export function releaseGroup(pgid: number): void {
  if (!guarded.delete(pgid)) return;
  watchdog?.stdin?.write(`- ${pgid}\n`);
}
