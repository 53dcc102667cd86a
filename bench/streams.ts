// Reading one long HTTPS response as it streams: byte counts and times, and the latency of
// lines that carry the wall-clock time they were written at.
import https from 'node:https';
import { monoMs } from './clock.js';
import type { HttpTarget } from './http.js';

/** What reading a stream to its end gave. */
export interface StreamRead {
  status: number;
  /** Bytes of the body (for a status other than 200: the start of the body as text in `error`). */
  bytes: number;
  /** monoMs of the first and the last body byte (NaN without a body). */
  firstByteAt: number;
  lastByteAt: number;
  error?: string;
}

/**
 * GETs `path` and reads the body to its end, handing each chunk to `onChunk` as it arrives;
 * rejects on network errors or when `timeoutMs` passes first.
 */
export function readStream(t: HttpTarget, path: string, timeoutMs: number, onChunk?: (chunk: Buffer) => void): Promise<StreamRead> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'text/plain' };
    if (t.token) headers['Authorization'] = `Bearer ${t.token}`;
    const req = https.request({ host: '127.0.0.1', port: t.port, path, agent: t.agent, headers }, (res) => {
      const r: StreamRead = { status: res.statusCode ?? 0, bytes: 0, firstByteAt: Number.NaN, lastByteAt: Number.NaN };
      let text = '';
      res.on('data', (chunk: Buffer) => {
        const at = monoMs();
        if (r.bytes === 0) r.firstByteAt = at;
        r.lastByteAt = at;
        r.bytes += chunk.length;
        if (r.status !== 200) text += chunk.toString('utf8');
        else onChunk?.(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve(r.status === 200 ? r : { ...r, error: `HTTP ${r.status}: ${text.slice(0, 300)}` });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`GET ${path}: not finished within ${timeoutMs / 1000} s`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

/** Bytes per microsecond = MB/s (10^6 bytes) between the first and the last byte. */
export function megabytesPerSecond(r: StreamRead): number {
  return r.bytes / ((r.lastByteAt - r.firstByteAt) * 1000);
}

/** Latencies of lines holding `date +%s%N`, against `now` (wall ms) when each arrived. */
export interface LineTimer {
  onChunk(chunk: Buffer): void;
  /** Receive time − written time (ms) of every timestamp line so far. */
  readonly latencies: number[];
  /** Lines that held something else. */
  readonly others: number;
}

/** A {@link LineTimer} reading its receive times from `now`. */
export function lineTimer(now: () => number): LineTimer {
  const latencies: number[] = [];
  let others = 0;
  let partial = '';
  return {
    latencies,
    get others() {
      return others;
    },
    onChunk(chunk) {
      const at = now();
      const lines = (partial + chunk.toString('latin1')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (/^\d{19}$/.test(line)) latencies.push(at - Number(BigInt(line) / 1000n) / 1000);
        else others++;
      }
    },
  };
}
