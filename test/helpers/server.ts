// Starts the real `kube-actions dev` as a child process (on a free port, its own data dir and,
// unless given, its own redis-server) and drives it with the real kubectl. A given Redis URL goes
// through env REDIS_URL: it may carry a password, which kube-actions refuses in argv.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface DevServer {
  url: string;
  port: number;
  kubeconfig: string;
  dataDir: string;
  token: string;
  ca: string;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export async function startDevServer(opts: { redisUrl?: string; args?: string[]; dataDir?: string } = {}): Promise<DevServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'kube-actions-dev-')));
  const args = [MAIN, 'dev', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn',
    '--stalled-interval', '1', '--lock-duration', '2', '--kill-grace-period', '2', '--shutdown-grace-period', '1s', ...(opts.args ?? [])];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDIS_URL: opts.redisUrl ?? '' } });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kube-actions dev did not start within 30s:\n${out}`)), 30_000);
    const onData = (): void => {
      const m = /serving on https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout?.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kube-actions dev exited with ${code}:\n${out}`));
    });
  });
  const [token, ca] = await Promise.all([
    readFile(path.join(dataDir, 'admin-token'), 'utf8'),
    readFile(path.join(dataDir, 'certs', 'ca.crt'), 'utf8'),
  ]);
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    kubeconfig: path.join(dataDir, 'kubeconfig'),
    dataDir,
    token: token.trim(),
    ca,
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real kubectl with the server's kubeconfig. */
export function kubectl(server: DevServer, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', server.kubeconfig, ...args],
      { timeout: opts.timeoutMs ?? 60_000, env: { ...process.env, HOME: server.dataDir } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** A long-running kubectl (get -w, logs -f): its output so far, and a way to stop it. */
export function kubectlStream(server: DevServer, args: string[]): { output(): string; stop(): void; exited: Promise<number | null> } {
  const child = spawn('kubectl', ['--kubeconfig', server.kubeconfig, ...args], { env: { ...process.env, HOME: server.dataDir } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { output: () => out, stop: () => void child.kill('SIGTERM'), exited };
}
