// Process groups and step uids that must not outlive this process. Steps run in process groups
// of their own (and, isolated, under uids of their own), so a worker killed with SIGKILL would
// leave them running, beside the retry another worker starts. A small watchdog shell, started with
// the first registration, reads a pipe from this process: when the pipe closes, however this
// process ended, it SIGKILLs every group still registered and every process of every uid still
// registered (kill -1 run as that uid, see sandbox.ts), then exits.
import { type ChildProcess, spawn } from 'node:child_process';

// Ignores the signals a terminal or a supervisor sends to a whole group: it ends only at EOF.
const WATCHDOG = `trap '' HUP INT TERM QUIT
groups=' '
uids=' '
while read -r op id; do
  case "$op" in
    +) groups="$groups$id " ;;
    -) kept=' '; for g in $groups; do [ "$g" = "$id" ] || kept="$kept$g "; done; groups=$kept ;;
    u+) uids="$uids$id " ;;
    u-) kept=' '; for u in $uids; do [ "$u" = "$id" ] || kept="$kept$u "; done; uids=$kept ;;
  esac
done
for g in $groups; do kill -KILL -"$g" 2>/dev/null; done
for u in $uids; do setpriv --reuid="$u" --regid="$u" --clear-groups -- /bin/sh -c 'kill -KILL -1' 2>/dev/null; done`;

const guarded = new Set<number>();
const guardedUids = new Set<number>();
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
  for (const uid of guardedUids) child.stdin?.write(`u+ ${uid}\n`);
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

/** Registers step uid `uid`: all its processes are SIGKILLed if this process ends before `releaseUid`. */
export function guardUid(uid: number): void {
  if (guardedUids.has(uid)) return;
  guardedUids.add(uid);
  started().stdin?.write(`u+ ${uid}\n`);
}

/** The uid's processes are gone (killed by this process): the watchdog forgets it. */
export function releaseUid(uid: number): void {
  if (!guardedUids.delete(uid)) return;
  watchdog?.stdin?.write(`u- ${uid}\n`);
}
