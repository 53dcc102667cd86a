// An exec client for echo round trips: a websocket (v5.channel.k8s.io) whose stdin goes to a
// `cat` somewhere and comes back on stdout. Frames carry the channel in their first byte.
import WebSocket from 'ws';
import { monoMs } from './clock.js';
import { CHANNEL_PROTOCOL } from './raw-streams.js';

const STDIN = 0;
const STDOUT = 1;
const ERROR = 3;
const CLOSE = 255;

/** An open echo session. */
export interface EchoSession {
  /** Sends `text` + '\n' on stdin; resolves with the ms until it came back whole on stdout. */
  roundTrip(text: string, timeoutMs: number): Promise<number>;
  /** Closes stdin (channel 255) and resolves, once the server closed, with what it sent on channel 3. */
  close(timeoutMs: number): Promise<string>;
}

interface Waiter {
  expected: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Opens a session on `wss://127.0.0.1:port` + `path`, verifying the server against `ca`. */
export function openEcho(o: { port: number; path: string; ca: string; token?: string; timeoutMs: number }): Promise<EchoSession> {
  const headers: Record<string, string> = o.token ? { Authorization: `Bearer ${o.token}` } : {};
  const ws = new WebSocket(`wss://127.0.0.1:${o.port}${o.path}`, [CHANNEL_PROTOCOL], { ca: o.ca, headers, perMessageDeflate: false });
  let stdout = '';
  let status = '';
  let waiter: Waiter | undefined;
  let closedWith: Error | undefined;
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const check = (): void => {
    if (!waiter) return;
    const at = stdout.indexOf(waiter.expected);
    if (at >= 0) {
      stdout = stdout.slice(at + waiter.expected.length);
      waiter.resolve();
    } else if (closedWith) waiter.reject(closedWith);
  };
  ws.on('message', (data: Buffer) => {
    if (data[0] === STDOUT) stdout += data.toString('utf8', 1);
    else if (data[0] === ERROR) status += data.toString('utf8', 1);
    check();
  });
  ws.on('close', (code) => {
    closedWith = new Error(`session closed (code ${code}) ${status ? `with status ${status}` : 'without a status'}`);
    check();
  });
  const session: EchoSession = {
    roundTrip: async (text, timeoutMs) => {
      const expected = `${text}\n`;
      const t0 = monoMs();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no echo of ${JSON.stringify(text)} within ${timeoutMs} ms`)), timeoutMs);
        const done = (fn: () => void): void => {
          clearTimeout(timer);
          waiter = undefined;
          fn();
        };
        waiter = { expected, resolve: () => done(resolve), reject: (err) => done(() => reject(err)) };
        ws.send(Buffer.concat([Buffer.from([STDIN]), Buffer.from(expected)]));
        check();
      });
      return monoMs() - t0;
    },
    close: async (timeoutMs) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.from([CLOSE, STDIN]));
      const timer = setTimeout(() => ws.terminate(), timeoutMs);
      await closed;
      clearTimeout(timer);
      return status;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => ws.terminate(), o.timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(session);
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => reject(new Error(`upgrade answered HTTP ${res.statusCode}: ${body.slice(0, 300)}`)));
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.once('close', () => reject(new Error(`session closed before it opened`)));
  });
}
