// Raw HTTPS access to a running kube-actions server, the way a Kubernetes client sees the wire:
// exact status codes, headers and bodies, and watch streams read line by line.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import https from 'node:https';
import { waitFor } from './wait.js';

/** Where the server is and how to trust and authenticate to it (a {@link DevServer} fits). */
export interface Endpoint {
  url: string;
  token: string;
  ca: string;
}

/** A complete response. */
export interface KubeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names and values as received, in order (repeated headers stay separate). */
  rawHeaders: string[];
  text: string;
  /** The body parsed as JSON; throws when it is not JSON. */
  json<T = Record<string, unknown>>(): T;
  /** Every value of header `name` (case-insensitive), one per header line. */
  headerValues(name: string): string[];
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A string or Buffer is sent as is; anything else as JSON. */
  body?: unknown;
  /** The bearer token; defaults to the endpoint's, `null` sends no Authorization header. */
  token?: string | null;
}

function open(ep: Endpoint, path: string, opts: RequestOptions): Promise<IncomingMessage> {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? ep.token : opts.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  let payload: Buffer | undefined;
  if (opts.body !== undefined) {
    payload = typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? Buffer.from(opts.body) : Buffer.from(JSON.stringify(opts.body));
    headers['Content-Type'] ??= 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, ep.url), { method: opts.method ?? 'GET', headers, ca: ep.ca, agent: false }, resolve);
    req.on('error', reject);
    req.end(payload);
  });
}

function headerValuesOf(rawHeaders: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === name.toLowerCase()) out.push(rawHeaders[i + 1] ?? '');
  }
  return out;
}

/** Sends one request and reads the whole response. */
export async function kubeRequest(ep: Endpoint, path: string, opts: RequestOptions = {}): Promise<KubeResponse> {
  const res = await open(ep, path, opts);
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    rawHeaders: res.rawHeaders,
    text,
    json: <T>() => JSON.parse(text) as T,
    headerValues: (name) => headerValuesOf(res.rawHeaders, name),
  };
}

/** One decoded watch event. */
export interface WatchEvent {
  type: string;
  object: Record<string, unknown> & { metadata?: Record<string, unknown> };
}

/** An open watch response, read as it arrives. */
export interface WatchStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every complete line received so far, verbatim. */
  lines: string[];
  /** The lines that parsed as JSON, in order. */
  events: WatchEvent[];
  /** Lines that were not one JSON document. */
  errors: string[];
  /** Whether the response is over (ended by the server, or dropped). */
  ended(): boolean;
  /** Whether the server ended the response cleanly (the terminating chunk arrived). */
  complete(): boolean;
  /** Resolves when the response ended (the server closed it, or {@link close} was called). */
  done: Promise<void>;
  /** Waits until an event satisfies `pred` and returns it. */
  next(pred: (e: WatchEvent) => boolean, what: string, timeoutMs?: number): Promise<WatchEvent>;
  /** Drops the connection (a client going away). */
  close(): void;
}

/** Opens a streaming GET (watch) and keeps reading it in the background. */
export async function openWatch(ep: Endpoint, path: string, opts: RequestOptions = {}): Promise<WatchStream> {
  const res = await open(ep, path, opts);
  let buf = '';
  let isEnded = false;
  const lines: string[] = [];
  const events: WatchEvent[] = [];
  const errors: string[] = [];
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      try {
        events.push(JSON.parse(line) as WatchEvent);
      } catch {
        errors.push(line);
      }
    }
  });
  const done = new Promise<void>((resolve) => {
    res.on('end', () => {
      isEnded = true;
      if (buf !== '') lines.push(buf);
      resolve();
    });
    res.on('close', () => {
      isEnded = true;
      resolve();
    });
    res.on('error', () => resolve());
  });
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    lines,
    events,
    errors,
    ended: () => isEnded,
    complete: () => res.complete,
    done,
    next: async (pred, what, timeoutMs = 20_000) => {
      try {
        await waitFor(() => events.some(pred), { timeoutMs, message: what });
      } catch (err) {
        throw new Error(`${(err as Error).message}; received:\n${lines.join('\n')}`);
      }
      return events.find(pred) as WatchEvent;
    },
    close: () => res.destroy(),
  };
}
