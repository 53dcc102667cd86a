// Requests to a kube-actions server with any credentials a test needs: a bearer token, a TLS
// client certificate, headers repeated as separate lines; websocket upgrades with subprotocols.
import https from 'node:https';
import WebSocket from 'ws';
import type { PemKeyPair } from '../../src/cli/certs.js';

/** Where the server is and which CA signed its serving certificate. */
export interface TlsTarget {
  url: string;
  ca: string;
}

export interface Credentials {
  token?: string;
  /** A TLS client certificate and its key. */
  cert?: PemKeyPair;
  /** An array value is sent as one header line per element. */
  headers?: Record<string, string | string[]>;
}

export interface SendOptions extends Credentials {
  method?: string;
  body?: unknown;
  contentType?: string;
}

export interface Answer {
  status: number;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/** One request on a fresh connection; resolves with any status. */
export function send(target: TlsTarget, path: string, o: SendOptions = {}): Promise<Answer> {
  const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
  const headers: Record<string, string | string[]> = { Accept: 'application/json', ...o.headers };
  if (o.token !== undefined) headers.Authorization = `Bearer ${o.token}`;
  if (payload !== undefined) headers['Content-Type'] = o.contentType ?? 'application/json';
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, target.url), {
      method: o.method ?? 'GET', headers, ca: target.ca, agent: false, cert: o.cert?.cert, key: o.cert?.key,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, text, json: <T>() => JSON.parse(text) as T });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The HTTP answer to a websocket upgrade that the server refused (101 if it accepted; the socket is then closed). */
export function upgrade(target: TlsTarget, path: string, protocols: string[], o: Credentials = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (o.token !== undefined) headers.Authorization = `Bearer ${o.token}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(new URL(path, target.url.replace(/^https/, 'wss')), protocols, {
      ca: target.ca, headers, cert: o.cert?.cert, key: o.cert?.key,
    });
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, text, json: <T>() => JSON.parse(text) as T });
      });
    });
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101, text: '', json: () => { throw new Error('no body after 101'); } });
    });
    ws.on('error', (err) => {
      if (!err.message.startsWith('Unexpected server response')) reject(err);
    });
  });
}
