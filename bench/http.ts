// A small HTTPS client on keep-alive agents, verifying the server against the bench CA.
import https from 'node:https';

/** Where requests go: a loopback port, the agent to use and the bearer token (if any). */
export interface HttpTarget {
  port: number;
  agent: https.Agent;
  token?: string;
}

/** A response's status and whole body. */
export interface HttpResponse {
  status: number;
  body: Buffer;
}

/** A keep-alive agent trusting `ca`, with at most `maxSockets` connections. */
export function keepAliveAgent(ca: string, maxSockets: number): https.Agent {
  return new https.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, ca });
}

/** Sends one request and reads the whole response; rejects only on network errors. */
export function request(t: HttpTarget, method: string, path: string, body?: string): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (t.token) headers['Authorization'] = `Bearer ${t.token}`;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const req = https.request({ host: '127.0.0.1', port: t.port, method, path, agent: t.agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Like {@link request}, but expects `expected` and parses the JSON body. */
export async function requestJson<T>(t: HttpTarget, method: string, path: string, expected: number, body?: string): Promise<T> {
  const res = await request(t, method, path, body);
  if (res.status !== expected) {
    throw new Error(`${method} ${path}: expected ${expected}, got ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
  }
  return JSON.parse(res.body.toString('utf8')) as T;
}
