// Run logs: one Redis stream per run; each entry holds a chunk of whole lines of one step of
// one attempt (fields a, s, d), its id's time is when the lines were written. An entry with
// field `end` marks that the run finished.
import type { ResourceKeys } from './keys.js';
import type { RedisClient } from './redis-client.js';

export interface LogEntry {
  id: string;
  /** Milliseconds since the epoch, from the stream id. */
  time: number;
  attempt: number;
  step: string;
  data: Buffer;
  end: boolean;
}

function parseEntry(id: string, fields: Buffer[]): LogEntry {
  const e: LogEntry = { id, time: Number(id.slice(0, id.indexOf('-'))), attempt: 0, step: '', data: Buffer.alloc(0), end: false };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const k = fields[i]?.toString();
    const v = fields[i + 1] as Buffer;
    if (k === 'a') e.attempt = Number(v.toString());
    else if (k === 's') e.step = v.toString();
    else if (k === 'd') e.data = v;
    else if (k === 'end') e.end = true;
  }
  return e;
}

export class LogStore {
  constructor(
    readonly redis: RedisClient,
    readonly keys: ResourceKeys,
  ) {}

  /** Appends chunks in one round trip; rejects with the first command's error, if any failed. */
  async append(uid: string, chunks: { attempt: number; step: string; data: Buffer }[]): Promise<void> {
    if (chunks.length === 0) return;
    const p = this.redis.pipeline();
    for (const c of chunks) p.xadd(this.keys.log(uid), '*', 'a', String(c.attempt), 's', c.step, 'd', c.data);
    const failed = (await p.exec())?.find(([err]) => err !== null)?.[0];
    if (failed) throw failed;
  }

  async end(uid: string, phase: string): Promise<void> {
    await this.redis.xadd(this.keys.log(uid), '*', 'end', phase);
  }

  /** Entries after `afterId` (exclusive; '0' for all), at most `count`. */
  async read(uid: string, afterId: string, count: number): Promise<LogEntry[]> {
    const raw = await this.redis.xrangeBuffer(this.keys.log(uid), `(${afterId}`, '+', 'COUNT', count);
    return raw.map(([id, fields]) => parseEntry(id.toString(), fields));
  }

  /** Waits up to `blockMs` on a dedicated connection for entries after `afterId`. */
  async wait(conn: RedisClient, uid: string, afterId: string, blockMs: number): Promise<LogEntry[]> {
    const reply = await conn.xreadBuffer('COUNT', 512, 'BLOCK', blockMs, 'STREAMS', this.keys.log(uid), afterId);
    const entries = reply?.[0]?.[1] ?? [];
    return entries.map(([id, fields]) => parseEntry(id.toString(), fields));
  }
}
