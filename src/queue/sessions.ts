// exec/attach sessions between an apiserver replica (which holds the client's websocket) and
// the worker that holds the run: they meet only through Redis. Each session has two pub/sub
// channels of binary frames, `in` (to the worker) and `out` (to the apiserver); the first
// byte of a frame says what it carries. The session starts with a request on the control
// channel; the worker answers `ready` once it listens, and the apiserver holds stdin until then.
import type { ResourceKeys } from './keys.js';
import { duplicateClient, type RedisClient } from './redis-client.js';

export const Frame = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  /** JSON SessionExit: the command ended (or could not start). */
  exit: 3,
  /** JSON {width, height}. */
  resize: 4,
  ready: 253,
  /** The client went away: stop the command. */
  end: 254,
  stdinClose: 255,
} as const;

export interface SessionRequest {
  action: 'exec' | 'attach';
  uid: string;
  session: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface SessionExit {
  exitCode: number | null;
  /** Set when the command could not run at all. */
  error?: string;
}

export function frame(type: number, data?: Buffer | string): Buffer {
  const body = data === undefined ? Buffer.alloc(0) : typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([type]), body]);
}

/**
 * One subscriber connection per process, shared by all its sessions: channels are subscribed
 * while a session lives and messages go to that session's handler.
 */
export class SessionHub {
  readonly #sub: RedisClient;
  readonly #handlers = new Map<string, (data: Buffer) => void>();

  constructor(
    readonly redis: RedisClient,
    readonly keys: ResourceKeys,
  ) {
    this.#sub = duplicateClient(redis, { enableAutoPipelining: false });
    this.#sub.on('error', () => undefined);
    this.#sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.#handlers.get(channel.toString())?.(message));
  }

  channel(session: string, direction: 'in' | 'out'): string {
    return `${this.keys.base}:session:${session}:${direction}`;
  }

  /** Resolves once subscribed, with the function that unsubscribes. */
  async listen(channel: string, onFrame: (type: number, data: Buffer, whole: Buffer) => void): Promise<() => void> {
    this.#handlers.set(channel, (m) => {
      if (m.length > 0) onFrame(m[0] ?? -1, m.subarray(1), m);
    });
    await this.#sub.subscribe(channel);
    return () => {
      this.#handlers.delete(channel);
      this.#sub.unsubscribe(channel).catch(() => undefined);
    };
  }

  send(channel: string, data: Buffer): void {
    this.redis.publish(channel, data).catch(() => undefined);
  }

  close(): void {
    this.#sub.disconnect();
  }
}
