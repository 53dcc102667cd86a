// The soak's servers: real `kube-actions apiserver` and `kube-actions worker` processes
// (dist/src/cli/main.js), each with an inspector on a loopback port so that the bench can
// collect its garbage before reading its memory.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
/** Output kept per process, for failure messages. */
const TAIL_CHARS = 64 * 1024;

/** One running kube-actions process. */
export interface ServerProcess {
  /** `apiserver-1`, `worker-2`, … */
  readonly name: string;
  readonly pid: number;
  /** The inspector's websocket URL (ws://127.0.0.1:…). */
  readonly inspectorUrl: string;
  /** The end of what it wrote on stdout and stderr. */
  output(): string;
  /** Whether it has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after 15 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/** The started processes and the apiservers' ports. */
export interface Cluster {
  apiservers: ServerProcess[];
  workers: ServerProcess[];
  ports: number[];
  /** Every process, apiservers first. */
  all(): ServerProcess[];
  stop(): Promise<void>;
}

/** What the processes are started with. */
export interface ClusterOptions {
  redisUrl: string;
  /** A directory for the token file and the workspaces. */
  dir: string;
  certFile: string;
  keyFile: string;
  /** A bearer token the apiservers accept for a member of `system:masters`. */
  token: string;
  apiservers: number;
  workers: number;
}

/** Parses JSON log lines as they come; resolves with the first whose `msg` is `ready`. */
function awaitReady(proc: ChildProcess, name: string, ready: string, tail: () => string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let partial = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${START_TIMEOUT_MS / 1000} s:\n${tail()}`)), START_TIMEOUT_MS);
    const onData = (d: Buffer): void => {
      const lines = (partial + d.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (parsed.msg !== ready) continue;
        clearTimeout(timer);
        proc.stdout?.off('data', onData);
        resolve(parsed);
        return;
      }
    };
    proc.stdout?.on('data', onData);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code ?? signal}:\n${tail()}`));
    });
  });
}

/** The inspector URL node prints on stderr at start. */
function awaitInspector(proc: ChildProcess, name: string, tail: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} announced no inspector:\n${tail()}`)), START_TIMEOUT_MS);
    const onData = (): void => {
      const m = /Debugger listening on (ws:\/\/\S+)/.exec(tail());
      if (!m?.[1]) return;
      clearTimeout(timer);
      proc.stderr?.off('data', onData);
      resolve(m[1]);
    };
    proc.stderr?.on('data', onData);
  });
}

/**
 * On Linux, util-linux `setpriv --pdeathsig TERM` (as src/cli/redis-child.ts uses it), so that
 * the kernel stops the servers when the bench process dies, however it dies.
 */
function launcher(): string[] {
  if (process.platform !== 'linux') return [];
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const setpriv = dirs.map((d) => path.join(d, 'setpriv')).find((f) => existsSync(f));
  return setpriv === undefined ? [] : [setpriv, '--pdeathsig', 'TERM', '--'];
}

async function startProcess(name: string, args: string[], ready: string): Promise<{ p: ServerProcess; line: Record<string, unknown> }> {
  const [command, ...rest] = [...launcher(), process.execPath, '--inspect=127.0.0.1:0', CLI_MAIN, ...args];
  const proc = spawn(command ?? process.execPath, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDIS_URL: '' } });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString('utf8')).slice(-TAIL_CHARS);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const isGone = (): boolean => proc.exitCode !== null || proc.signalCode !== null;
  const p: ServerProcess = {
    name, pid: proc.pid ?? 0, inspectorUrl: '',
    output: () => out,
    exited: isGone,
    stop: async () => {
      if (isGone()) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await gone;
      clearTimeout(timer);
    },
  };
  try {
    const [line, inspectorUrl] = await Promise.all([awaitReady(proc, name, ready, () => out), awaitInspector(proc, name, () => out)]);
    return { p: { ...p, inspectorUrl }, line };
  } catch (err) {
    await p.stop();
    throw err;
  }
}

/**
 * Starts `o.apiservers` apiservers (free loopback ports, the given certificate, a token file)
 * and `o.workers` workers on one Redis; stops whatever started if any fails.
 */
export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  await mkdir(o.dir, { recursive: true });
  const tokenFile = path.join(o.dir, 'tokens.csv');
  await writeFile(tokenFile, `${o.token},soak,soak-uid,"system:masters"\n`);
  const common = ['--redis-url', o.redisUrl, '--log-level', 'info'];
  const apiservers: ServerProcess[] = [];
  const workers: ServerProcess[] = [];
  const ports: number[] = [];
  const cluster: Cluster = {
    apiservers, workers, ports,
    all: () => [...apiservers, ...workers],
    stop: async () => void (await Promise.all(cluster.all().map((p) => p.stop()))),
  };
  try {
    for (let i = 1; i <= o.apiservers; i++) {
      const { p, line } = await startProcess(`apiserver-${i}`, ['apiserver', ...common, '--secure-port', '0', '--bind-address', '127.0.0.1',
        '--tls-cert-file', o.certFile, '--tls-private-key-file', o.keyFile, '--token-auth-file', tokenFile], 'apiserver serving');
      apiservers.push(p);
      ports.push(Number(line.port));
    }
    for (let i = 1; i <= o.workers; i++) {
      const { p } = await startProcess(`worker-${i}`, ['worker', ...common, '--workspace-dir', path.join(o.dir, `workspaces-${i}`)], 'worker started');
      workers.push(p);
    }
    return cluster;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}
