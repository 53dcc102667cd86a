// Batches a step's output into log entries of whole lines: flushed as soon as the event loop
// is idle (a line reaches followers within milliseconds), at most 64 KiB per entry, bounded in
// total bytes with a truncation marker. While Redis is out of reach the output is kept, in order,
// up to a bound, and written when Redis is back; what did not fit is replaced by a line that
// says how much was lost.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { LogStore } from '../queue/log-store.js';
import { isRedisUnavailable } from '../queue/unavailable.js';
import { retryDelay } from './store-retry.js';

const MAX_ENTRY = 64 * 1024;

/** How much output a step may produce while its log cannot be written, before it is dropped. */
export const DEFAULT_OUTAGE_BUFFER_BYTES = 16 * 1024 * 1024;

export interface LogWriterOptions {
  logs: LogStore;
  uid: string;
  attempt: number;
  step: string;
  /** The log's bound in bytes (then a truncation marker). */
  limitBytes: number;
  log: Logger;
  /** Output kept while Redis is out of reach; defaults to {@link DEFAULT_OUTAGE_BUFFER_BYTES}. */
  outageBufferBytes?: number;
}

export class LogWriter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #written = 0;
  #truncated = false;
  #scheduled = false;
  #flushing: Promise<void> = Promise.resolve();
  /** Appends are failing for want of Redis: writes wait for the retry timer. */
  #failing = 0;
  /** Bytes of output dropped because the outage buffer was full, not yet reported in the log. */
  #dropped = 0;
  #retry: NodeJS.Timeout | undefined;

  constructor(readonly o: LogWriterOptions) {}

  write(chunk: Buffer): void {
    if (this.#truncated) return;
    if (this.#failing > 0 && this.#pendingBytes + chunk.length > (this.o.outageBufferBytes ?? DEFAULT_OUTAGE_BUFFER_BYTES)) {
      this.#dropped += chunk.length;
      return;
    }
    this.#reportDropped();
    const room = this.o.limitBytes - this.#written - this.#pendingBytes;
    if (chunk.length > room) {
      if (room > 0) this.#push(chunk.subarray(0, room));
      this.#push(Buffer.from(`\n[kube-actions] log truncated: the limit of ${this.o.limitBytes} bytes was reached\n`));
      this.#truncated = true;
    } else {
      this.#push(chunk);
    }
    this.#schedule();
  }

  /** A line of our own (e.g. why a step failed). */
  note(text: string): void {
    this.#reportDropped();
    this.#push(Buffer.from(`[kube-actions] ${text}\n`));
    this.#schedule();
  }

  #reportDropped(): void {
    if (this.#dropped === 0) return;
    this.#push(Buffer.from(`\n[kube-actions] ${this.#dropped} bytes of output were dropped: Redis was unavailable and the log buffer was full\n`));
    this.o.log.warn({ run: this.o.uid, step: this.o.step, bytes: this.#dropped }, 'step output dropped while Redis was unavailable');
    this.#dropped = 0;
  }

  #push(b: Buffer): void {
    this.#pending.push(b);
    this.#pendingBytes += b.length;
  }

  #schedule(): void {
    if (this.#scheduled || this.#failing > 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flushing = this.#flushing.then(() => this.#flush(false));
    });
  }

  /** Writes the pending whole lines (all of them when `final`); on failure keeps them, in order. */
  async #flush(final: boolean): Promise<void> {
    if (this.#pendingBytes === 0) return;
    let data = Buffer.concat(this.#pending);
    let rest = Buffer.alloc(0);
    if (!final) {
      const nl = data.lastIndexOf(0x0a);
      if (nl < 0 && data.length < MAX_ENTRY) return;
      if (nl >= 0) {
        rest = data.subarray(nl + 1);
        data = data.subarray(0, nl + 1);
      }
    }
    this.#pending = rest.length > 0 ? [rest] : [];
    this.#pendingBytes = rest.length;
    const chunks: { attempt: number; step: string; data: Buffer }[] = [];
    for (let off = 0; off < data.length; off += MAX_ENTRY) {
      chunks.push({ attempt: this.o.attempt, step: this.o.step, data: data.subarray(off, off + MAX_ENTRY) });
    }
    this.#written += data.length;
    try {
      await this.o.logs.append(this.o.uid, chunks);
    } catch (err) {
      this.#written -= data.length;
      this.#failed(err, data);
      return;
    }
    if (this.#failing > 0) {
      this.o.log.info({ run: this.o.uid, step: this.o.step }, 'writing the step log again: Redis is back');
      this.#failing = 0;
      this.#schedule();
    }
  }

  #failed(err: unknown, data: Buffer): void {
    const ctx = { err, run: this.o.uid, step: this.o.step, bytes: data.length };
    if (!isRedisUnavailable(err)) {
      this.o.log.warn(ctx, 'step output could not be written to the log and is dropped');
      return;
    }
    this.#pending.unshift(data);
    this.#pendingBytes += data.length;
    if (this.#failing === 0) this.o.log.warn(ctx, 'cannot write the step log: Redis is unavailable; keeping the output until it is back');
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      this.#flushing = this.#flushing.then(() => this.#flush(false));
    }, retryDelay(this.#failing++));
  }

  /**
   * Flushes everything, including a last line without a newline; while Redis is out of reach it
   * waits for it to come back.
   */
  async close(): Promise<void> {
    this.#reportDropped();
    for (;;) {
      clearTimeout(this.#retry);
      this.#flushing = this.#flushing.then(() => this.#flush(true));
      await this.#flushing;
      if (this.#failing === 0 || this.#pendingBytes === 0) return;
      await sleep(retryDelay(this.#failing));
    }
  }
}
