// Step isolation (DESIGN §4 "Trust boundaries"): the processes of a run — its steps, what they
// start, its exec and attach sessions — run under a uid and gid of their own, one per run, from a
// configured range, with no capabilities, no supplementary groups, no_new_privs (util-linux
// `setpriv`), and per-run limits (rlimits set by the step's shell: processes of the uid, memory,
// CPU time and file size of each process). Its workspace is owned by that uid, mode 0700, under a
// root that other uids may traverse but not list. When the run ends every process of the uid is
// killed and its files in the shared temporary directories are removed before the uid is given
// to another run. A run may ask for a network namespace with only loopback (`spec.network: None`).
//
// Uids are allocated host-wide (every worker on the host shares the lock directory): a lock file
// per uid, created with O_EXCL, naming the worker process that holds it; a lock whose process is
// gone is taken over after that uid's processes are killed.

import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, chown, lstat, mkdir, open, readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { findExecutable } from './find-executable.js';
import { guardUid, releaseUid } from './group-guard.js';
import { removeWorkspace } from './workspace.js';

export type IsolationMode = 'auto' | 'required' | 'off';
export type NetworkMode = 'Host' | 'None';

/** The limits of one run's processes. */
export interface StepLimits {
  /** RLIMIT_NPROC of the run's uid: how many processes the run may have at once. */
  processes: number;
  /** RLIMIT_DATA of each process, in bytes. */
  memoryBytes: number;
  /** RLIMIT_FSIZE: the largest file a process may write, in bytes. */
  fileBytes: number;
  /** RLIMIT_CPU of each process, in seconds. */
  cpuSeconds: number;
}

export interface SandboxSettings {
  mode: IsolationMode;
  /** The uids (and as many gids, same numbers) given to runs, inclusive. */
  uids: { first: number; last: number };
  /** Host-wide directory of the uid locks; created root-only. */
  lockDir: string;
  /** The worker's network for steps: None gives every run a network of its own. */
  network: NetworkMode;
  /** The most a run may have; also what it gets when it asks for nothing. */
  max: StepLimits;
}

export const DEFAULT_UID_RANGE = { first: 100_000, last: 165_535 };
export const DEFAULT_LOCK_DIR = '/run/kube-actions/step-uids';
export const DEFAULT_STEP_LIMITS: StepLimits = {
  processes: 1024,
  memoryBytes: 4 * 2 ** 30,
  fileBytes: 8 * 2 ** 30,
  cpuSeconds: 24 * 3600,
};

/** What a run asks for; its limits are capped by the worker's maximum. */
export interface RunRequest {
  network?: NetworkMode;
  limits?: Partial<StepLimits>;
}

/** What to start as a run's identity: a script for /bin/sh -c, or a program with its arguments. */
export type Command = { script: string } | { argv: string[] };

/** One run's identity, from `StepSandbox.acquire` until `release`. */
export interface RunIdentity {
  uid: number;
  gid: number;
  network: NetworkMode;
  limits: StepLimits;
  /**
   * The argv that starts `command` as this identity, in `workingDir` (absolute, inside the
   * workspace; created as this uid when missing). Spawn it with the workspace as cwd.
   */
  argv(command: Command, workingDir?: string): string[];
  /** Gives `workspace` (just created) to this uid, mode 0700. */
  own(workspace: string): Promise<void>;
  /**
   * Ends the run's hold on the uid: kills every process of it, removes `workspace` and the uid's
   * files in the shared temporary directories, then frees the uid.
   */
  release(workspace: string): Promise<void>;
}

// Capability numbers (linux/capability.h).
const CAP = { CHOWN: 0, DAC_OVERRIDE: 1, FOWNER: 3, KILL: 5, SETGID: 6, SETUID: 7, SETPCAP: 8, NET_ADMIN: 12, SYS_ADMIN: 21 } as const;
/** What isolation cannot do without, and why. */
const NEEDED: [keyof typeof CAP, string][] = [
  ['SETUID', 'run steps as their uid'],
  ['SETGID', 'run steps as their gid'],
  ['CHOWN', 'give a workspace to its run'],
  ['FOWNER', 'set the modes of workspaces'],
  ['DAC_OVERRIDE', 'remove what a run left in its workspace'],
  ['KILL', 'stop the processes of runs'],
];
/** Directories every uid may write to, cleaned of a run's files when it ends. */
const SHARED_TEMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm'];
const KILL_WAIT_MS = 5_000;
const PROC_SCAN_BATCH = 64;

/**
 * Decides whether this worker isolates steps. `off`, or `auto` without the privilege, answer
 * undefined (steps run as the worker's user) after a loud warning; `required` without it throws,
 * naming what is missing. A worker-wide `network: None` it cannot provide always throws.
 */
export async function createSandbox(s: SandboxSettings, log: Logger): Promise<StepSandbox | undefined> {
  if (s.mode === 'off') {
    log.warn('--step-isolation=off: steps run as the worker\'s own user and can reach everything it can (its Redis credentials, other runs); use only where every step is trusted');
    return undefined;
  }
  const probe = await probeHost();
  if (probe.missing.length > 0) {
    const why = `this worker cannot isolate steps: it lacks ${probe.missing.join('; ')} (run the worker as root, or with these capabilities)`;
    if (s.mode === 'required') throw new Error(`--step-isolation=required, but ${why}`);
    log.warn(`STEPS ARE NOT ISOLATED: ${why}. Every step runs as the worker's own user and can read its Redis credentials and other runs' files and processes. --step-isolation=required refuses to start instead.`);
    return undefined;
  }
  if (s.network === 'None' && probe.noNetwork !== undefined) {
    throw new Error(`--step-network=None, but this worker cannot give steps a network of their own: it lacks ${probe.noNetwork}`);
  }
  checkRange(s.uids);
  await mkdir(s.lockDir, { recursive: true, mode: 0o700 });
  await chown(s.lockDir, 0, 0);
  await chmod(s.lockDir, 0o700);
  return new StepSandbox(s, probe, log);
}

interface HostProbe {
  /** What isolation lacks, each with what it is for. */
  missing: string[];
  /** What `network: None` lacks; undefined when it can be given. */
  noNetwork?: string;
  /** Whether setpriv may empty the capability bounding set. */
  dropBounding: boolean;
}

async function probeHost(): Promise<HostProbe> {
  if (process.platform !== 'linux') return { missing: [`Linux (this is ${process.platform})`], dropBounding: false };
  const caps = await effectiveCapabilities();
  const has = (c: keyof typeof CAP): boolean => (caps >> BigInt(CAP[c])) & 1n ? true : false;
  const missing = NEEDED.filter(([c]) => !has(c)).map(([c, why]) => `CAP_${c} (to ${why})`);
  if (!(await findExecutable('setpriv'))) missing.push('util-linux setpriv on PATH');
  if (missing.length === 0 && !(await shellSetsLimits())) missing.push('a /bin/sh whose ulimit sets -p (processes), -d, -t and -f as dash\'s does');
  const lacksNetwork = [
    ...(has('SYS_ADMIN') ? [] : ['CAP_SYS_ADMIN (to create a network namespace)']),
    ...(has('NET_ADMIN') ? [] : ['CAP_NET_ADMIN (to bring its loopback up)']),
    ...((await findExecutable('unshare')) ? [] : ['util-linux unshare on PATH']),
    ...((await findExecutable('ip')) ? [] : ['iproute2 ip on PATH']),
  ];
  return { missing, dropBounding: has('SETPCAP'), ...(lacksNetwork.length > 0 ? { noNetwork: lacksNetwork.join(', ') } : {}) };
}

async function effectiveCapabilities(): Promise<bigint> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return hex === undefined ? 0n : BigInt(`0x${hex}`);
}

/** True when the shell's ulimit sets RLIMIT_NPROC (-p), RLIMIT_DATA (-d, KiB), RLIMIT_CPU (-t) and RLIMIT_FSIZE (-f, 512-byte blocks) as dash's does. */
async function shellSetsLimits(): Promise<boolean> {
  const out = await new Promise<string>((done) => {
    const child = spawn('/bin/sh', ['-c', 'ulimit -p 4097 && ulimit -d 1048577 && ulimit -t 86401 && ulimit -f 1048579 && cat /proc/self/limits'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', () => done(''));
    child.on('close', () => done(text));
  });
  return /^Max processes\s+4097\s+4097/m.test(out) && /^Max file size\s+536872448\s+536872448/m.test(out)
    && /^Max data size\s+1073742848\s+1073742848/m.test(out) && /^Max cpu time\s+86401\s+86401/m.test(out);
}

function checkRange(r: { first: number; last: number }): void {
  if (!Number.isInteger(r.first) || !Number.isInteger(r.last) || r.first < 1000 || r.last < r.first || r.last > 4_294_967_294) {
    throw new Error(`--step-uid-range ${r.first}-${r.last}: needs 1000 <= first <= last < 4294967295`);
  }
  const own = process.getuid?.() ?? 0;
  if (own >= r.first && own <= r.last) throw new Error(`--step-uid-range ${r.first}-${r.last} contains the worker's own uid ${own}`);
}

/** Parses `--step-uid-range` (`100000-165535`). */
export function parseUidRange(text: string): { first: number; last: number } {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`--step-uid-range ${JSON.stringify(text)}: expected <first>-<last>, e.g. 100000-165535`);
  const range = { first: Number(m[1]), last: Number(m[2]) };
  checkRange(range);
  return range;
}

/** Isolation as this worker gives it; see the file comment. */
export class StepSandbox {
  readonly #s: SandboxSettings;
  readonly #probe: HostProbe;
  readonly #log: Logger;
  readonly #held = new Set<number>();
  /** What this worker writes into the locks it holds: its pid and start time. */
  readonly #owner = startTime(process.pid).then((started) => `${process.pid} ${started}\n`);

  constructor(s: SandboxSettings, probe: HostProbe, log: Logger) {
    this.#s = s;
    this.#probe = probe;
    this.#log = log;
  }

  /**
   * Makes `dir` the root of run workspaces: root-owned, mode 0711 (every uid may pass through
   * it to its own workspace, none may list it). Throws when a parent directory keeps step uids
   * out (e.g. a home directory of mode 0700).
   */
  async prepareRoot(dir: string): Promise<void> {
    const root = resolve(dir);
    await mkdir(root, { recursive: true });
    await chown(root, 0, 0);
    await chmod(root, 0o711);
    const blocked = await closedAncestor(root);
    if (blocked !== undefined) {
      throw new Error(`the workspace directory ${root} cannot be reached by step uids: ${blocked} may not be passed through by other users (mode o-x); choose a --workspace-dir under a directory every user may traverse`);
    }
  }

  /** Allocates a uid for one run and settles its network and limits. */
  async acquire(request: RunRequest = {}): Promise<RunIdentity> {
    const network: NetworkMode = this.#s.network === 'None' || request.network === 'None' ? 'None' : 'Host';
    if (network === 'None' && this.#probe.noNetwork !== undefined) {
      throw new Error(`spec.network None: this worker cannot give steps a network of their own (it lacks ${this.#probe.noNetwork})`);
    }
    const limits = capLimits(this.#s.max, request.limits ?? {});
    const uid = await this.#allocate();
    return new Identity(this, uid, network, limits);
  }

  async #allocate(): Promise<number> {
    const { first, last } = this.#s.uids;
    const size = last - first + 1;
    const start = Math.floor(Math.random() * size);
    const owner = await this.#owner;
    for (let i = 0; i < size; i++) {
      const uid = first + ((start + i) % size);
      if (this.#held.has(uid)) continue;
      if (await this.#tryLock(uid, owner)) {
        this.#held.add(uid);
        guardUid(uid);
        return uid;
      }
    }
    throw new Error(`no free step uid in --step-uid-range ${first}-${last}: every one is held by a running run`);
  }

  async #tryLock(uid: number, owner: string): Promise<boolean> {
    const file = join(this.#s.lockDir, String(uid));
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
        await handle.writeFile(owner);
        await handle.close();
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      if (await lockIsLive(file)) return false;
      // Its worker is gone (killed, crashed): whatever still runs as the uid is ended first.
      this.#log.info({ uid }, 'taking over the step uid of a worker that is gone');
      await killUid(uid);
      await removeSharedTempFiles(uid);
      await unlink(file).catch(() => undefined);
    }
    return false;
  }

  /** See {@link RunIdentity.release}. A uid whose processes survive SIGKILL stays locked. */
  async release(uid: number, workspace: string): Promise<void> {
    const ended = await killUid(uid).then(() => true, (err: unknown) => {
      this.#log.error({ err, uid }, 'processes of a finished run survived SIGKILL; its step uid stays locked');
      return false;
    });
    await removeWorkspace(workspace).catch((err: unknown) => this.#log.warn({ err, workspace }, 'removing a workspace failed'));
    if (!ended) return;
    await removeSharedTempFiles(uid);
    releaseUid(uid);
    this.#held.delete(uid);
    await unlink(join(this.#s.lockDir, String(uid))).catch(() => undefined);
  }

  argv(identity: Identity, command: Command, workingDir: string | undefined): string[] {
    const { uid, gid, limits } = identity;
    const setpriv = ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--no-new-privs', '--inh-caps=-all',
      ...(this.#probe.dropBounding ? ['--bounding-set=-all'] : []), '--'];
    // The step's own shell lowers its limits (soft and hard: it cannot raise them again), moves
    // to its working directory (created as the run's uid, so never through a link it planted
    // for a root mkdir), then runs the script in itself or execs the program.
    const lines = [
      `ulimit -p ${limits.processes} && ulimit -d ${Math.ceil(limits.memoryBytes / 1024)} && ulimit -t ${limits.cpuSeconds} && ulimit -f ${Math.ceil(limits.fileBytes / 512)} || exit 126`,
      ...(workingDir === undefined ? [] : ['mkdir -p -- "$1" && cd -- "$1" || exit 126', 'shift']),
      'script' in command ? '__ka_script=$1; shift; eval "unset __ka_script; $__ka_script"' : 'exec "$@"',
    ];
    const shell = ['/bin/sh', '-c', lines.join('\n'), '/bin/sh', ...(workingDir === undefined ? [] : [workingDir]),
      ...('script' in command ? [command.script] : command.argv)];
    const network = identity.network === 'None' ? ['unshare', '--net', '--', '/bin/sh', '-c', 'ip link set lo up || exit 126\nexec "$@"', '/bin/sh'] : [];
    return [...network, ...setpriv, ...shell];
  }
}

class Identity implements RunIdentity {
  readonly gid: number;

  constructor(readonly sandbox: StepSandbox, readonly uid: number, readonly network: NetworkMode, readonly limits: StepLimits) {
    this.gid = uid;
  }

  argv(command: Command, workingDir?: string): string[] {
    return this.sandbox.argv(this, command, workingDir);
  }

  async own(workspace: string): Promise<void> {
    await chown(workspace, this.uid, this.gid);
    await chmod(workspace, 0o700);
  }

  release(workspace: string): Promise<void> {
    return this.sandbox.release(this.uid, workspace);
  }
}

function capLimits(max: StepLimits, asked: Partial<StepLimits>): StepLimits {
  const cap = (k: keyof StepLimits): number => Math.min(max[k], asked[k] ?? max[k]);
  return { processes: cap('processes'), memoryBytes: cap('memoryBytes'), fileBytes: cap('fileBytes'), cpuSeconds: cap('cpuSeconds') };
}

/** The first existing ancestor of `dir` (excluding it) that other users cannot pass through. */
export async function closedAncestor(dir: string): Promise<string | undefined> {
  for (let p = dirname(resolve(dir)); ; p = dirname(p)) {
    const st = await stat(p).catch(() => undefined);
    if (st !== undefined && (st.mode & 0o001) === 0) return p;
    if (dirname(p) === p) return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, so that a reused pid is not taken for it. */
async function startTime(pid: number): Promise<string | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => undefined);
  return text?.slice(text.lastIndexOf(')') + 2).split(' ')[19];
}

async function lockIsLive(file: string): Promise<boolean> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return false;
  const [pid, started] = text.trim().split(' ');
  if (pid === undefined || !/^\d+$/.test(pid)) return false;
  const now = await startTime(Number(pid));
  return now !== undefined && now === started;
}

/**
 * SIGKILLs every process of `uid` — `kill(-1)` run as that uid reaches exactly them, and the
 * kernel delivers it to all at once, so a fork bomb cannot outrun it — and waits until none runs.
 */
export async function killUid(uid: number): Promise<void> {
  const deadline = Date.now() + KILL_WAIT_MS;
  while ((await processesOfUid(uid)).length > 0) {
    if (Date.now() > deadline) throw new Error(`processes of step uid ${uid} survived SIGKILL for ${KILL_WAIT_MS} ms`);
    await new Promise<void>((done) => {
      const child = spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', '/bin/sh', '-c', 'kill -KILL -1'], { stdio: 'ignore' });
      child.on('error', () => done());
      child.on('close', () => done());
    });
    await sleep(5);
  }
}

/** Pids whose real uid is `uid`, zombies excluded. */
async function processesOfUid(uid: number): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const found: number[] = [];
  for (let i = 0; i < pids.length; i += PROC_SCAN_BATCH) {
    const batch = pids.slice(i, i + PROC_SCAN_BATCH);
    const statuses = await Promise.all(batch.map((pid) => readFile(`/proc/${pid}/status`, 'latin1').catch(() => '')));
    statuses.forEach((status, j) => {
      const real = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      const state = /^State:\s+(\S)/m.exec(status)?.[1];
      if (real === String(uid) && state !== 'Z' && state !== 'X') found.push(Number(batch[j]));
    });
  }
  return found;
}

/** Removes what `uid` owns directly in /tmp, /var/tmp and /dev/shm, so the next run of the uid finds none of it. */
async function removeSharedTempFiles(uid: number): Promise<void> {
  for (const dir of SHARED_TEMP_DIRS) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const path = join(dir, name);
      const st = await lstat(path).catch(() => undefined);
      if (st?.uid === uid) await rm(path, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
