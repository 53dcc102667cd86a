// The bench process's side of the watch process (watch-child.ts): the soak's watches run in a
// process of their own, so that reading thousands of events a second does not delay the
// requests whose latency the bench measures. Times on both sides are monoMs (CLOCK_MONOTONIC).
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep } from '../clock.js';
import type { Created } from './mix.js';
import type { WatchSpec } from './watch-pool.js';

const CHILD_MAIN = fileURLToPath(new URL('./watch-child.js', import.meta.url));
const STOP_TIMEOUT_MS = 10_000;

/** An event-loop delay summary (ms). */
export interface LoopDelay {
  p99: number;
  max: number;
}

/** Commands the watch process executes. */
export type WatchCommand =
  | { cmd: 'open'; specs: WatchSpec[]; ports: number[]; rv: string; ca: string; token: string }
  | { cmd: 'mark' }
  | { cmd: 'missing'; creates: Created[] }
  | { cmd: 'report'; sentAt: Record<string, number> }
  | { cmd: 'close' };

/** The answer to each command, by `cmd`. */
export interface WatchResults {
  open: { count: number };
  /** Events received so far, and the process's event-loop delay since the previous mark. */
  mark: { events: number; loopDelay: LoopDelay };
  missing: { missing: number };
  /** create sent → ADDED latencies of the runs in `sentAt`, and the watches' errors so far. */
  report: { latencies: number[]; errors: number; firstErrors: string[] };
  close: Record<string, never>;
}

/** A request and its answer on the IPC channel. */
export type WatchRequest = { id: number; command: WatchCommand };
export type WatchReply = { id: number; result: unknown } | { id: number; error: string };

/** The watch process. */
export class WatchClient {
  readonly #proc: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #exited: Promise<void>;
  #nextId = 1;

  constructor() {
    this.#proc = fork(CHILD_MAIN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#proc.on('message', (msg: WatchReply) => {
      const waiter = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      if ('error' in msg) waiter?.reject(new Error(`watch process: ${msg.error}`));
      else waiter?.resolve(msg.result);
    });
    this.#exited = new Promise((resolve) => this.#proc.once('exit', () => {
      for (const w of this.#pending.values()) w.reject(new Error('the watch process exited'));
      this.#pending.clear();
      resolve();
    }));
  }

  get pid(): number {
    return this.#proc.pid ?? 0;
  }

  /** Runs a command in the watch process and resolves with its answer. */
  send<C extends WatchCommand>(command: C): Promise<WatchResults[C['cmd']]> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#proc.send({ id, command } satisfies WatchRequest, (err) => {
        if (!err) return;
        this.#pending.delete(id);
        reject(err);
      });
    });
  }

  /** Closes the watches and waits for the process to exit (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    await Promise.race([this.send({ cmd: 'close' }).catch(() => undefined), sleep(STOP_TIMEOUT_MS)]);
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
  }
}
