// Batches a step's output into log entries of whole lines: flushed as soon as the event loop
// is idle (a line reaches followers within milliseconds), at most 64 KiB per entry, bounded in
// total bytes with a truncation marker.
import type { LogStore } from '../queue/log-store.js';

const MAX_ENTRY = 64 * 1024;

export class LogWriter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #written = 0;
  #truncated = false;
  #scheduled = false;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    readonly logs: LogStore,
    readonly uid: string,
    readonly attempt: number,
    readonly step: string,
    readonly limitBytes: number,
  ) {}

  write(chunk: Buffer): void {
    if (this.#truncated) return;
    const room = this.limitBytes - this.#written - this.#pendingBytes;
    if (chunk.length > room) {
      if (room > 0) this.#push(chunk.subarray(0, room));
      this.#push(Buffer.from(`\n[kube-actions] log truncated: the limit of ${this.limitBytes} bytes was reached\n`));
      this.#truncated = true;
    } else {
      this.#push(chunk);
    }
    this.#schedule();
  }

  /** A line of our own (e.g. why a step failed). */
  note(text: string): void {
    this.#push(Buffer.from(`[kube-actions] ${text}\n`));
    this.#schedule();
  }

  #push(b: Buffer): void {
    this.#pending.push(b);
    this.#pendingBytes += b.length;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flushing = this.#flushing.then(() => this.#flush(false));
    });
  }

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
      chunks.push({ attempt: this.attempt, step: this.step, data: data.subarray(off, off + MAX_ENTRY) });
    }
    this.#written += data.length;
    await this.logs.append(this.uid, chunks).catch(() => undefined);
  }

  /** Flushes everything, including a last line without a newline. */
  async close(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flush(true));
    await this.#flushing;
  }
}
