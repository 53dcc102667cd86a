// Many concurrent HTTPS watch connections from this process, and the time until all of them
// have received one more complete line.
import type { ClientRequest } from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { monoMs } from './clock.js';

const OPEN_TIMEOUT_MS = 30_000;

/** Open watch connections. */
export interface WatcherPool {
  readonly count: number;
  /**
   * Arms every watcher, calls `trigger`, and resolves when each has received a complete line
   * (or `timeoutMs` passed): how many did, the time (ms) from the trigger to the last one (NaN
   * unless all did), and the first line received.
   */
  awaitLine(trigger: () => Promise<unknown>, timeoutMs: number): Promise<{ received: number; ms: number; line: string }>;
  close(): void;
}

interface Watcher {
  req: ClientRequest;
  armed: boolean;
  text: string;
}

/** The soft limit on open files of this process (from /proc/self/limits), or undefined. */
export function openFileLimit(): number | undefined {
  const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m ? Number(m[1]) : undefined;
}

function openOne(agent: https.Agent, port: number, path: string, token: string | undefined, onLine: (w: Watcher) => void): Promise<Watcher> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token) headers['Authorization'] = `Bearer ${token}`;
    const req = https.request({ host: '127.0.0.1', port, path, agent, headers });
    const w: Watcher = { req, armed: false, text: '' };
    const timer = setTimeout(() => req.destroy(new Error(`no response within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      if (res.statusCode !== 200) {
        reject(new Error(`watch answered HTTP ${res.statusCode}`));
        req.destroy();
        return;
      }
      res.on('error', () => undefined);
      res.on('data', (chunk: Buffer) => {
        if (!w.armed) return;
        w.text += chunk.toString('utf8');
        if (w.text.includes('\n')) onLine(w);
      });
      resolve(w);
    });
    req.end();
  });
}

function describeOpenError(err: unknown, opened: number, count: number): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const limit = openFileLimit();
  const hint = code === 'EMFILE' || code === 'ENFILE'
    ? `out of file descriptors (soft limit ${limit ?? '?'}): ${count} watchers need ${count} sockets in each process; raise it with \`ulimit -n\``
    : String(err);
  return new Error(`opening watch connections failed after ${opened} of ${count}: ${hint}`);
}

/**
 * Opens `count` watches on `path`, `parallel` handshakes at a time; rejects clearly if any fails.
 * Handshakes dominate the time this takes, so the client neither verifies the server
 * certificate nor resumes sessions: both cost the client more CPU than they save here.
 */
export async function openWatchers(o: { port: number; path: string; token?: string; count: number; parallel: number }): Promise<WatcherPool> {
  const agent = new https.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY, rejectUnauthorized: false, maxCachedSessions: 0 });
  const watchers: Watcher[] = [];
  let received = 0;
  let lastAt = 0;
  let onAll: (() => void) | undefined;
  const onLine = (w: Watcher): void => {
    w.armed = false;
    received++;
    lastAt = monoMs();
    if (received === watchers.length) onAll?.();
  };
  const close = (): void => {
    for (const w of watchers) w.req.destroy();
    agent.destroy();
  };
  let next = 0;
  let failure: unknown;
  const opener = async (): Promise<void> => {
    while (next < o.count && failure === undefined) {
      next++;
      try {
        watchers.push(await openOne(agent, o.port, o.path, o.token, onLine));
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.parallel, o.count) }, opener));
  if (failure !== undefined) {
    close();
    throw describeOpenError(failure, watchers.length, o.count);
  }
  return {
    count: watchers.length,
    close,
    awaitLine: async (trigger, timeoutMs) => {
      received = 0;
      for (const w of watchers) {
        w.armed = true;
        w.text = '';
      }
      let timer: NodeJS.Timeout | undefined;
      const all = new Promise<void>((resolve) => {
        onAll = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      const t0 = monoMs();
      await trigger();
      await all;
      clearTimeout(timer);
      onAll = undefined;
      for (const w of watchers) w.armed = false;
      const first = watchers.find((w) => w.text.includes('\n'));
      return { received, ms: received === watchers.length ? lastAt - t0 : Number.NaN, line: first ? first.text.slice(0, first.text.indexOf('\n') + 1) : '' };
    },
  };
}
