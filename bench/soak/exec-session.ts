// One short exec session over websocket (v5.channel.k8s.io) that runs a command to its end.
import WebSocket from 'ws';
import { CHANNEL_PROTOCOL } from '../raw-streams.js';

const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;

/** What the session gave: stdout, stderr, the Status on channel 3, and the close code. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  status: string;
  code: number;
}

/**
 * Opens `wss://127.0.0.1:port` + `path` (verifying the server against `ca`), reads until the
 * server closes, and resolves with what came; rejects when the upgrade is refused, on network
 * errors, or when `timeoutMs` passes first.
 */
export function execSession(o: { port: number; path: string; ca: string; token: string; timeoutMs: number }): Promise<ExecResult> {
  const ws = new WebSocket(`wss://127.0.0.1:${o.port}${o.path}`, [CHANNEL_PROTOCOL], {
    ca: o.ca, headers: { Authorization: `Bearer ${o.token}` }, perMessageDeflate: false,
  });
  const out: Record<number, Buffer[]> = { [STDOUT]: [], [STDERR]: [], [ERROR]: [] };
  ws.on('message', (data: Buffer) => out[data[0] ?? -1]?.push(data.subarray(1)));
  const text = (channel: number): string => Buffer.concat(out[channel] ?? []).toString('utf8');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`exec ${o.path}: not finished within ${o.timeoutMs} ms; stdout ${JSON.stringify(text(STDOUT))}`));
      ws.terminate();
    }, o.timeoutMs);
    let refused = false;
    ws.once('unexpected-response', (req, res) => {
      refused = true;
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => {
        clearTimeout(timer);
        reject(new Error(`exec ${o.path}: upgrade answered HTTP ${res.statusCode}: ${body.slice(0, 300)}`));
        req.destroy();
      });
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`exec ${o.path}: ${err.message}`));
    });
    ws.once('close', (code) => {
      if (refused) return;
      clearTimeout(timer);
      resolve({ stdout: text(STDOUT), stderr: text(STDERR), status: text(ERROR), code });
    });
  });
}
