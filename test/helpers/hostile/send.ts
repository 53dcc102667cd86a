// Sends hostile requests over keep-alive HTTPS with bounded concurrency, and checks that every
// answer is a metav1.Status error of the right code.
import https from 'node:https';
import type { ApiTarget } from '../runs.js';
import type { HostileCase } from './case.js';

/** What came back for one request (status 0 and `error` when none did). */
export interface HostileResult {
  status: number;
  contentType: string;
  body: string;
  error?: string;
  ms: number;
}

/** The most of a response body that is kept (a Status may quote a 1 MB name). */
const MAX_KEPT = 8 * 1024 * 1024;

/** Sends one case; never rejects (a transport failure or a timeout is reported in `error`). */
export function sendCase(target: ApiTarget, agent: https.Agent, c: HostileCase, timeoutMs: number): Promise<HostileResult> {
  const started = Date.now();
  const body = c.body === undefined ? undefined : Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body, 'utf8');
  const headers: Record<string, string> = { Authorization: `Bearer ${target.token}`, Accept: 'application/json', ...c.headers };
  if (body !== undefined) {
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    if (c.chunked) headers['Transfer-Encoding'] = 'chunked';
    else headers['Content-Length'] = String(body.length);
  }
  return new Promise((resolve) => {
    const done = (r: Omit<HostileResult, 'ms'>): void => resolve({ ...r, ms: Date.now() - started });
    // The path goes out exactly as generated: no URL parsing that would resolve `%2E` segments.
    const { hostname, port } = new URL(target.url);
    const req = https.request({ hostname, port, path: c.path, method: c.method, agent, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        size += d.length;
        if (size <= MAX_KEPT) chunks.push(d);
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => done({ status: res.statusCode ?? 0, contentType: '', body: '', error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => done({ status: 0, contentType: '', body: '', error: err.message }));
    if (body === undefined) req.end();
    else if (c.chunked) {
      for (let i = 0; i < body.length; i += 256 * 1024) req.write(body.subarray(i, i + 256 * 1024));
      req.end();
    } else req.end(body);
  });
}

/**
 * Why `res` is not the answer `c` must get (undefined when it is): a 4xx (`c.code` when set)
 * with Content-Type application/json and a metav1.Status body whose code is the HTTP status.
 */
export function statusProblem(c: HostileCase, res: HostileResult): string | undefined {
  if (res.error !== undefined) {
    // A chunked body found too large is not read on: the server answers 413 and closes, and the
    // close may reach the client while it still writes (Go's server does the same).
    return c.chunked && /EPIPE|ECONNRESET/.test(res.error) ? undefined : `no answer: ${res.error}`;
  }
  if (res.status < 400 || res.status > 499) return `HTTP ${res.status}`;
  if (c.code !== undefined && res.status !== c.code) return `HTTP ${res.status}, expected ${c.code}`;
  if (!/^application\/json(;|$)/.test(res.contentType)) return `Content-Type ${JSON.stringify(res.contentType)}`;
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    return 'the body is not JSON';
  }
  if (s.kind !== 'Status' || s.apiVersion !== 'v1' || s.status !== 'Failure') return `not a Failure Status: ${JSON.stringify([s.kind, s.apiVersion, s.status])}`;
  if (typeof s.message !== 'string' || s.message === '') return 'no message';
  if (typeof s.reason !== 'string' || s.reason === '') return 'no reason';
  if (s.code !== res.status) return `Status code ${String(s.code)} for HTTP ${res.status}`;
  return undefined;
}

/** One case that got a wrong answer. */
export interface Failure {
  family: string;
  what: string;
  problem: string;
  /** The start of the answer's body. */
  body: string;
}

/** Sends every case with at most `concurrency` in flight; resolves with the wrong answers. */
export async function sendAll(target: ApiTarget, cases: readonly HostileCase[], concurrency: number, timeoutMs = 15_000): Promise<Failure[]> {
  const agent = new https.Agent({ ca: target.ca, keepAlive: true, maxSockets: concurrency });
  const failures: Failure[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < cases.length; i = next++) {
      const c = cases[i] as HostileCase;
      const res = await sendCase(target, agent, c, timeoutMs);
      const problem = statusProblem(c, res);
      if (problem !== undefined) failures.push({ family: c.family, what: c.what.slice(0, 200), problem, body: res.body.slice(0, 300) });
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, lane));
  } finally {
    agent.destroy();
  }
  return failures;
}
