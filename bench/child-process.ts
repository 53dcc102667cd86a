// The bench process's side of a child (child.ts): fork it, send commands, read its memory, stop it.
import { type ChildProcess, fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sleep } from './clock.js';
import { CHILD_ENV_VAR, type ChildCommand, type ChildEnv, type ChildReply, type ChildResults } from './protocol.js';

const CHILD_MAIN = fileURLToPath(new URL('./child.js', import.meta.url));
const STOP_TIMEOUT_MS = 10_000;

/** A running child process. */
export class BenchChild {
  readonly #proc: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #exited: Promise<void>;
  #nextId = 1;

  private constructor(env: ChildEnv, nodeArgs: string[]) {
    this.#proc = fork(CHILD_MAIN, [], {
      execArgv: ['--expose-gc', ...nodeArgs],
      env: { ...process.env, [CHILD_ENV_VAR]: JSON.stringify(env) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#proc.on('message', (msg: ChildReply) => {
      const waiter = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      if ('error' in msg) waiter?.reject(new Error(`bench child: ${msg.error}`));
      else waiter?.resolve(msg.result);
    });
    this.#exited = new Promise((resolve) => this.#proc.once('exit', () => {
      for (const w of this.#pending.values()) w.reject(new Error('bench child exited'));
      this.#pending.clear();
      resolve();
    }));
  }

  /** Forks a child with `env`, adding `nodeArgs` to node's own arguments. */
  static start(env: ChildEnv, nodeArgs: string[] = []): BenchChild {
    return new BenchChild(env, nodeArgs);
  }

  get pid(): number {
    return this.#proc.pid ?? 0;
  }

  /** Runs a command in the child and resolves with its answer. */
  send<C extends ChildCommand>(command: C): Promise<ChildResults[C['cmd']]> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#proc.send({ id, command }, (err) => {
        if (err) {
          this.#pending.delete(id);
          reject(err);
        }
      });
    });
  }

  /** The child's resident set size in KiB (VmRSS), after it has collected garbage. */
  async rssKiB(): Promise<number> {
    await this.send({ cmd: 'gc' });
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    if (!match) throw new Error(`no VmRSS in /proc/${this.pid}/status`);
    return Number(match[1]);
  }

  /** Stops what the child started and waits for it to exit (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    await Promise.race([this.send({ cmd: 'stop' }).catch(() => undefined), sleep(STOP_TIMEOUT_MS)]);
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
  }
}
