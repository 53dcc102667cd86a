// Starts the real `kube-actions apiserver` and `kube-actions worker` as separate child processes
// (against a Redis the test started), so that tests can kill them independently. The Redis URL
// goes through env REDIS_URL, never argv: it carries the test Redis' password.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiTarget } from './runs.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** A kube-actions child process. */
export interface Component {
  proc: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** SIGTERM and wait for the exit (at once if it has exited). */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit. */
  kill9(): Promise<void>;
}

export interface ApiServerProcess extends Component {
  target: ApiTarget;
}

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((r) => proc.once('exit', () => r()));
}

/**
 * Spawns `node main.js <args>` with JSON logs at info level and env REDIS_URL=`redisUrl` (empty:
 * none), and resolves once a log line has a `msg` equal to `ready`, with that line; rejects if the
 * process exits first or after 30 s.
 */
async function spawnComponent(args: string[], ready: string, redisUrl: string): Promise<{ c: Component; line: Record<string, unknown> }> {
  const proc = spawn(process.execPath, [MAIN, ...args, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDIS_URL: redisUrl } });
  let out = '';
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kube-actions ${args[0] ?? ''} did not start within 30s:\n${out}`)), 30_000);
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      for (const text of out.split('\n')) {
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (parsed.msg !== ready) continue;
        clearTimeout(timer);
        resolve(parsed);
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`kube-actions ${args[0] ?? ''} exited with ${code ?? signal}:\n${out}`));
    });
  });
  const c: Component = {
    proc,
    output: () => out,
    stop: async () => {
      const done = exited(proc);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await done;
    },
    kill9: async () => {
      const done = exited(proc);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await done;
    },
  };
  return { c, line };
}

/**
 * Starts `kube-actions apiserver` on a free port of 127.0.0.1 with a self-signed certificate and
 * a static admin token, both kept under `dir`.
 */
export async function startApiServerProcess(opts: { redisUrl: string; dir: string; args?: string[] }): Promise<ApiServerProcess> {
  await mkdir(opts.dir, { recursive: true });
  const token = 'faults-admin-token';
  const tokenFile = join(opts.dir, 'tokens.csv');
  await writeFile(tokenFile, `${token},admin,admin-uid,"system:masters"\n`);
  const certDir = join(opts.dir, 'certs');
  const { c, line } = await spawnComponent(['apiserver', '--secure-port', '0', '--bind-address', '127.0.0.1',
    '--cert-dir', certDir, '--token-auth-file', tokenFile, ...(opts.args ?? [])], 'apiserver serving', opts.redisUrl);
  const ca = await readFile(join(certDir, 'ca.crt'), 'utf8');
  return { ...c, target: { url: `https://127.0.0.1:${Number(line.port)}`, token, ca } };
}

/** Starts `kube-actions worker` (short lock and stall intervals, so lost work is found fast). */
export async function startWorkerProcess(opts: { redisUrl: string; workspaceDir: string; args?: string[] }): Promise<Component> {
  // The test's temporary directory (mode 0700) must let step uids through to their workspaces.
  await chmod(dirname(resolve(opts.workspaceDir)), 0o711);
  const { c } = await spawnComponent(['worker', '--workspace-dir', opts.workspaceDir,
    '--stalled-interval', '1', '--lock-duration', '2', '--kill-grace-period', '2', '--shutdown-grace-period', '1s', ...(opts.args ?? [])], 'worker started', opts.redisUrl);
  return c;
}
