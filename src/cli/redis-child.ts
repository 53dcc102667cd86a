import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, open } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable } from '../worker/find-executable.js';
import { writeFileAtomic } from './write-file-atomic.js';

/**
 * A private `redis-server` child process (dev mode and tests).
 *
 * The child dies with its parent in three ways: `stop()`; the parent's `exit` event, and SIGINT or
 * SIGTERM when nothing else handles them (handlers registered once), send it SIGTERM; and on Linux
 * it is started through util-linux `setpriv --pdeathsig TERM`, so the kernel signals it even when
 * the parent is SIGKILLed or crashes. It runs in its own process group, so a terminal's Ctrl-C
 * reaches only the parent, which can shut down gracefully while Redis is still up.
 */
export interface RedisChild {
  /** `redis://127.0.0.1:<port>`, or `redis://<username>:<password>@127.0.0.1:<port>` with `auth`. */
  url: string;
  port: number;
  pid: number;
  /** SIGTERM, wait for exit, SIGKILL after 5 s. Resolves at once when the process has exited. */
  stop(): Promise<void>;
}

/** The one ACL user of a child started with `auth`. */
export interface RedisCredentials {
  username: string;
  password: string;
}

/** How to run the child. */
export interface RedisServerOptions {
  /** Data directory (created when missing); mode 0700, as Redis' data is for Redis alone. */
  dir: string;
  /** 0 or undefined: a free port, retried when another process takes it first. */
  port?: number;
  /** AOF with fsync every second; defaults to true. */
  appendOnly?: boolean;
  /** Redis' log file (mode 0600); without one, the log is kept in memory for error messages only. */
  logFile?: string;
  /**
   * Require authentication as this user, who may do everything: `<dir>/users.acl` (mode 0600,
   * rewritten at every start, the password only as its SHA-256) has it and a disabled `default`
   * user, so a connection that has not authenticated can run no command. The password is never
   * in redis-server's argv.
   */
  auth?: RedisCredentials;
  /** How long to wait for the first answer to PING; defaults to 10 s. */
  startTimeoutMs?: number;
  /** More `redis-server` arguments, after the defaults (e.g. `--cluster-enabled yes`). */
  extraArgs?: string[];
  /** A configuration file read before the arguments (Sentinel needs one it can rewrite). */
  configFile?: string;
}

const STOP_GRACE_MS = 5000;
const START_ATTEMPTS = 5;
const PROBE_INTERVAL_MS = 20;
const LOG_TAIL_CHARS = 4000;

const NOT_INSTALLED =
  'redis-server is not installed (not found on PATH). kube-actions starts a private Redis for dev mode and ' +
  'tests: install the OS package redis-server (e.g. `apt-get install redis-server`; `brew install redis` ' +
  'on macOS), or point --redis-url at an existing Redis.';

class AddressInUseError extends Error {}

/** Children that have not exited yet, for the parent's exit and signal handlers. */
const running = new Set<ChildProcess>();

/** Starts `redis-server` and resolves once it answers on 127.0.0.1; see {@link RedisChild}. */
export async function startRedisServer(opts: RedisServerOptions): Promise<RedisChild> {
  const binary = await findExecutable('redis-server');
  if (binary === undefined) throw new Error(NOT_INSTALLED);
  const launcher = process.platform === 'linux' ? await findExecutable('setpriv') : undefined;
  const dir = path.resolve(opts.dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const logFile = opts.logFile === undefined ? undefined : path.resolve(opts.logFile);
  if (logFile !== undefined) await createPrivateFile(logFile);
  const aclFile = opts.auth === undefined ? undefined : await writeAclFile(dir, opts.auth);
  const requestedPort = opts.port ?? 0;
  const fixedPort = requestedPort !== 0;

  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ? requestedPort : await pickFreePort();
    const args = [binary, ...(opts.configFile === undefined ? [] : [path.resolve(opts.configFile)]),
      ...redisArgs({ port, dir, appendOnly: opts.appendOnly ?? true, logFile, aclFile }), ...(opts.extraArgs ?? [])];
    const command = launcher === undefined ? args : [launcher, '--pdeathsig', 'TERM', '--', ...args];
    try {
      return await launch(command, port, logFile, opts.auth, opts.startTimeoutMs ?? 10_000);
    } catch (err) {
      if (!(err instanceof AddressInUseError) || fixedPort || attempt >= START_ATTEMPTS) throw err;
    }
  }
}

/** Creates `file` (and its directory) when missing; either way it gets mode 0600. */
async function createPrivateFile(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await (await open(file, 'a', 0o600)).close();
  await chmod(file, 0o600);
}

/**
 * Writes `<dir>/users.acl` for {@link RedisServerOptions.auth}; returns its path. `default` is
 * off and has no password, so no one can be it, yet it keeps every permission: Redis replays the
 * AOF as `default` and re-checks its permissions at each EXEC, so a `default` without them drops
 * every MULTI/EXEC and script of the AOF at the next start (redis/redis#14541, fixed after 7.x).
 */
async function writeAclFile(dir: string, auth: RedisCredentials): Promise<string> {
  if (!/^[!-~]+$/.test(auth.username)) throw new Error(`redis-server: the ACL user name ${JSON.stringify(auth.username)} must be printable ASCII without spaces`);
  const hash = createHash('sha256').update(auth.password, 'utf8').digest('hex');
  const file = path.join(dir, 'users.acl');
  await writeFileAtomic(file, `user default off ~* &* +@all\nuser ${auth.username} on #${hash} ~* &* +@all\n`, 0o600);
  return file;
}

function redisArgs(o: { port: number; dir: string; appendOnly: boolean; logFile: string | undefined; aclFile: string | undefined }): string[] {
  return [
    '--port', String(o.port),
    '--bind', '127.0.0.1',
    '--dir', o.dir,
    '--appendonly', o.appendOnly ? 'yes' : 'no',
    '--appendfsync', 'everysec',
    '--save', '',
    '--daemonize', 'no',
    '--protected-mode', 'yes',
    ...(o.logFile === undefined ? [] : ['--logfile', o.logFile]),
    ...(o.aclFile === undefined ? [] : ['--aclfile', o.aclFile]),
  ];
}

interface Tracked {
  child: ChildProcess;
  /** Resolves when the process has exited (or could not be spawned). */
  exited: Promise<void>;
  /** Resolves when its output pipes are closed too, so the in-memory log is complete. */
  closed: Promise<void>;
  hasExited: () => boolean;
  logTail: () => Promise<string>;
}

async function launch(
  command: string[],
  port: number,
  logFile: string | undefined,
  auth: RedisCredentials | undefined,
  timeoutMs: number,
): Promise<RedisChild> {
  const tracked = spawnTracked(command, logFile);
  const pid = tracked.child.pid;
  const deadline = Date.now() + timeoutMs;
  while (pid !== undefined && !tracked.hasExited() && Date.now() < deadline) {
    if ((await probeProcessId(port, auth)) === pid) {
      return { url: childUrl(port, auth), port, pid, stop: () => stopTracked(tracked) };
    }
    await sleep(PROBE_INTERVAL_MS);
  }
  await stopTracked(tracked);
  await Promise.race([tracked.closed, sleep(1000)]);
  const tail = await tracked.logTail();
  if (tail.includes('Address already in use')) {
    throw new AddressInUseError(`redis-server could not listen on port ${port}: address already in use`);
  }
  const reason = tracked.hasExited() ? 'exited during startup' : `did not answer within ${timeoutMs} ms`;
  throw new Error(`redis-server on port ${port} ${reason}; its log ends with:\n${tail}`);
}

function childUrl(port: number, auth: RedisCredentials | undefined): string {
  const userinfo = auth === undefined ? '' : `${encodeURIComponent(auth.username)}:${encodeURIComponent(auth.password)}@`;
  return `redis://${userinfo}127.0.0.1:${port}`;
}

function spawnTracked(command: string[], logFile: string | undefined): Tracked {
  const [file = '', ...args] = command;
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let done = false;
  const exited = new Promise<void>((resolve) => {
    const finish = (): void => {
      done = true;
      running.delete(child);
      resolve();
    };
    child.once('exit', finish);
    child.on('error', (err: NodeJS.ErrnoException) => {
      output += err.code === 'ENOENT' ? NOT_INSTALLED : String(err);
      finish();
    });
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  running.add(child);
  installExitHandlers();
  const logTail = async (): Promise<string> =>
    logFile === undefined ? output : `${output}${await readTail(logFile, LOG_TAIL_CHARS)}`;
  return { child, exited, closed, hasExited: () => done, logTail };
}

/** The last `bytes` bytes of a file, or '' when it cannot be read. */
async function readTail(file: string, bytes: number): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, bytes);
      const { buffer } = await handle.read(Buffer.alloc(length), 0, length, size - length);
      return buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

async function stopTracked(tracked: Tracked): Promise<void> {
  if (tracked.hasExited()) return;
  tracked.child.kill('SIGTERM');
  const timer = setTimeout(() => tracked.child.kill('SIGKILL'), STOP_GRACE_MS);
  await tracked.exited;
  clearTimeout(timer);
}

let exitHandlersInstalled = false;

/** Kills the children when the parent exits, or on SIGINT/SIGTERM that no one else handles. */
function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  const killAll = (): void => {
    for (const child of running) child.kill('SIGTERM');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      if (process.listenerCount(signal) > 1) return;
      killAll();
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * The `process_id` of the Redis answering on the port (after AUTH with `auth`), or undefined when
 * none answers (yet).
 */
function probeProcessId(port: number, auth: RedisCredentials | undefined): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (pid: number | undefined): void => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(1000, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(undefined));
    socket.on('connect', () => {
      if (auth !== undefined) socket.write(respCommand('AUTH', auth.username, auth.password));
      socket.write(respCommand('INFO', 'server'));
    });
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.startsWith('-') && reply.includes('\r\n')) done(undefined);
      const match = /\r\nprocess_id:(\d+)\r\n/.exec(reply);
      if (match !== null) done(Number(match[1]));
    });
  });
}

/** A command in RESP, so that any password is sent as it is. */
function respCommand(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a, 'utf8')}\r\n${a}\r\n`).join('')}`;
}

/** A port that was free a moment ago (the caller retries if someone takes it in between). */
export function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
